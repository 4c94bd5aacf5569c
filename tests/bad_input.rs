//! Bad input gives clear errors or counted skips, never a panic.

mod common;

use std::io::Write;

use common::{molkd, read_jsonl};
use molkd::graph::OgbFeaturizer;
use molkd::train::{CsvSpec, TaskType, TrainError};

#[test]
fn featurize_reports_invalid_smiles_and_skips_empty_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.smi");
    std::fs::write(
        &input,
        "CCO ethanol\n\nC1CC\n   \nc1ccccc1\nnot-a-smiles\r\n",
    )
    .unwrap();
    let output = tmp.path().join("out.jsonl");
    let (ok, _, stderr) = molkd(&[
        "featurize",
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("2 with errors") && stderr.contains("2 empty lines"),
        "{stderr}"
    );
    let lines = read_jsonl(&output);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["smiles"], "CCO");
    assert_eq!(lines[0]["atoms"].as_array().unwrap().len(), 3);
    assert_eq!(lines[0]["bonds"][0], serde_json::json!([0, 1, 0, 0, 0]));
    assert!(lines[1]["error"].as_str().unwrap().contains("C1CC"));
    assert!(lines[2].get("atoms").is_some());
    assert!(lines[3]["error"].is_string());
}

#[test]
fn featurize_csv_with_missing_column_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.csv");
    std::fs::write(&input, "id,SMILES\n1,CCO\n").unwrap();
    let output = tmp.path().join("out.jsonl");
    let (ok, _, stderr) = molkd(&[
        "featurize",
        "--input",
        input.to_str().unwrap(),
        "--smiles-column",
        "smiles",
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("no column `smiles`") && stderr.contains("SMILES"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_input_works_and_truncated_gzip_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let text: String = (0..2000)
        .map(|i| format!("{}O\n", "C".repeat(1 + i % 7)))
        .collect();
    let bytes = gzip(&text);
    let good = tmp.path().join("good.smi.gz");
    std::fs::write(&good, &bytes).unwrap();
    let out = tmp.path().join("out.jsonl");
    let (ok, _, stderr) = molkd(&[
        "featurize",
        "--input",
        good.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert_eq!(read_jsonl(&out).len(), 2000);

    let truncated = tmp.path().join("truncated.smi.gz");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, _, stderr) = molkd(&[
        "featurize",
        "--input",
        truncated.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(!ok, "a truncated gzip must fail");
    assert!(stderr.contains("truncated or corrupt"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // The same through the CSV path.
    let csv = tmp.path().join("truncated.csv.gz");
    let csv_bytes = gzip(&format!("smiles,y\n{}", text.replace('\n', ",1\n")));
    std::fs::write(&csv, &csv_bytes[..csv_bytes.len() / 2]).unwrap();
    let err = CsvSpec::new("smiles", ["y"])
        .load(&csv, &OgbFeaturizer)
        .unwrap_err();
    assert!(matches!(err, TrainError::Csv { .. }), "{err}");
    assert!(err.to_string().contains("truncated or corrupt"), "{err}");
}

#[test]
fn dataset_load_counts_skipped_rows_with_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data.csv");
    std::fs::write(
        &path,
        "smiles,a,b\r\nCCO,1,0\r\n\r\nC1CC,0,1\r\nc1ccccc1,,1\r\nCCN,yes,0\r\nCC,1\r\nCCC,2,0\r\nCCCl,0,1\r\n",
    )
    .unwrap();
    let data = CsvSpec::new("smiles", ["a", "b"])
        .task_type(TaskType::Classification)
        .load(&path, &OgbFeaturizer)
        .unwrap();
    assert_eq!(data.smiles, ["CCO", "c1ccccc1", "CCCl"]);
    assert_eq!(data.rows, [0, 2, 6], "blank lines are not rows");
    assert_eq!(data.labels_of(1), [None, Some(1.0)]);
    let skipped: Vec<(usize, &str)> = data
        .skipped
        .iter()
        .map(|s| (s.row, s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 4);
    assert!(skipped[0].0 == 1 && skipped[0].1.contains("C1CC"));
    assert!(skipped[1].0 == 3 && skipped[1].1.contains("non-numeric label `yes`"));
    assert!(skipped[2].0 == 4 && skipped[2].1.contains("malformed"));
    assert!(skipped[3].0 == 5 && skipped[3].1.contains("not 0 or 1"));
    let report = data.skip_report().to_string();
    assert!(report.contains("kept 3 of 7 rows"), "{report}");

    let err = CsvSpec::new("smiles", ["missing"])
        .load(&path, &OgbFeaturizer)
        .unwrap_err();
    assert!(err.to_string().contains("no column `missing`"), "{err}");
}

#[test]
fn split_without_data_dir_or_with_unknown_dataset_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s.json");
    let (ok, _, stderr) = molkd(&[
        "split",
        "--dataset",
        "nope",
        "--data-dir",
        tmp.path().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("unknown dataset `nope`"), "{stderr}");
    let (ok, _, stderr) = molkd(&[
        "split",
        "--dataset",
        "bbbp",
        "--data-dir",
        tmp.path().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("BBBP.csv"), "{stderr}");
}
