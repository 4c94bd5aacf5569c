//! What a sweep trains on: a MoleculeNet registry set (scaffold split, the same for every
//! seed) or a QM9 target (Transformer-M's random split, drawn per seed).

use std::path::Path;

use molkd_graph::Featurizer;

use crate::data::{DatasetSpec, MoleculeDataset, Qm9Target, load_qm9};
use crate::error::{Result, TrainError};
use crate::finetune::TaskMetric;
use crate::split::{Split, SplitFractions, scaffold_split};

/// File of all QM9 molecules with DFT geometries, under the data directory.
pub const QM9_FILE: &str = "3d/qm9_full.csv.gz";

/// One QM9 target under Transformer-M's protocol: a random split of `train` / `valid` /
/// the rest by seed (110,000 / 10,000 / 10,831 on the full set), targets standardised on the
/// training molecules, scored by MAE, energies in meV.
#[derive(Debug, Clone)]
pub struct Qm9Benchmark {
    /// The target (one model per target, as Transformer-M fine-tunes).
    pub target: Qm9Target,
    /// Training molecules.
    pub train: usize,
    /// Validation molecules.
    pub valid: usize,
    /// Read only the first rows of the file (quick runs); `None`: all.
    pub max_rows: Option<usize>,
    /// One split for every run seed, drawn with this seed (fine-tuning from a pre-training
    /// on one split's training molecules); `None`: each run seed draws its own.
    pub split_seed: Option<u64>,
}

impl Qm9Benchmark {
    /// Transformer-M's split sizes for `target`.
    pub fn new(target: Qm9Target) -> Self {
        Self {
            target,
            train: 110_000,
            valid: 10_000,
            max_rows: None,
            split_seed: None,
        }
    }
}

/// A benchmark data set.
#[derive(Debug, Clone)]
pub enum BenchmarkSet {
    /// A MoleculeNet registry set.
    MoleculeNet(&'static DatasetSpec),
    /// A QM9 target.
    Qm9(Qm9Benchmark),
}

/// The results name of a QM9 target's set, `qm9-<target>` (its `<name>.json` and `.md`).
pub(crate) fn qm9_set_name(target: Qm9Target) -> String {
    format!("qm9-{}", target.name())
}

impl BenchmarkSet {
    /// The name of the results files: the registry name, or `qm9-<target>`.
    pub fn name(&self) -> String {
        match self {
            BenchmarkSet::MoleculeNet(spec) => spec.name.to_string(),
            BenchmarkSet::Qm9(q) => qm9_set_name(q.target),
        }
    }

    /// Loads the set from the data directory `dir`.
    pub fn load(&self, dir: &Path, featurizer: &dyn Featurizer) -> Result<MoleculeDataset> {
        match self {
            BenchmarkSet::MoleculeNet(spec) => spec.load(dir, featurizer),
            BenchmarkSet::Qm9(q) => {
                let mut data = load_qm9(&dir.join(QM9_FILE), &[q.target], featurizer, q.max_rows)?;
                if q.target.unit() == "eV" {
                    for label in data.labels.iter_mut().flatten() {
                        *label *= 1000.0;
                    }
                }
                data.name = self.name();
                Ok(data)
            }
        }
    }

    /// The score runs are selected and reported by, where it is not the task type's
    /// (QM9: MAE, not RMSE); `None` keeps the task type's, and MoleculeNet runs' identities
    /// as they were recorded.
    pub fn metric(&self) -> Option<TaskMetric> {
        match self {
            BenchmarkSet::MoleculeNet(_) => None,
            BenchmarkSet::Qm9(_) => Some(TaskMetric::Mae),
        }
    }

    /// The split of run `seed`.
    pub fn split(&self, data: &MoleculeDataset, seed: u64) -> Result<Split> {
        match self {
            BenchmarkSet::MoleculeNet(_) => scaffold_split(&data.smiles, SplitFractions::default()),
            BenchmarkSet::Qm9(q) => {
                if q.train + q.valid >= data.len() {
                    return Err(TrainError::Invalid(format!(
                        "{}: {} training and {} validation molecules leave no test set of {}",
                        data.name,
                        q.train,
                        q.valid,
                        data.len()
                    )));
                }
                Ok(crate::split::random_split_sizes(
                    data.len(),
                    q.train,
                    q.valid,
                    q.split_seed.unwrap_or(seed),
                ))
            }
        }
    }

    /// Whether the split depends on the seed.
    pub fn split_per_seed(&self) -> bool {
        matches!(self, BenchmarkSet::Qm9(q) if q.split_seed.is_none())
    }

    /// The seed of a split shared by every run seed where it is not the registry's (QM9
    /// with [`Qm9Benchmark::split_seed`]).
    pub fn fixed_split_seed(&self) -> Option<u64> {
        match self {
            BenchmarkSet::Qm9(q) => q.split_seed,
            BenchmarkSet::MoleculeNet(_) => None,
        }
    }
}
