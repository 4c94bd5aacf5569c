//! Bench inputs: real SMILES from `$MOLKD_DATA_DIR` when set, else the committed fixture.
#![allow(dead_code)] // each bench uses part of it

use std::path::PathBuf;

use molkd::graph::Featurizer;
use molkd::train::MOLECULENET;
use molkd::train::data::table::read_table;

/// Up to `max` SMILES, the same list every run: the first rows of each MoleculeNet set in
/// turn when `MOLKD_DATA_DIR` is set, else `tests/fixtures/molecules.smi` repeated.
/// Returns the list and where it came from.
pub fn bench_smiles(max: usize) -> (Vec<String>, String) {
    if let Some(dir) = std::env::var_os("MOLKD_DATA_DIR").map(PathBuf::from) {
        let per_set = max.div_ceil(MOLECULENET.len());
        let mut out = Vec::new();
        for spec in &MOLECULENET {
            let Ok(path) = spec.path_in(&dir) else {
                continue;
            };
            let Ok(table) = read_table(&path, b',') else {
                continue;
            };
            let Ok(c) = table.column(spec.smiles_column) else {
                continue;
            };
            out.extend(
                table
                    .records
                    .iter()
                    .take(per_set)
                    .map(|r| r[c].trim().to_string()),
            );
        }
        if !out.is_empty() {
            out.truncate(max);
            return (out, format!("MoleculeNet ({})", dir.display()));
        }
    }
    let fixture = include_str!("../tests/fixtures/molecules.smi");
    let base: Vec<String> = fixture
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    let out = base.iter().cycle().take(max).cloned().collect();
    (out, "tests/fixtures/molecules.smi".into())
}

/// Featurised molecules for batching benches (unparsable ones dropped).
pub fn bench_graphs(featurizer: &dyn Featurizer, max: usize) -> Vec<molkd::graph::MolGraph> {
    bench_smiles(max)
        .0
        .iter()
        .filter_map(|s| featurizer.featurize(s).ok())
        .collect()
}
