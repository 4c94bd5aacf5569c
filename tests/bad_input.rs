//! Bad input gives clear errors or counted skips, never a panic.

mod common;

use std::io::Write;

use common::{molkd, read_jsonl, user_csv};
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
        stderr.contains("2 with errors") && stderr.contains("2 blank lines"),
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

/// `molkd train --csv CSV --out OUT ARGS...` with a small model; (success, stderr).
fn train_on(csv: &std::path::Path, out: &std::path::Path, args: &[&str]) -> (bool, String) {
    let mut all = vec![
        "train",
        "--csv",
        csv.to_str().unwrap(),
        "--epochs",
        "1",
        "--layers",
        "2",
        "--dim",
        "8",
        "--out",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let (ok, _, stderr) = molkd(&all);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (ok, stderr)
}

/// Item 9: data that cannot train, or flags that do not go together, fail with one sentence
/// that says what to do, instead of an empty run that exits 0.
#[test]
fn untrainable_data_and_inconsistent_flags_are_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let write = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    // Continuous labels under the default classification task.
    let continuous = write(
        "continuous.csv",
        "smiles,y\nCCO,0.31\nCCN,1.7\nc1ccccc1,2.5\nC1CC,3\n",
    );
    let (ok, stderr) = train_on(&continuous, &out, &["--targets", "y"]);
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("no usable rows")
            && stderr.contains("kept 0 of 4 rows")
            && stderr.contains("did you mean `--task regression`?"),
        "{stderr}"
    );

    let csv = user_csv(tmp.path());
    let text = std::fs::read_to_string(&csv).unwrap();
    // A target without labels, and one with a single class.
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{l},empty,ones"),
            _ => format!("{l},,1"),
        })
        .collect();
    let extra = write("extra.csv", &(lines.join("\n") + "\n"));
    let (ok, stderr) = train_on(&extra, &out, &["--targets", "has_n,empty"]);
    assert!(
        !ok && stderr.contains("target `empty` has no labels"),
        "{stderr}"
    );
    let (ok, stderr) = train_on(&extra, &out, &["--targets", "has_n,ones"]);
    assert!(
        !ok && stderr.contains("target `ones` has only label 1"),
        "{stderr}"
    );
    let (ok, stderr) = train_on(&csv, &out, &["--targets", "has_n,has_n"]);
    assert!(!ok && stderr.contains("named twice"), "{stderr}");
    let duplicated = write(
        "dup.csv",
        &text.replacen("name,smiles,has_n,heavy", "name,smiles,has_n,has_n", 1),
    );
    let (ok, stderr) = train_on(&duplicated, &out, &["--targets", "has_n"]);
    assert!(
        !ok && stderr.contains("names column `has_n` twice"),
        "{stderr}"
    );

    // Splits that leave a set empty.
    let tiny = write("tiny.csv", "smiles,y\nCCO,0\nCCN,1\nCCC,0\n");
    let (ok, stderr) = train_on(&tiny, &out, &["--targets", "y", "--split", "random"]);
    assert!(!ok && stderr.contains("set empty"), "{stderr}");
    let one_scaffold: String = (0..20)
        .map(|i| format!("{}c1ccccc1,{}\n", "C".repeat(i + 1), i % 2))
        .collect();
    let benzenes = write("benzenes.csv", &format!("smiles,y\n{one_scaffold}"));
    let (ok, stderr) = train_on(&benzenes, &out, &["--targets", "y"]);
    assert!(
        !ok && stderr.contains("scaffold split") && stderr.contains("training set empty"),
        "{stderr}"
    );

    // Flags that do not go together name the flags.
    let (ok, stderr) = train_on(&csv, &out, &["--targets", "has_n", "--scheme", "ogb"]);
    assert!(
        !ok && stderr.contains("--conv gin") && stderr.contains("--scheme ogb"),
        "{stderr}"
    );
    let (ok, stderr) = train_on(
        &csv,
        &out,
        &["--targets", "has_n", "--kd", "mse", "--lambda", "2"],
    );
    assert!(
        !ok && stderr.contains("--kd, --lambda") && stderr.contains("--teacher"),
        "{stderr}"
    );
    assert!(!out.join("run").exists(), "nothing was trained");
}

/// A reaction file whose every reaction has a component the pretrain-gnns scheme cannot encode
/// (the palladacycle precatalyst of the Buchwald–Hartwig set) says so and what to use instead.
#[test]
fn unencodable_reactions_name_the_scheme_to_use() {
    let tmp = tempfile::tempdir().unwrap();
    let catalyst = "O=S(=O)(O[Pd]1c2ccccc2-c2ccccc2[NH2]1)C(F)(F)F";
    // 20 reactions, so a held-out tenth still has the two test reactions retrieval needs.
    let amines = [
        "Cc1ccc(N)cc1",
        "Nc1ccccc1",
        "COc1ccc(N)cc1",
        "Nc1ccc(F)cc1",
        "Nc1ccc(Cl)cc1",
    ];
    let halides = ["Clc1ccccn1", "Brc1ccccn1", "Ic1ccccn1", "Clc1ccncc1"];
    let reactions: String = amines
        .iter()
        .flat_map(|a| halides.iter().map(move |h| (a, h)))
        .enumerate()
        .map(|(i, (a, h))| format!("{a}.{h}.{catalyst}>>c1ccc(Nc2ccccn2)cc1,{}\n", 4 * (i + 1)))
        .collect();
    let data = tmp.path().join("bh.csv");
    std::fs::write(&data, format!("smiles,yield\n{reactions}")).unwrap();
    let run = |out: &str, extra: &[&str]| {
        let out = tmp.path().join(out);
        let mut args = vec![
            "pretrain-teacher",
            "--data",
            data.to_str().unwrap(),
            "--format",
            "buchwald-hartwig",
            "--epochs",
            "1",
            "--dim",
            "8",
            "--batch-size",
            "2",
            "--no-cache",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        molkd(&args)
    };
    let (ok, _, stderr) = run("default", &[]);
    assert!(
        !ok && stderr.contains("no usable rows") && stderr.contains("--scheme ogb"),
        "{stderr}"
    );
    let (ok, _, stderr) = run("ogb", &["--scheme", "ogb", "--conv", "sage"]);
    assert!(ok, "{stderr}");
}
