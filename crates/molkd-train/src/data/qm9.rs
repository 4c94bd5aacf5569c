//! QM9 with its DFT geometries (`3d/qm9_full.csv.gz`, or the every-13th subset): 130,831
//! small organic molecules, a SMILES, every atom's position (Å, hydrogens included) and 12
//! quantum-chemical targets each.
//!
//! Molecules are the heavy-atom graphs of the SMILES, as everywhere in molkd; each graph gets
//! the positions of the heavy atoms of the XYZ block, which come in the order of the SMILES'
//! atoms. The loader verifies that per row — same count, same element at every position, every
//! bond shorter than [`MAX_BOND_LENGTH`] — and skips (and counts) rows where it does not hold.

use std::path::Path;

use chematic_core::Element;
use molkd_graph::{Featurizer, MolGraph};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::dataset::{MoleculeDataset, ParsedRow, TaskType};
use super::table::read_table;
use crate::error::{Result, TrainError};

/// Bonded heavy atoms farther apart than this (Å) mean the XYZ block and the SMILES disagree.
pub const MAX_BOND_LENGTH: f32 = 1.9;

/// Hartree in eV (CODATA 2018).
pub const HARTREE_EV: f64 = 27.211_386_245_988;

/// The 12 standard QM9 targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Qm9Target {
    /// Dipole moment μ (D).
    Mu,
    /// Isotropic polarisability α (bohr³).
    Alpha,
    /// HOMO energy (eV).
    Homo,
    /// LUMO energy (eV).
    Lumo,
    /// HOMO–LUMO gap (eV).
    Gap,
    /// Electronic spatial extent ⟨R²⟩ (bohr²).
    R2,
    /// Zero-point vibrational energy (eV).
    Zpve,
    /// Internal energy at 0 K (eV).
    U0,
    /// Internal energy at 298 K (eV).
    U,
    /// Enthalpy at 298 K (eV).
    H,
    /// Free energy at 298 K (eV).
    G,
    /// Heat capacity at 298 K (cal / mol K).
    Cv,
}

impl Qm9Target {
    /// All 12, in the usual order.
    pub const ALL: [Qm9Target; 12] = [
        Qm9Target::Mu,
        Qm9Target::Alpha,
        Qm9Target::Homo,
        Qm9Target::Lumo,
        Qm9Target::Gap,
        Qm9Target::R2,
        Qm9Target::Zpve,
        Qm9Target::U0,
        Qm9Target::U,
        Qm9Target::H,
        Qm9Target::G,
        Qm9Target::Cv,
    ];

    /// The name used on the command line and in task names (`homo`, `u0`, …).
    pub fn name(self) -> &'static str {
        match self {
            Qm9Target::Mu => "mu",
            Qm9Target::Alpha => "alpha",
            Qm9Target::Homo => "homo",
            Qm9Target::Lumo => "lumo",
            Qm9Target::Gap => "gap",
            Qm9Target::R2 => "r2",
            Qm9Target::Zpve => "zpve",
            Qm9Target::U0 => "u0",
            Qm9Target::U => "u",
            Qm9Target::H => "h",
            Qm9Target::G => "g",
            Qm9Target::Cv => "cv",
        }
    }

    /// The column of `qm9_full.csv.gz` holding it.
    pub fn column(self) -> &'static str {
        match self {
            Qm9Target::Mu => "Dipole_debye",
            Qm9Target::Alpha => "Polarizability_bohr3",
            Qm9Target::Homo => "HOMO_au",
            Qm9Target::Lumo => "LUMO_au",
            Qm9Target::Gap => "HOMO_LUMO_gap_au",
            Qm9Target::R2 => "R2_bohr2",
            Qm9Target::Zpve => "ZPVE_au",
            Qm9Target::U0 => "InternalEnergy_0K_au",
            Qm9Target::U => "InternalEnergy_298K_au",
            Qm9Target::H => "Enthalphy_298K_au",
            Qm9Target::G => "GibbsFreeEnergy_298K_au",
            Qm9Target::Cv => "Heatcapacity_Cv_cal_mol_K",
        }
    }

    /// The unit the loader gives it in.
    pub fn unit(self) -> &'static str {
        match self {
            Qm9Target::Mu => "D",
            Qm9Target::Alpha => "bohr³",
            Qm9Target::R2 => "bohr²",
            Qm9Target::Cv => "cal/(mol·K)",
            _ => "eV",
        }
    }

    /// Factor from the file's unit to [`Qm9Target::unit`] (Hartree → eV for energies).
    pub fn scale(self) -> f64 {
        match self.unit() {
            "eV" => HARTREE_EV,
            _ => 1.0,
        }
    }
}

