//! Student fine-tuning on the hand-written fixture molecules (label: "has a nitrogen"):
//! it learns, a resumed run ends exactly where an uninterrupted one does, distillation from a
//! saved teacher runs, and bad distillation set-ups are clear errors.

use std::path::Path;

use burn::tensor::Device;
use molkd_distill::{KdConfig, KdForm};
use molkd_graph::{FeatureScheme, Featurizer, PretrainGnnFeaturizer};
use molkd_models::{
    Checkpointed, ConvKind, GnnEncoderConfig, StudentModelConfig, TeacherModelConfig,
};
use molkd_train::data::{CsvSpec, MoleculeDataset, TaskType};
use molkd_train::finetune::{
    FinetuneConfig, TargetScaler, TaskMetric, TeacherEmbeddings, finetune_student,
};
use molkd_train::optim::OptimConfig;
use molkd_train::run_dir::RunDir;
use molkd_train::split::Split;

/// burn's device generator and molkd's host generator are per process: runs that must be
/// reproducible cannot overlap, so these tests take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/molecules.smi"
);

/// The fixture as a CSV `smiles,has_n,heavy` (classification and regression labels).
fn dataset(dir: &Path, task_type: TaskType) -> MoleculeDataset {
    let text = std::fs::read_to_string(FIXTURE).expect("fixture");
    let mut csv = String::from("smiles,has_n,heavy\n");
    for line in text.lines() {
        let Some(smiles) = line.split_whitespace().next() else {
            continue;
        };
        let has_n = smiles.contains('N') || smiles.contains('n');
        let heavy = PretrainGnnFeaturizer
            .featurize(smiles)
            .expect("fixture parses")
            .num_atoms();
        csv.push_str(&format!("{smiles},{},{heavy}\n", u8::from(has_n)));
    }
    let path = dir.join("fixture.csv");
    std::fs::write(&path, csv).expect("write");
    let column = match task_type {
        TaskType::Classification => "has_n",
        TaskType::Regression => "heavy",
    };
    CsvSpec::new("smiles", [column])
        .task_type(task_type)
        .load(&path, &PretrainGnnFeaturizer)
        .expect("load")
}

fn config(epochs: usize) -> FinetuneConfig {
    let f = PretrainGnnFeaturizer;
    let encoder =
        GnnEncoderConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
            .with_num_layers(2)
            .with_d_model(32)
            .with_dropout(0.1);
    FinetuneConfig::new(
        StudentModelConfig::new(encoder, 1),
        OptimConfig::new()
            .with_epochs(epochs)
            .with_batch_size(8)
            .with_lr(5e-3)
            .with_seed(3),
    )
}

/// Every molecule in every part: the test is whether training fits, not generalisation.
fn everything(n: usize) -> Split {
    let all: Vec<usize> = (0..n).collect();
    Split {
        train: all.clone(),
        valid: all.clone(),
        test: all,
    }
}

