//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use molkd::graph::{Featurizer, Reaction};
use molkd::train::MOLECULENET;
use molkd::train::data::table::{open_text, read_table};

/// `$MOLKD_DATA_DIR`; the real-data tests are `#[ignore]`d and need it.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("MOLKD_DATA_DIR")
        .map(PathBuf::from)
        .expect("set MOLKD_DATA_DIR to the shared data folder to run the real-data tests");
    assert!(
        dir.is_dir(),
        "MOLKD_DATA_DIR={} is not a folder",
        dir.display()
    );
    dir
}

/// The Python interpreter with RDKit (`$MOLKD_PYTHON`, default `python3`).
pub fn python() -> String {
    std::env::var("MOLKD_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs `scripts/rdkit_reference.py` with `args`, failing the test with its stderr.
pub fn rdkit_reference(args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/rdkit_reference.py");
    let out = Command::new(python())
        .arg(&script)
        .args(args)
        .output()
        .expect("run python3 (install it, with `pip install rdkit pandas`)");
    assert!(
        out.status.success(),
        "rdkit_reference.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the `molkd` binary, returning (success, stdout, stderr).
pub fn molkd(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_molkd"))
        .args(args)
        .output()
        .expect("run molkd");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `OUT/report.json` of a `molkd` job.
pub fn read_report(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("report.json")).expect("read report.json");
    serde_json::from_str(&text).expect("parse report.json")
}

/// Checks that a resumed job's report has `epochs` epochs and times the whole run: `field` is
/// its history's epoch times summed (those from before the resume included), not the
/// resuming process's time, which is `process_seconds`.
pub fn assert_times_whole_run(report: &serde_json::Value, field: &str, epochs: usize) {
    let history = report["history"].as_array().expect("history");
    assert_eq!(history.len(), epochs, "{report}");
    let summed: f64 = history.iter().map(|e| e["seconds"].as_f64().unwrap()).sum();
    let seconds = report[field].as_f64().expect(field);
    assert!((seconds - summed).abs() < 1e-9, "{field}: {report}");
    assert!(
        report["process_seconds"].as_f64().unwrap() > 0.0,
        "{report}"
    );
}

/// Every `step`-th element (after de-duplication) so a sample spans the whole file.
fn spread(items: Vec<String>, want: usize) -> Vec<String> {
    let mut seen = HashSet::new();
    let unique: Vec<String> = items
        .into_iter()
        .filter(|s| seen.insert(s.clone()))
        .collect();
    let step = (unique.len() / want.max(1)).max(1);
    unique.into_iter().step_by(step).take(want).collect()
}

fn column(path: &Path, delimiter: u8, name: &str) -> Vec<String> {
    let table = read_table(path, delimiter).expect("read table");
    let c = table.column(name).expect("column");
    table
        .records
        .iter()
        .map(|r| r[c].trim().to_string())
        .collect()
}

fn components(reactions: Vec<String>) -> Vec<String> {
    reactions
        .iter()
        .filter_map(|r| Reaction::parse(r).ok())
        .flat_map(|r| r.reactants.into_iter().chain(r.agents).chain(r.products))
        .collect()
}

fn tar_member_lines(path: &Path) -> Vec<String> {
    let mut archive = tar::Archive::new(open_text(path).expect("open tar.gz"));
    let mut lines = Vec::new();
    for entry in archive.entries().expect("tar entries") {
        let mut entry = entry.expect("tar entry");
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("tar member text");
        lines.extend(text.lines().map(str::to_string));
    }
    lines
}

/// A deterministic sample of SMILES from all of the shared data: every MoleculeNet file,
/// reaction components of every reaction file, and QM9 molecules.
pub fn sample_smiles(dir: &Path) -> Vec<String> {
    let mut sample = Vec::new();
    for spec in &MOLECULENET {
        let path = spec.path_in(dir).expect("MoleculeNet file");
        sample.extend(spread(column(&path, b',', spec.smiles_column), 380));
    }
    let rx = dir.join("reactions");
    let uspto = column(&rx.join("uspto_yields_above.csv.xz"), b',', "rxn");
    sample.extend(spread(components(spread(uspto, 400)), 700));
    let doyle = column(
        &rx.join("buchwald_hartwig/doyle_FullCV_01.csv"),
        b',',
        "smiles",
    );
    sample.extend(spread(components(doyle), 150));
    let suzuki = column(&rx.join("suzuki_miyaura/random_split_0.tsv"), b'\t', "rxn");
    sample.extend(spread(components(suzuki), 150));
    let jin = tar_member_lines(&rx.join("uspto_480k_jin/test.txt.tar.gz"));
    sample.extend(spread(components(spread(jin, 300)), 500));
    let molr = read_table(&rx.join("molr/real_reaction_test.csv"), b',').expect("molr");
    sample.extend(
        molr.records
            .iter()
            .flat_map(|r| (0..6).map(move |c| r[c].to_string())),
    );
    let qm9 = column(&dir.join("3d/qm9pack_every13th.csv.gz"), b',', "SMILES");
    sample.extend(spread(qm9, 300));
    let mut seen = HashSet::new();
    sample.retain(|s| !s.is_empty() && seen.insert(s.clone()));
    sample
}

/// Reads a JSON-lines file.
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    let file = std::fs::File::open(path).expect("open jsonl");
    BufReader::new(file)
        .lines()
        .map(|l| serde_json::from_str(&l.expect("line")).expect("json"))
        .collect()
}

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/molecules.smi");

/// The fixture molecules as `name,smiles,has_n,heavy`, plus one row with an invalid SMILES
/// and one with a non-numeric label.
pub fn user_csv(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let mut csv = String::from("name,smiles,has_n,heavy\n");
    for (i, line) in text.lines().enumerate() {
        let Some(smiles) = line.split_whitespace().next() else {
            continue;
        };
        let has_n = u8::from(smiles.contains('N') || smiles.contains('n'));
        let heavy = molkd::graph::PretrainGnnFeaturizer
            .featurize(smiles)
            .unwrap()
            .num_atoms();
        csv.push_str(&format!("m{i},\"{smiles}\",{has_n},{heavy}\n"));
    }
    csv.push_str("bad1,C1CC(,1,3\n");
    csv.push_str("bad2,CCO,yes,3\n");
    let path = dir.join("user.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

/// `molkd train` of `has_n` on `csv` (random split, 3 epochs, GIN 2 × 32) into `out`.
pub fn train(csv: &Path, out: &Path, extra: &[&str]) -> (bool, String, String) {
    train_epochs(csv, out, "3", extra)
}

/// [`train`] for `epochs` epochs.
pub fn train_epochs(
    csv: &Path,
    out: &Path,
    epochs: &str,
    extra: &[&str],
) -> (bool, String, String) {
    let mut args = vec![
        "train",
        "--csv",
        csv.to_str().unwrap(),
        "--targets",
        "has_n",
        "--split",
        "random",
        "--epochs",
        epochs,
        "--layers",
        "2",
        "--dim",
        "32",
        "--batch-size",
        "8",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    molkd(&args)
}

/// `molkd predict --model MODEL --input INPUT --output OUTPUT [EXTRA...]`.
pub fn predict_cli(model: &Path, input: &Path, output: &Path) -> (bool, String, String) {
    predict_with(model, input, output, &[])
}

/// `molkd predict` with extra flags.
pub fn predict_with(
    model: &Path,
    input: &Path,
    output: &Path,
    extra: &[&str],
) -> (bool, String, String) {
    let mut args = vec![
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    molkd(&args)
}

/// A CSV `smiles,has_n,mixed,logp_like` of `n` (≤ 640) small synthetic molecules: a chain, a
/// substituent and a second chain, every SMILES valid. `has_n` is 1 for nitrogen-bearing
/// substituents (easy to learn); `mixed` is 1 for a third of the molecules by an arithmetic
/// rule over both chain lengths and the substituent (hard to learn, so scores stay far from
/// 1); `logp_like` is a value that grows with the carbon count.
pub fn synthetic_csv(dir: &Path, n: usize) -> PathBuf {
    const SUBSTITUENTS: [&str; 10] = [
        "O", "N", "S", "C(=O)O", "C(=O)N", "c1ccccc1", "c1ccncc1", "C(Cl)", "OC", "NC(=O)",
    ];
    let mut csv = String::from("smiles,has_n,mixed,logp_like\n");
    let mut count = 0;
    'outer: for left in 1..=8 {
        for right in 1..=8 {
            for (k, sub) in SUBSTITUENTS.iter().enumerate() {
                if count == n {
                    break 'outer;
                }
                let smiles = format!("{}{sub}{}", "C".repeat(left), "C".repeat(right));
                let has_n = u8::from(sub.contains('N') || sub.contains('n'));
                let value = 0.5 * (left + right) as f64 - if has_n == 1 { 1.0 } else { 0.0 };
                let mixed = u8::from((left + 2 * right + k) % 3 == 0);
                csv.push_str(&format!("{smiles},{has_n},{mixed},{value}\n"));
                count += 1;
            }
        }
    }
    let path = dir.join("synthetic.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

/// Writes `smiles` (one per line) to a temporary file, runs `molkd ARGS --input IN --output
/// OUT` and `rdkit_reference.py COMMAND IN OUT` on it, and returns both JSON-lines outputs,
/// each checked to have one line per input SMILES in input order.
pub fn molkd_and_rdkit(
    smiles: &[String],
    molkd_args: &[&str],
    rdkit_command: &str,
) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("sample.smi");
    std::fs::write(&input, smiles.join("\n") + "\n").unwrap();
    let ours = tmp.path().join("molkd.jsonl");
    let reference = tmp.path().join("rdkit.jsonl");
    let mut args = molkd_args.to_vec();
    args.extend([
        "--input",
        input.to_str().unwrap(),
        "--output",
        ours.to_str().unwrap(),
    ]);
    let (ok, _, stderr) = molkd(&args);
    assert!(ok, "molkd {molkd_args:?} failed: {stderr}");
    rdkit_reference(&[
        rdkit_command,
        input.to_str().unwrap(),
        reference.to_str().unwrap(),
    ]);
    let (ours, reference) = (read_jsonl(&ours), read_jsonl(&reference));
    assert_eq!(ours.len(), smiles.len());
    assert_eq!(reference.len(), smiles.len());
    for (a, b) in ours.iter().zip(&reference) {
        assert_eq!(a["smiles"], b["smiles"], "outputs are in input order");
    }
    (ours, reference)
}
