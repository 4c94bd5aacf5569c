//! The MoleculeNet registry: where each benchmark's file is and how to read it.

use std::path::{Path, PathBuf};

use super::dataset::{CsvSpec, MoleculeDataset, TaskType};
use crate::error::{Result, TrainError};
use molkd_graph::Featurizer;

/// Which columns of a file are tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskColumns {
    /// Exactly these columns, in this order.
    Named(&'static [&'static str]),
    /// Every column except these, in file order.
    AllExcept(&'static [&'static str]),
}

/// One registry entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetSpec {
    /// Short name (`bbbp`, `tox21`, ...).
    pub name: &'static str,
    /// File name under `<data dir>/moleculenet/` (gzip files keep their `.gz`).
    pub file: &'static str,
    /// Column holding SMILES.
    pub smiles_column: &'static str,
    /// Task columns.
    pub tasks: TaskColumns,
    /// Classification (ROC-AUC) or regression (RMSE).
    pub task_type: TaskType,
}

const TOX21: &[&str] = &[
    "NR-AR",
    "NR-AR-LBD",
    "NR-AhR",
    "NR-Aromatase",
    "NR-ER",
    "NR-ER-LBD",
    "NR-PPAR-gamma",
    "SR-ARE",
    "SR-ATAD5",
    "SR-HSE",
    "SR-MMP",
    "SR-p53",
];

const MUV: &[&str] = &[
    "MUV-466", "MUV-548", "MUV-600", "MUV-644", "MUV-652", "MUV-689", "MUV-692", "MUV-712",
    "MUV-713", "MUV-733", "MUV-737", "MUV-810", "MUV-832", "MUV-846", "MUV-852", "MUV-858",
    "MUV-859",
];

/// The eleven MoleculeNet sets molkd benchmarks on (files as in `shared/data/SOURCES.md`).
pub const MOLECULENET: [DatasetSpec; 11] = [
    DatasetSpec {
        name: "bbbp",
        file: "BBBP.csv",
        smiles_column: "smiles",
        tasks: TaskColumns::Named(&["p_np"]),
        task_type: TaskType::Classification,
    },
    DatasetSpec {
        name: "tox21",
        file: "tox21.csv",
        smiles_column: "smiles",
        tasks: TaskColumns::Named(TOX21),
        task_type: TaskType::Classification,
    },
    DatasetSpec {
        name: "toxcast",
        file: "toxcast.csv.gz",
        smiles_column: "smiles",
        tasks: TaskColumns::AllExcept(&["smiles"]),
        task_type: TaskType::Classification,
    },
    DatasetSpec {
        name: "sider",
        file: "sider.csv",
        smiles_column: "smiles",
        tasks: TaskColumns::AllExcept(&["smiles"]),
        task_type: TaskType::Classification,
    },
    DatasetSpec {
        name: "clintox",
        file: "clintox.csv",
        smiles_column: "smiles",
        tasks: TaskColumns::Named(&["FDA_APPROVED", "CT_TOX"]),
        task_type: TaskType::Classification,
    },
    DatasetSpec {
        name: "muv",
        file: "muv.csv.gz",
        smiles_column: "smiles",
        tasks: TaskColumns::Named(MUV),
        task_type: TaskType::Classification,
    },
    DatasetSpec {
        name: "hiv",
        file: "HIV.csv",
        smiles_column: "smiles",
        tasks: TaskColumns::Named(&["HIV_active"]),
        task_type: TaskType::Classification,
    },
    DatasetSpec {
        name: "bace",
        file: "bace.csv",
        smiles_column: "mol",
        tasks: TaskColumns::Named(&["Class"]),
        task_type: TaskType::Classification,
    },
    DatasetSpec {
        name: "esol",
        file: "delaney-processed.csv",
        smiles_column: "smiles",
        tasks: TaskColumns::Named(&["measured log solubility in mols per litre"]),
        task_type: TaskType::Regression,
    },
    DatasetSpec {
        name: "freesolv",
        file: "SAMPL.csv",
        smiles_column: "smiles",
        tasks: TaskColumns::Named(&["expt"]),
        task_type: TaskType::Regression,
    },
    DatasetSpec {
        name: "lipo",
        file: "Lipophilicity.csv",
        smiles_column: "smiles",
        tasks: TaskColumns::Named(&["exp"]),
        task_type: TaskType::Regression,
    },
];

/// The registry entry named `name` (case-insensitive; `lipophilicity` and `delaney` accepted).
pub fn dataset_spec(name: &str) -> Result<&'static DatasetSpec> {
    let key = match name.to_ascii_lowercase().as_str() {
        "lipophilicity" => "lipo".to_string(),
        "delaney" => "esol".to_string(),
        other => other.to_string(),
    };
    MOLECULENET.iter().find(|s| s.name == key).ok_or_else(|| {
        let known: Vec<_> = MOLECULENET.iter().map(|s| s.name).collect();
        TrainError::UnknownDataset(name.to_string(), known.join(", "))
    })
}

/// The data directory: `explicit` if given, else `$MOLKD_DATA_DIR`.
pub fn data_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(dir) => Ok(dir.to_path_buf()),
        None => std::env::var_os("MOLKD_DATA_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .ok_or(TrainError::NoDataDir),
    }
}

impl DatasetSpec {
    /// Path of this set's file under `dir` (`dir/moleculenet/FILE`, or `dir/FILE`).
    pub fn path_in(&self, dir: &Path) -> Result<PathBuf> {
        [dir.join("moleculenet").join(self.file), dir.join(self.file)]
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| TrainError::DatasetFileNotFound {
                file: self.file.to_string(),
                dir: dir.to_path_buf(),
            })
    }

    /// Loads and featurises the set from `dir`, skipping (and recording) unusable rows.
    pub fn load(&self, dir: &Path, featurizer: &dyn Featurizer) -> Result<MoleculeDataset> {
        let path = self.path_in(dir)?;
        let spec = match self.tasks {
            TaskColumns::Named(cols) => CsvSpec::new(self.smiles_column, cols.iter().copied()),
            TaskColumns::AllExcept(skip) => {
                CsvSpec::all_tasks_except(self.smiles_column, skip.iter().copied())
            }
        }
        .task_type(self.task_type);
        let mut data = spec.load(&path, featurizer)?;
        data.name = self.name.to_string();
        Ok(data)
    }
}