#[test]
fn student_learns_and_resumed_run_matches_uninterrupted_run() {
    let _serial = serial();
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    assert_eq!(data.len(), 48, "{}", data.skip_report());
    let split = everything(data.len());
    let device = Device::flex().autodiff();
    let f = &PretrainGnnFeaturizer;

    let straight = RunDir::create(tmp.path().join("straight")).expect("run");
    let a = finetune_student(
        &config(6),
        f,
        &data,
        &split,
        None,
        &device,
        Some(&straight),
        false,
    )
    .expect("train");
    let first = a.state.history[0].valid.expect("score");
    let best = a.state.valid_at_best().expect("score");
    assert!(
        best > 0.85 && best > first,
        "valid ROC-AUC {first} → {best}"
    );
    assert!(a.state.history[5].train_loss < a.state.history[0].train_loss);
    assert!(straight.path().join("best/model.bpk").is_file());

    let split_run = RunDir::create(tmp.path().join("split")).expect("run");
    finetune_student(
        &config(3),
        f,
        &data,
        &split,
        None,
        &device,
        Some(&split_run),
        false,
    )
    .expect("first half");
    let b = finetune_student(
        &config(6),
        f,
        &data,
        &split,
        None,
        &device,
        Some(&split_run),
        true,
    )
    .expect("resume");
    assert_eq!(b.state.history.len(), 6);
    for (x, y) in a.state.history.iter().zip(&b.state.history) {
        assert_eq!(
            (x.train_loss, x.valid, x.test),
            (y.train_loss, y.valid, y.test),
            "epoch {}",
            x.epoch
        );
    }
    assert_eq!(a.state.best_epoch, b.state.best_epoch);
    assert_eq!(a.state.test_at_best(), b.state.test_at_best());
    // The epochs before the interruption keep their wall time through the checkpoint.
    assert!(
        b.state
            .history
            .iter()
            .all(|e| e.seconds.is_some_and(|s| s > 0.0)),
        "{:?}",
        b.state.history
    );

    // A different architecture cannot resume this run.
    let mut other = config(6);
    other.model.encoder.d_model = 16;
    let err = finetune_student(
        &other,
        f,
        &data,
        &split,
        None,
        &device,
        Some(&split_run),
        true,
    )
    .err()
    .expect("mismatch");
    assert!(err.to_string().contains("differs"), "{err}");
}

#[test]
fn regression_targets_are_scaled_and_scored_in_label_units() {
    let _serial = serial();
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Regression);
    let all: Vec<usize> = (0..data.len()).collect();
    let scaler = TargetScaler::fit(&data, &all);
    let labels: Vec<f32> = data.labels.iter().map(|l| l.expect("label")).collect();
    let mean = labels.iter().sum::<f32>() / labels.len() as f32;
    assert!((scaler.mean[0] - mean).abs() < 1e-4);
    let mut back = vec![0.0f32, 1.0];
    scaler.unscale(&mut back);
    assert!((back[0] - mean).abs() < 1e-4 && (back[1] - mean - scaler.std[0]).abs() < 1e-4);

    // RMSE per task over labelled entries, then the mean over tasks.
    let rmse = TaskMetric::Rmse
        .score(
            &[Some(1.0), None, Some(3.0), Some(2.0)],
            &[2.0, 9.0, 3.0, 5.0],
            2,
        )
        .expect("score")
        .expect("defined");
    assert!(
        (rmse - (((1.0f64 + 0.0) / 2.0).sqrt() + 3.0) / 2.0).abs() < 1e-9,
        "{rmse}"
    );

    let device = Device::flex().autodiff();
    // 16 epochs: with batches of 8 the BatchNorm running statistics that evaluation uses
    // take ~8 epochs to settle (validation RMSE swings 4–14 before, under 4.5 after).
    let done = finetune_student(
        &config(16),
        &PretrainGnnFeaturizer,
        &data,
        &everything(data.len()),
        None,
        &device,
        None,
        false,
    )
    .expect("train");
    let spread = (labels.iter().map(|y| (y - mean).powi(2)).sum::<f32>() / labels.len() as f32)
        .sqrt() as f64;
    let best = done.state.valid_at_best().expect("rmse");
    // Better than predicting the mean, in heavy-atom units.
    assert!(best < spread, "RMSE {best} vs spread {spread}");
}

fn save_teacher(dir: &Path, d_model: usize) {
    let f = PretrainGnnFeaturizer;
    let config =
        TeacherModelConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
            .with_conv(ConvKind::Gcn)
            .with_d_model(d_model);
    let teacher = config.init(&Device::flex()).expect("teacher");
    teacher.save(&config, dir).expect("save");
}