impl std::str::FromStr for Qm9Target {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let lower = s.to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|t| t.name() == lower)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|t| t.name()).collect();
                format!(
                    "unknown QM9 target `{s}` (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// Parses a JSON-like list of numbers or quoted strings, nested as the file writes it
/// (`[[x,y,z],...]`, `['C','H',...]`), into its leaf tokens.
fn list_tokens(cell: &str) -> Vec<&str> {
    cell.split([',', '[', ']'])
        .map(|t| t.trim().trim_matches('\''))
        .filter(|t| !t.is_empty())
        .collect()
}

/// The heavy-atom positions of one row, checked against `graph`.
fn heavy_positions(
    graph: &MolGraph,
    elements: &str,
    xyz: &str,
) -> std::result::Result<Vec<[f32; 3]>, String> {
    let symbols = list_tokens(elements);
    let values: Vec<f32> = list_tokens(xyz)
        .iter()
        .map(|v| {
            v.parse::<f32>()
                .map_err(|_| format!("coordinate `{v}` is not a number"))
        })
        .collect::<std::result::Result<_, _>>()?;
    if values.len() != 3 * symbols.len() {
        return Err(format!(
            "{} coordinates for {} atoms",
            values.len(),
            symbols.len()
        ));
    }
    let heavy: Vec<(usize, &str)> = symbols
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != "H")
        .map(|(k, s)| (k, *s))
        .collect();
    if heavy.len() != graph.num_atoms() {
        return Err(format!(
            "{} heavy atoms in the XYZ block, {} in the SMILES",
            heavy.len(),
            graph.num_atoms()
        ));
    }
    let mut positions = Vec::with_capacity(heavy.len());
    for (i, &(k, symbol)) in heavy.iter().enumerate() {
        let z = Element::from_symbol(symbol)
            .map(|e| i64::from(e.atomic_number()))
            .ok_or_else(|| format!("unknown element `{symbol}`"))?;
        // Feature 0 of both schemes is the atomic number − 1.
        if graph.atom(i)[0] + 1 != z {
            return Err(format!(
                "heavy atom {i} is {symbol} in the XYZ block but atomic number {} in the SMILES",
                graph.atom(i)[0] + 1
            ));
        }
        positions.push([values[3 * k], values[3 * k + 1], values[3 * k + 2]]);
    }
    for &[u, v] in graph.bonds() {
        let (a, b) = (positions[u as usize], positions[v as usize]);
        let d = (0..3).map(|c| (a[c] - b[c]).powi(2)).sum::<f32>().sqrt();
        if d > MAX_BOND_LENGTH {
            return Err(format!(
                "bonded atoms {u} and {v} are {d:.2} Å apart (more than {MAX_BOND_LENGTH} Å): \
                 the XYZ block does not follow the SMILES' atom order"
            ));
        }
    }
    Ok(positions)
}

