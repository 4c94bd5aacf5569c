//! Scaffold-split parity with pretrain-gnns (RDKit) on the 8 classification sets (needs
//! MOLKD_DATA_DIR, python3 with RDKit and pandas).

mod common;

use std::collections::HashMap;

use common::{data_dir, molkd, rdkit_reference};

#[test]
#[ignore = "needs MOLKD_DATA_DIR and python3 with RDKit"]
fn scaffold_splits_match_pretrain_gnns() {
    let dir = data_dir();
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "bbbp", "tox21", "toxcast", "sider", "clintox", "muv", "hiv", "bace",
    ] {
        let spec = molkd::train::dataset_spec(name).unwrap();
        let ours = tmp.path().join(format!("{name}.molkd.json"));
        let reference = tmp.path().join(format!("{name}.rdkit.json"));
        let (ok, _, stderr) = molkd(&[
            "split",
            "--dataset",
            name,
            "--data-dir",
            dir.to_str().unwrap(),
            "--kind",
            "scaffold",
            "--output",
            ours.to_str().unwrap(),
        ]);
        assert!(ok, "molkd split {name} failed: {stderr}");
        let csv = spec.path_in(&dir).unwrap();
        rdkit_reference(&[
            "split",
            "--csv",
            csv.to_str().unwrap(),
            "--smiles-column",
            spec.smiles_column,
            "--output",
            reference.to_str().unwrap(),
        ]);
        let side = |path: &std::path::Path| -> HashMap<u64, &'static str> {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let mut m = HashMap::new();
            for part in ["train", "valid", "test"] {
                for row in v[part].as_array().unwrap() {
                    m.insert(row.as_u64().unwrap(), part);
                }
            }
            m
        };
        let (a, b) = (side(&ours), side(&reference));
        let rows: std::collections::HashSet<_> = a.keys().chain(b.keys()).collect();
        let same = rows
            .iter()
            .filter(|r| a.get(r) == b.get(r) && a.contains_key(r))
            .count();
        let rate = same as f64 / rows.len() as f64;
        println!(
            "{name}: {same} of {} rows on the same side ({:.3} %); molkd {} rows, RDKit {} rows",
            rows.len(),
            100.0 * rate,
            a.len(),
            b.len()
        );
        assert!(
            rate >= 0.995,
            "{name}: scaffold-split parity {rate:.4} below 99.5 %"
        );
    }
}
