//! What `molkd` must never do to a user's data or results: save a model other than the one its
//! report describes, destroy an input or an earlier run, drop input rows, mix two runs in one
//! history, load a corrupted or edited checkpoint, or write spreadsheet formulas.

mod common;

use std::path::Path;

use common::{molkd, predict_cli, read_report, synthetic_csv, train, train_epochs, user_csv};
use molkd::train::TaskType;
use molkd::train::finetune::TaskMetric;

/// `molkd train` on the synthetic set: classification of `mixed`, GIN 2 × 32, random split.
fn train_synthetic(csv: &Path, out: &Path, epochs: &str, extra: &[&str]) {
    let mut args = vec![
        "train",
        "--csv",
        csv.to_str().unwrap(),
        "--targets",
        "mixed",
        "--split",
        "random",
        "--epochs",
        epochs,
        "--layers",
        "2",
        "--dim",
        "32",
        "--batch-size",
        "16",
        "--lr",
        "0.01",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (ok, _, stderr) = molkd(&args);
    assert!(ok, "{stderr}");
}

fn csv_rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect()
}

/// Item 1: `model/` is the best-validation model, BatchNorm statistics included: predicting the
/// rows of `split.json` with it reproduces the report's validation and test scores.
#[test]
fn saved_model_reproduces_the_reported_best_scores() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = synthetic_csv(tmp.path(), 400);
    let input = csv_rows(&csv);
    let output = tmp.path().join("pred.csv");
    let mut checked = 0;
    // Only runs whose best epoch is not the last one tell a stale model apart.
    for seed in ["1", "2", "3", "4", "5", "6"] {
        let out = tmp.path().join(format!("out{seed}"));
        train_synthetic(&csv, &out, "8", &["--seed", seed]);
        let report = read_report(&out);
        if report["best_epoch"] == 8 {
            continue;
        }
        let split: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("split.json")).unwrap())
                .unwrap();
        let (ok, _, stderr) = predict_cli(&out, &csv, &output);
        assert!(ok, "{stderr}");
        let predicted = csv_rows(&output);
        assert_eq!(predicted.len(), input.len());
        for (part, key) in [("valid", "valid_at_best"), ("test", "test_at_best")] {
            let rows: Vec<usize> = split[part]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_u64().unwrap() as usize)
                .collect();
            assert!(!rows.is_empty());
            let labels: Vec<Option<f32>> = rows.iter().map(|&r| input[r][2].parse().ok()).collect();
            let scores: Vec<f32> = rows
                .iter()
                .map(|&r| predicted[r][1].parse().unwrap())
                .collect();
            let score = TaskMetric::of(TaskType::Classification)
                .score(&labels, &scores, 1)
                .unwrap()
                .unwrap();
            let reported = report[key].as_f64().unwrap();
            assert!(
                (score - reported).abs() < 1e-6,
                "seed {seed}, {part}: the saved model scores {score}, the report says {reported}"
            );
        }
        checked += 1;
    }
    assert!(checked > 0, "no run had its best epoch before the last");
}

