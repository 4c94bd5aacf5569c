//! `molkd train` + `molkd predict` round trip on a user CSV (chemprop-style): bad rows are
//! skipped and counted, the saved model predicts what the library predicts, unparsable input
//! molecules keep their row with an error, a mis-shaped teacher is a clear error, and
//! `--device` runs both on any backend built.

mod common;

use std::path::Path;

use common::{
    assert_times_whole_run, molkd, predict_cli, predict_with, read_report, train, train_epochs,
    user_csv,
};
use molkd::train::Predictor;

#[test]
fn train_then_predict_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let out = tmp.path().join("out");
    let (ok, stdout, stderr) = train(&csv, &out, &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("best epoch"), "{stdout}");
    // Both bad rows skipped, counted and named by kind.
    assert!(
        stderr.contains("kept 48 of 50 rows, skipped 2")
            && stderr.contains("1 invalid SMILES")
            && stderr.contains("1 bad label"),
        "{stderr}"
    );
    let report = read_report(&out);
    assert_eq!(report["skipped"], 2);
    assert_eq!(report["history"].as_array().unwrap().len(), 3);
    for file in [
        "model/model.bpk",
        "model/config.json",
        "model/card.json",
        "learning_curve.svg",
    ] {
        assert!(out.join(file).is_file(), "missing {file}");
    }
    assert!(
        std::fs::read_to_string(out.join("learning_curve.svg"))
            .unwrap()
            .starts_with("<svg")
    );

    // Predict a SMILES file with one unparsable line.
    let input = tmp.path().join("query.smi");
    std::fs::write(&input, "CCN aminoethane\nnot_a_smiles\nc1ccccc1\n").unwrap();
    let output = tmp.path().join("pred.csv");
    let (ok, _, stderr) = predict_cli(&out, &input, &output);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("predicted 3 rows (1 without predictions"),
        "{stderr}"
    );
    let mut reader = csv::Reader::from_path(&output).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["smiles", "has_n", "error"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[1][0], "not_a_smiles");
    assert!(
        rows[1][1].is_empty() && !rows[1][2].is_empty(),
        "{:?}",
        rows[1]
    );

    // The CLI's probabilities are the library's, from the same saved model.
    let device = molkd::default_cpu_device();
    let predictor = Predictor::load(&out, &device).unwrap();
    let expected: Vec<f32> = predictor
        .predict_smiles(&["CCN", "c1ccccc1"])
        .unwrap()
        .into_iter()
        .map(|p| p.unwrap()[0])
        .collect();
    for (row, want) in [&rows[0], &rows[2]].into_iter().zip(expected) {
        let got: f32 = row[1].parse().unwrap();
        assert!(
            (0.0..=1.0).contains(&got) && (got - want).abs() < 1e-5,
            "{got} vs {want}"
        );
    }

    // A CSV input reads the training SMILES column by default.
    let (ok, _, stderr) = predict_cli(&out.join("model"), &csv, &output);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("predicted 50 rows (1 without predictions"),
        "{stderr}"
    );
}

/// The report's `seconds` of a resumed run covers the epochs from before the interruption:
/// it is their recorded times summed, not the resuming process's time.
#[test]
fn resumed_train_reports_whole_run_time() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let out = tmp.path().join("out");
    let (ok, _, stderr) = train_epochs(&csv, &out, "2", &[]);
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = train_epochs(&csv, &out, "3", &["--resume"]);
    assert!(ok, "{stderr}");
    assert_times_whole_run(&read_report(&out), "seconds", 3);
}