#[test]
fn distillation_from_a_saved_teacher() {
    let _serial = serial();
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    let split = everything(data.len());
    let teacher_dir = tmp.path().join("teacher");
    save_teacher(&teacher_dir, 24);
    let device = Device::flex().autodiff();
    let teacher =
        TeacherEmbeddings::compute(&teacher_dir, &data, FeatureScheme::PretrainGnns, &device)
            .expect("embed");
    assert_eq!((teacher.len(), teacher.dim()), (data.len(), 24));
    // Re-featurising for a teacher of another scheme gives the same when schemes agree.
    let ogb = TeacherEmbeddings::compute(&teacher_dir, &data, FeatureScheme::Ogb, &device)
        .expect("embed");
    let probe = [0usize, 7, 47];
    let same = teacher.batch(&probe, &device) - ogb.batch(&probe, &device);
    assert!(same.abs().max().into_scalar::<f32>() < 1e-5);

    for form in [
        KdForm::Mse,
        KdForm::Cosine,
        KdForm::Contrastive,
        KdForm::Relational,
    ] {
        let mut c = config(2).with_kd(Some(KdConfig::new().with_form(form)));
        c.model.projection_dim = Some(24);
        let done = finetune_student(
            &c,
            &PretrainGnnFeaturizer,
            &data,
            &split,
            Some(&teacher),
            &device,
            None,
            false,
        )
        .expect("distil");
        let kd = done.state.history[1].kd_loss.expect("kd loss");
        assert!(kd.is_finite() && kd > 0.0, "{form}: {kd}");
    }

    // Logit distillation needs a teacher task head; widths must agree; the teacher is needed.
    let error = |c: &FinetuneConfig, teacher: Option<&TeacherEmbeddings>| {
        finetune_student(
            c,
            &PretrainGnnFeaturizer,
            &data,
            &split,
            teacher,
            &device,
            None,
            false,
        )
        .err()
        .expect("a bad set-up must fail")
        .to_string()
    };
    let mut c = config(1).with_kd(Some(KdConfig::new().with_form(KdForm::Logit)));
    c.model.projection_dim = Some(24);
    let err = error(&c, Some(&teacher));
    assert!(err.contains("task head"), "{err}");
    let mut c = config(1).with_kd(Some(KdConfig::new()));
    c.model.projection_dim = Some(16);
    let err = error(&c, Some(&teacher));
    assert!(err.contains("teacher's width 24"), "{err}");
    let err = error(&c, None);
    assert!(err.contains("no teacher"), "{err}");
}

#[test]
fn teacher_checkpoint_of_the_wrong_shape_is_a_clear_error() {
    let _serial = serial(); // initialising models draws from the shared device generator
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    let dir = tmp.path().join("teacher");
    save_teacher(&dir, 24);
    // The configuration says 32 wide, the parameters are 24 wide.
    let config_path = dir.join("config.json");
    let text = std::fs::read_to_string(&config_path).expect("config");
    std::fs::write(
        &config_path,
        text.replace("\"d_model\": 24", "\"d_model\": 32"),
    )
    .expect("edit");
    let device = Device::flex();
    let err = TeacherEmbeddings::compute(&dir, &data, FeatureScheme::PretrainGnns, &device)
        .expect_err("shape mismatch");
    let message = err.to_string();
    assert!(
        message.contains("model.bpk") && message.contains("cannot load"),
        "{message}"
    );

    // Vocabularies of no known feature scheme.
    let f = PretrainGnnFeaturizer;
    let odd = TeacherModelConfig::new(vec![7, 3], f.bond_vocab_sizes().to_vec()).with_d_model(8);
    let other = tmp.path().join("odd");
    odd.init(&device)
        .expect("init")
        .save(&odd, &other)
        .expect("save");
    let err = TeacherEmbeddings::compute(&other, &data, FeatureScheme::PretrainGnns, &device)
        .expect_err("vocab");
    assert!(err.to_string().contains("match no feature scheme"), "{err}");

    // Not a checkpoint at all.
    let err = TeacherEmbeddings::compute(tmp.path(), &data, FeatureScheme::PretrainGnns, &device)
        .expect_err("missing");
    assert!(err.to_string().contains("config.json"), "{err}");
}