/// Item 3: an output never replaces an input, and a failed run leaves an earlier output as it
/// was.
#[test]
fn outputs_never_destroy_inputs_or_earlier_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.smi");
    std::fs::write(&input, "CCO\nc1ccccc1\n").unwrap();
    let (ok, _, stderr) = molkd(&[
        "featurize",
        "--input",
        input.to_str().unwrap(),
        "--output",
        input.to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("is the input"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&input).unwrap(), "CCO\nc1ccccc1\n");
    // Through another spelling of the same path.
    let other = format!("{}/./in.smi", tmp.path().display());
    let (ok, _, _) = molkd(&[
        "featurize",
        "--input",
        &other,
        "--output",
        input.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert_eq!(std::fs::read_to_string(&input).unwrap(), "CCO\nc1ccccc1\n");

    // A run that fails (missing or unreadable input) keeps the existing output.
    let output = tmp.path().join("out.jsonl");
    std::fs::write(&output, "earlier results\n").unwrap();
    let missing = tmp.path().join("missing.smi");
    let (ok, _, _) = molkd(&[
        "featurize",
        "--input",
        missing.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(!ok);
    let garbage = tmp.path().join("garbage.smi.gz");
    std::fs::write(&garbage, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    let (ok, _, _) = molkd(&[
        "featurize",
        "--input",
        garbage.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "earlier results\n"
    );

    // predict refuses to replace its CSV input with its predictions.
    let csv = user_csv(tmp.path());
    let before = std::fs::read(&csv).unwrap();
    let out = tmp.path().join("run");
    let (ok, _, stderr) = train(&csv, &out, &[]);
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = predict_cli(&out, &csv, &csv);
    assert!(!ok && stderr.contains("is the input"), "{stderr}");
    assert_eq!(std::fs::read(&csv).unwrap(), before);
}

/// Item 4: one output row per input row, in order: empty SMILES cells, rows with a wrong field
/// count and rows that are not UTF-8 keep their place with an error.
#[test]
fn every_input_row_gets_an_output_row() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let out = tmp.path().join("run");
    let (ok, _, stderr) = train(&csv, &out, &[]);
    assert!(ok, "{stderr}");

    let input = tmp.path().join("query.csv");
    let mut bytes = b"id,smiles,note\n1,CCO,a\n2,,empty\n3,CCN,too,many\n4,c1ccccc1,b\n".to_vec();
    bytes.extend_from_slice(b"5,C\xff\xfeC,latin1\n6,CC(=O)O,c\n7,not_a_smiles,d\n");
    bytes.extend_from_slice(b"8,CCCl\n9,O,e\n10,N,f\n");
    std::fs::write(&input, &bytes).unwrap();
    let output = tmp.path().join("pred.csv");
    let (ok, _, stderr) = predict_cli(&out, &input, &output);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("predicted 10 rows (5 without"), "{stderr}");
    let rows = csv_rows(&output);
    assert_eq!(rows.len(), 10, "{rows:?}");
    let errors: Vec<bool> = rows.iter().map(|r| !r[2].is_empty()).collect();
    assert_eq!(
        errors,
        [
            false, true, true, false, true, false, true, true, false, false
        ]
    );
    assert!(rows[1][2].contains("empty SMILES"), "{:?}", rows[1]);
    assert!(rows[2][2].contains("4 fields"), "{:?}", rows[2]);
    assert!(rows[4][2].contains("UTF-8"), "{:?}", rows[4]);
    assert!(rows[7][2].contains("2 fields"), "{:?}", rows[7]);
    assert_eq!(&rows[3][0], "c1ccccc1");

    // CSV-mode featurize: the same rows, the same order.
    let jsonl = tmp.path().join("features.jsonl");
    let (ok, _, stderr) = molkd(&[
        "featurize",
        "--input",
        input.to_str().unwrap(),
        "--smiles-column",
        "smiles",
        "--output",
        jsonl.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let lines = common::read_jsonl(&jsonl);
    assert_eq!(lines.len(), 10);
    let errors: Vec<bool> = lines.iter().map(|l| l.get("error").is_some()).collect();
    assert_eq!(
        errors,
        [
            false, true, true, false, true, false, true, true, false, false
        ]
    );

    // A `.smi` file: a byte-order mark is no part of the first SMILES, a non-UTF-8 line keeps
    // its row.
    let smi = tmp.path().join("bom.smi");
    std::fs::write(&smi, b"\xEF\xBB\xBFCCO first\nC\xffC\n\nc1ccccc1\n").unwrap();
    let (ok, _, stderr) = molkd(&[
        "featurize",
        "--input",
        smi.to_str().unwrap(),
        "--output",
        jsonl.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let lines = common::read_jsonl(&jsonl);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["smiles"], "CCO");
    assert!(lines[0].get("atoms").is_some(), "{}", lines[0]);
    assert!(lines[1]["error"].as_str().unwrap().contains("UTF-8"));
}

/// Item 5: `--out` holding a run is refused unless `--resume` or `--overwrite`; overwriting
/// leaves no file of the old run; a directory in use by another process is refused, naming it.
#[test]
fn output_directory_is_never_silently_overwritten_or_shared() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let out = tmp.path().join("run");
    let (ok, _, stderr) = train(&csv, &out, &[]);
    assert!(ok, "{stderr}");
    let model = std::fs::read(out.join("model/model.bpk")).unwrap();
    let (ok, _, stderr) = train(&csv, &out, &["--seed", "3"]);
    assert!(
        !ok && stderr.contains("not empty") && stderr.contains("--overwrite"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(out.join("model/model.bpk")).unwrap(), model);

    // --overwrite replaces the run: no checkpoint of the old one is left beside the new.
    std::fs::write(out.join("run/epoch-0099"), "stale").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let (ok, _, stderr) = train_epochs(&csv, &out, "2", &["--seed", "3", "--overwrite"]);
    assert!(ok, "{stderr}");
    assert!(!out.join("run/epoch-0099").exists());
    assert_eq!(read_report(&out)["history"].as_array().unwrap().len(), 2);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );

    // A second process on a directory in use is refused, naming the first.
    let busy = tmp.path().join("busy");
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_molkd"))
        .args([
            "train",
            "--csv",
            csv.to_str().unwrap(),
            "--targets",
            "has_n",
            "--split",
            "random",
            "--epochs",
            "200",
            "--layers",
            "2",
            "--dim",
            "16",
            "--out",
            busy.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = busy.join(".molkd.lock");
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&lock).map_or(true, |s| s.trim().is_empty()) {
        assert!(
            start.elapsed().as_secs() < 60,
            "the first run never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (ok, _, stderr) = train(&csv, &busy, &["--resume"]);
    let _ = first.kill();
    let _ = first.wait();
    assert!(
        !ok && stderr.contains(&format!("in use by process {}", first.id())),
        "{stderr}"
    );
}

/// Item 6: `--resume` with other settings or other data is an error naming what differs.
#[test]
fn resume_refuses_other_settings_or_data() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let out = tmp.path().join("run");
    let (ok, _, stderr) = train_epochs(&csv, &out, "1", &[]);
    assert!(ok, "{stderr}");
    let other_csv = tmp.path().join("other.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&other_csv, text.replacen(",1,", ",0,", 1)).unwrap();
    for (extra, field) in [
        (vec!["--seed", "5"], "config.optim.seed"),
        (vec!["--lr", "0.01"], "config.optim.lr"),
        (vec!["--split", "scaffold"], "split"),
        (vec!["--dropout", "0.2"], "config.model.encoder.dropout"),
    ] {
        let mut args = extra.clone();
        args.push("--resume");
        let (ok, _, stderr) = train_epochs(&csv, &out, "2", &args);
        assert!(!ok && stderr.contains(field), "{extra:?}: {stderr}");
    }
    let (ok, _, stderr) = train_epochs(&other_csv, &out, "2", &["--resume"]);
    assert!(!ok && stderr.contains("`data`"), "{stderr}");
    let (ok, _, stderr) = molkd(&[
        "train",
        "--csv",
        csv.to_str().unwrap(),
        "--targets",
        "heavy",
        "--task",
        "regression",
        "--split",
        "random",
        "--epochs",
        "2",
        "--layers",
        "2",
        "--dim",
        "32",
        "--batch-size",
        "8",
        "--out",
        out.to_str().unwrap(),
        "--resume",
    ]);
    assert!(!ok && stderr.contains("`data`"), "{stderr}");
    // The same settings resume.
    let (ok, _, stderr) = train_epochs(&csv, &out, "2", &["--resume"]);
    assert!(ok, "{stderr}");
    assert_eq!(read_report(&out)["history"].as_array().unwrap().len(), 2);
}

/// Item 7: a flipped bit in the weights, an edited configuration or model card is an error; a
/// model whose outputs are not finite gets error rows, not NaN predictions.
#[test]
fn corrupted_or_edited_checkpoints_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let out = tmp.path().join("run");
    let (ok, _, stderr) = train(&csv, &out, &[]);
    assert!(ok, "{stderr}");
    let input = tmp.path().join("q.smi");
    std::fs::write(&input, "CCO\nCCN\n").unwrap();
    let output = tmp.path().join("pred.csv");

    let weights = out.join("model/model.bpk");
    let original = std::fs::read(&weights).unwrap();
    let mut flipped = original.clone();
    let at = flipped.len() - 9;
    flipped[at] ^= 0x10;
    std::fs::write(&weights, &flipped).unwrap();
    let (ok, _, stderr) = predict_cli(&out, &input, &output);
    assert!(!ok && stderr.contains("checksum mismatch"), "{stderr}");
    std::fs::write(&weights, &original).unwrap();

    let config = out.join("model/config.json");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("\"mean\"", "\"sum\"")).unwrap();
    let (ok, _, stderr) = predict_cli(&out, &input, &output);
    assert!(
        !ok && stderr.contains("config.json: checksum mismatch"),
        "{stderr}"
    );
    std::fs::write(&config, text).unwrap();

    let card = out.join("model/card.json");
    let text = std::fs::read_to_string(&card).unwrap();
    std::fs::write(&card, text.replace("has_n", "is_toxic")).unwrap();
    let (ok, _, stderr) = predict_cli(&out, &input, &output);
    assert!(
        !ok && stderr.contains("card.json: checksum mismatch"),
        "{stderr}"
    );
    std::fs::write(&card, text).unwrap();

    let (ok, _, stderr) = predict_cli(&out, &input, &output);
    assert!(ok, "{stderr}");

    // A model with a NaN weight, saved as a valid checkpoint: no NaN reaches the output.
    let device = molkd::default_cpu_device();
    let predictor = molkd::train::Predictor::load(&out, &device).unwrap();
    let mut poisoned = predictor.model().clone();
    poisoned.head.bias = poisoned
        .head
        .bias
        .map(|b| b.map(|t| t.mul_scalar(f32::NAN)));
    let nan_dir = tmp.path().join("nan");
    molkd::train::Predictor::new(
        poisoned,
        predictor.config().clone(),
        predictor.card().clone(),
    )
    .unwrap()
    .save(&nan_dir)
    .unwrap();
    let (ok, _, stderr) = predict_cli(&nan_dir, &input, &output);
    assert!(ok, "{stderr}");
    let rows = csv_rows(&output);
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert!(
            row[1].is_empty() && row[2].contains("not finite"),
            "{row:?}"
        );
    }
}

/// Item 10: cells that a spreadsheet would run as formulas are written as text.
#[test]
fn predict_output_is_spreadsheet_safe() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let out = tmp.path().join("run");
    let (ok, _, stderr) = train(&csv, &out, &[]);
    assert!(ok, "{stderr}");
    let input = tmp.path().join("q.csv");
    std::fs::write(
        &input,
        "smiles\n=HYPERLINK(\"http://x\")\n+A1\n@SUM(A1)\n-C\nCCO\n",
    )
    .unwrap();
    let output = tmp.path().join("pred.csv");
    let (ok, _, stderr) = predict_cli(&out, &input, &output);
    assert!(ok, "{stderr}");
    let rows = csv_rows(&output);
    assert_eq!(rows.len(), 5);
    for row in &rows[..4] {
        assert!(row[0].starts_with('\''), "{row:?}");
        assert!(!row[2].starts_with(['=', '+', '-', '@']), "{row:?}");
    }
    assert_eq!(&rows[4][0], "CCO");
    assert!(rows[4][1].parse::<f32>().is_ok());
}
