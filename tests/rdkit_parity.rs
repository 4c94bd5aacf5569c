//! RDKit parity of `molkd featurize --scheme ogb` on ≥ 5,000 real SMILES (needs MOLKD_DATA_DIR,
//! python3 with RDKit). Run: `MOLKD_DATA_DIR=../shared/data cargo test --release -- --ignored`.

mod common;

use common::{data_dir, molkd_and_rdkit, sample_smiles};

#[test]
#[ignore = "needs MOLKD_DATA_DIR and python3 with RDKit"]
fn ogb_features_match_rdkit_on_real_smiles() {
    let dir = data_dir();
    let sample = sample_smiles(&dir);
    assert!(sample.len() >= 5000, "only {} SMILES sampled", sample.len());
    let (ours, reference) = molkd_and_rdkit(&sample, &["featurize", "--scheme", "ogb"], "features");
    let mut parsable = 0usize;
    let mut identical = 0usize;
    let mut mismatches = Vec::new();
    for (a, b) in ours.iter().zip(&reference) {
        if b.get("error").is_some() {
            continue;
        }
        parsable += 1;
        if a.get("error").is_none() && a["atoms"] == b["atoms"] && a["bonds"] == b["bonds"] {
            identical += 1;
        } else if mismatches.len() < 10 {
            let what = match a.get("error") {
                Some(e) => format!("molkd error: {e}"),
                None => "features differ".to_string(),
            };
            mismatches.push(format!("{} ({what})", b["smiles"]));
        }
    }
    let rate = identical as f64 / parsable as f64;
    println!(
        "RDKit parity: {identical} of {parsable} RDKit-parsable molecules identical ({:.3} %), {} sampled",
        100.0 * rate,
        sample.len()
    );
    for m in &mismatches {
        println!("  mismatch {m}");
    }
    assert!(rate >= 0.995, "parity {rate:.4} below 99.5 %");
}