#[test]
fn regression_predictions_are_in_label_units() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let out = tmp.path().join("out");
    let (ok, _, stderr) = molkd(&[
        "train",
        "--csv",
        csv.to_str().unwrap(),
        "--targets",
        "heavy",
        "--task",
        "regression",
        "--epochs",
        "2",
        "--layers",
        "2",
        "--dim",
        "16",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let output = tmp.path().join("pred.csv");
    let (ok, _, stderr) = predict_cli(&out, &csv, &output);
    assert!(ok, "{stderr}");
    let values: Vec<f64> = csv::Reader::from_path(&output)
        .unwrap()
        .records()
        .filter_map(|r| r.unwrap()[1].parse().ok())
        .collect();
    assert_eq!(values.len(), 49);
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    // Heavy-atom counts of the fixture average about 11; scaled outputs would sit near 0.
    assert!((3.0..30.0).contains(&mean), "mean prediction {mean}");
}

#[test]
fn mis_shaped_teacher_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let teacher = tmp.path().join("teacher");
    std::fs::create_dir_all(&teacher).unwrap();
    std::fs::write(
        teacher.join("config.json"),
        "{\"atom_vocab_sizes\": [120, 3]}",
    )
    .unwrap();
    let (ok, _, stderr) = train(
        &csv,
        &tmp.path().join("out"),
        &["--teacher", teacher.to_str().unwrap()],
    );
    assert!(!ok);
    // A directory that was not saved as a checkpoint has no checksums to trust it by.
    assert!(
        stderr.contains("checksums.json") && !stderr.contains("panicked"),
        "{stderr}"
    );
    // (Parameters that do not fit their configuration: crates/molkd-train/tests/finetune.rs.)
    // A missing training file names the file.
    let (ok, _, stderr) = molkd(&[
        "train",
        "--csv",
        "/nonexistent.csv",
        "--targets",
        "y",
        "--out",
        tmp.path().join("x").to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("nonexistent.csv"), "{stderr}");
}

/// Probabilities of `molkd predict --device DEVICE` on `input`, one per line.
fn predict_on(device: &str, model: &Path, input: &Path, output: &Path) -> Vec<f32> {
    let (ok, _, stderr) = predict_with(model, input, output, &["--device", device]);
    assert!(ok, "--device {device}: {stderr}");
    csv::Reader::from_path(output)
        .unwrap()
        .records()
        .map(|r| r.unwrap()[1].parse().unwrap())
        .collect()
}

/// `--device` picks the backend: a model trained on one predicts the same on every backend
/// built; an unknown backend, or one this build lacks, is a clear error.
#[test]
fn device_flag_picks_the_backend() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let out = tmp.path().join("out");
    let (ok, _, stderr) = train(&csv, &out, &["--device", "ndarray"]);
    assert!(ok, "{stderr}");
    let input = tmp.path().join("query.smi");
    std::fs::write(&input, "CCN\nc1ccccc1\nCC(=O)Oc1ccccc1C(=O)O\n").unwrap();
    let output = tmp.path().join("pred.csv");
    let reference = predict_on("flex", &out, &input, &output);
    assert_eq!(reference.len(), 3);
    let mut devices = vec!["cpu", "ndarray"];
    if cfg!(feature = "wgpu") {
        devices.push("wgpu");
    }
    for device in devices {
        let got = predict_on(device, &out, &input, &output);
        for (g, r) in got.iter().zip(&reference) {
            assert!(
                (g - r).abs() < 1e-4,
                "--device {device}: {got:?} vs {reference:?}"
            );
        }
    }

    let (ok, _, stderr) = train(&csv, &tmp.path().join("x"), &["--device", "tpu"]);
    assert!(
        !ok && stderr.contains("expected cpu, flex, ndarray, wgpu"),
        "{stderr}"
    );
    let (ok, _, stderr) = train(&csv, &tmp.path().join("gpu"), &["--device", "wgpu"]);
    if cfg!(feature = "wgpu") {
        assert!(ok, "{stderr}");
    } else {
        assert!(
            !ok && stderr.contains("--features wgpu") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

/// The records of a `molkd predict` output.
fn output_rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect()
}

/// `--encoder moleblend`: the relation Transformer trains, saves and predicts through the same
/// commands; flags of the other family, and molecules the model cannot take, are named.
#[test]
fn moleblend_encoder_trains_and_predicts_and_its_bad_input_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = user_csv(tmp.path());
    let out = tmp.path().join("out");
    let moleblend = ["--encoder", "moleblend", "--heads", "4"];
    let (ok, stdout, stderr) = train(&csv, &out, &moleblend);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("best epoch"), "{stdout}");
    let config = std::fs::read_to_string(out.join("model/config.json")).unwrap();
    assert!(config.contains(r#""family": "relation""#), "{config}");
    let card = std::fs::read_to_string(out.join("model/card.json")).unwrap();
    assert!(
        card.contains(r#""scheme": "ogb""#),
        "the original's features: {card}"
    );

    let input = tmp.path().join("query.smi");
    std::fs::write(&input, "CCN\nnot_a_smiles\nc1ccccc1\n").unwrap();
    let output = tmp.path().join("pred.csv");
    let (ok, _, stderr) = predict_cli(&out, &input, &output);
    assert!(ok, "{stderr}");
    let rows = output_rows(&output);
    assert_eq!(rows.len(), 3);
    let p: f32 = rows[0][1].parse().unwrap();
    assert!((0.0..=1.0).contains(&p), "{p}");

    // A size limit: the larger query molecule gets its row's error, the others predictions
    // (the training crop, --cut-length, does not apply to prediction).
    let small = tmp.path().join("small");
    let (ok, _, stderr) = train(
        &csv,
        &small,
        &[
            "--encoder",
            "moleblend",
            "--heads",
            "4",
            "--max-atoms",
            "40",
            "--cut-length",
            "8",
        ],
    );
    assert!(ok, "{stderr}");
    let big = tmp.path().join("big.smi");
    std::fs::write(&big, format!("CCO\n{}\n", "C".repeat(41))).unwrap();
    let output = tmp.path().join("big.csv");
    let (ok, _, stderr) = predict_cli(&small, &big, &output);
    assert!(ok, "{stderr}");
    let rows = output_rows(&output);
    assert!(rows[0][2].is_empty(), "{:?}", rows[0]);
    assert!(
        rows[1][1].is_empty() && rows[1][2].contains("41 atoms, more than the 40"),
        "{:?}",
        rows[1]
    );

    // --init: a blend pre-training's encoder (here a small one, saved untrained) gives the
    // student its architecture and weights.
    let pretrain = tmp.path().join("pretrain");
    let f = molkd::graph::OgbFeaturizer;
    let transformer = molkd::models::RelationTransformerConfig::cpu(
        molkd::graph::Featurizer::atom_vocab_sizes(&f).to_vec(),
        molkd::graph::Featurizer::bond_vocab_sizes(&f).to_vec(),
    )
    .with_num_layers(2)
    .with_d_model(32)
    .with_ffn_dim(32)
    .with_heads(4)
    .with_kernels(8);
    let blend = molkd::models::BlendModelConfig::new(transformer);
    let device = burn::tensor::Device::default();
    molkd::models::Checkpointed::save(
        &blend.init(&device).unwrap(),
        &blend,
        &pretrain.join("model"),
    )
    .unwrap();
    let initialised = tmp.path().join("initialised");
    let (ok, _, stderr) = train(&csv, &initialised, &["--init", pretrain.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let config = std::fs::read_to_string(initialised.join("model/config.json")).unwrap();
    assert!(
        config.contains(r#""kernels": 8"#) && config.contains(r#""family": "relation""#),
        "{config}"
    );
    let (ok, _, stderr) = train(
        &csv,
        &tmp.path().join("init-mismatch"),
        &["--init", pretrain.to_str().unwrap(), "--heads", "8"],
    );
    assert!(!ok && stderr.contains("another architecture"), "{stderr}");

    for (extra, needle) in [
        (
            vec!["--encoder", "gnn", "--init", "somewhere"],
            "--init somewhere: not a pre-training checkpoint",
        ),
        (
            vec!["--encoder", "moleblend", "--conv", "gcn"],
            "--conv only applies to --encoder gnn",
        ),
        (
            vec!["--heads", "4"],
            "--heads only apply to --encoder moleblend",
        ),
        (
            vec!["--cut-length", "8"],
            "--cut-length only apply to --encoder moleblend",
        ),
        (
            vec!["--encoder", "moleblend", "--input", "3d"],
            "has no 3D coordinates",
        ),
    ] {
        let (ok, _, stderr) = train(&csv, &tmp.path().join("refused"), &extra);
        assert!(!ok && stderr.contains(needle), "{extra:?}: {stderr}");
    }
}