/// Loads QM9 from `path` (`qm9_full.csv.gz` or `qm9pack_every13th.csv.gz`): graphs with
/// heavy-atom coordinates, labels of `targets` in [`Qm9Target::unit`]s, task names their
/// [`Qm9Target::name`]s. `max_rows` reads only the first rows. Rows whose SMILES does not
/// featurise, whose XYZ block does not match it, or whose targets are not numbers are skipped
/// and counted with their reason.
pub fn load_qm9(
    path: &Path,
    targets: &[Qm9Target],
    featurizer: &dyn Featurizer,
    max_rows: Option<usize>,
) -> Result<MoleculeDataset> {
    if targets.is_empty() {
        return Err(TrainError::Invalid("no QM9 targets given".into()));
    }
    let mut table = read_table(path, b',')?;
    if let Some(n) = max_rows {
        table.records.truncate(n);
        table.rows.truncate(n);
        table.lines.truncate(n);
        table.malformed.retain(|(row, _, _)| *row < n);
    }
    let smiles_col = table.column("SMILES")?;
    let elements_col = table.column("Elements")?;
    let xyz_col = table.column("XYZ_Ang")?;
    let target_cols = targets
        .iter()
        .map(|t| table.column(t.column()))
        .collect::<Result<Vec<_>>>()?;
    let parsed: Vec<std::result::Result<ParsedRow, String>> = table
        .records
        .par_iter()
        .map(|record| {
            let smiles = record[smiles_col].trim();
            let mut labels = Vec::with_capacity(targets.len());
            for (&c, t) in target_cols.iter().zip(targets) {
                let v: f64 = record[c].trim().parse().map_err(|_| {
                    format!("column `{}`: `{}` is not a number", t.column(), &record[c])
                })?;
                labels.push(Some((v * t.scale()) as f32));
            }
            let graph = featurizer.featurize(smiles).map_err(|e| e.to_string())?;
            let positions = heavy_positions(&graph, &record[elements_col], &record[xyz_col])
                .map_err(|e| format!("geometry: {e}"))?;
            let graph = graph.with_coords(positions).map_err(|e| e.to_string())?;
            Ok((smiles.to_string(), graph, labels))
        })
        .collect();
    let task_names = targets.iter().map(|t| t.name().to_string()).collect();
    MoleculeDataset::assemble(
        path,
        &table,
        task_names,
        TaskType::Regression,
        parsed,
        |_| None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use molkd_graph::OgbFeaturizer;

    const HEADER: &str = "Index,SMILES,Elements,XYZ_Ang,Dipole_debye,Polarizability_bohr3,\
        HOMO_au,LUMO_au,HOMO_LUMO_gap_au,R2_bohr2,ZPVE_au,InternalEnergy_0K_au,\
        InternalEnergy_298K_au,Enthalphy_298K_au,GibbsFreeEnergy_298K_au,\
        Heatcapacity_Cv_cal_mol_K";

    fn row(index: usize, smiles: &str, elements: &str, xyz: &str, homo: &str) -> String {
        format!(
            "{index},{smiles},\"{elements}\",\"{xyz}\",0.1,13.2,{homo},0.1,0.5,35.3,0.04,-40.4,-40.4,-40.4,-40.5,6.4\n"
        )
    }

    #[test]
    fn geometry_is_matched_to_the_smiles_or_the_row_is_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("qm9.csv");
        let water = row(
            1,
            "O",
            "['O','H','H']",
            "[[0.0,0.0,0.1],[0.7,0.0,-0.4],[-0.7,0.0,-0.4]]",
            "-0.25",
        );
        // Methanol: C then O, hydrogens interleaved.
        let methanol = row(
            2,
            "CO",
            "['C','H','O','H']",
            "[[0.0,0.0,0.0],[1.0,0.0,0.0],[0.0,1.4,0.0],[0.5,1.8,0.0]]",
            "-0.27",
        );
        let swapped = row(
            3,
            "CO",
            "['O','C']",
            "[[0.0,0.0,0.0],[1.4,0.0,0.0]]",
            "-0.27",
        );
        let stretched = row(
            4,
            "CO",
            "['C','O']",
            "[[0.0,0.0,0.0],[2.5,0.0,0.0]]",
            "-0.27",
        );
        let short = row(
            5,
            "CCO",
            "['C','O']",
            "[[0.0,0.0,0.0],[1.4,0.0,0.0]]",
            "-0.27",
        );
        let bad_label = row(6, "C", "['C']", "[[0.0,0.0,0.0]]", "n/a");
        std::fs::write(
            &path,
            format!("{HEADER}\n{water}{methanol}{swapped}{stretched}{short}{bad_label}"),
        )
        .unwrap();
        let data = load_qm9(
            &path,
            &[Qm9Target::Homo, Qm9Target::Cv],
            &OgbFeaturizer,
            None,
        )
        .unwrap();
        assert_eq!(data.smiles, ["O", "CO"]);
        assert_eq!(data.task_names, ["homo", "cv"]);
        assert_eq!(
            data.graphs[1].coords().unwrap(),
            &[[0.0, 0.0, 0.0], [0.0, 1.4, 0.0]]
        );
        let homo = data.labels_of(0)[0].unwrap();
        assert!((f64::from(homo) + 0.25 * HARTREE_EV).abs() < 1e-4, "{homo}");
        assert_eq!(data.labels_of(0)[1], Some(6.4));
        let reasons: Vec<&str> = data.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons[0].contains("is O in the XYZ block"), "{reasons:?}");
        assert!(reasons[1].contains("2.50 Å apart"), "{reasons:?}");
        assert!(reasons[2].contains("2 heavy atoms in the XYZ block, 3 in the SMILES"));
        assert!(reasons[3].contains("`n/a` is not a number"), "{reasons:?}");
        assert!("GAP".parse::<Qm9Target>() == Ok(Qm9Target::Gap));
        assert!("gapp".parse::<Qm9Target>().is_err());
        // Only the first rows.
        let first = load_qm9(&path, &[Qm9Target::Mu], &OgbFeaturizer, Some(1)).unwrap();
        assert_eq!((first.len(), first.total_rows), (1, 1));
    }
}
