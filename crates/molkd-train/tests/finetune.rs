//! Student fine-tuning on the hand-written fixture molecules (label: "has a nitrogen"):
//! it learns, a resumed run ends exactly where an uninterrupted one does, distillation from a
//! saved teacher runs, and bad distillation set-ups are clear errors.

use std::path::Path;

use burn::tensor::Device;
use molkd_distill::{KdConfig, KdForm};
use molkd_graph::{FeatureScheme, Featurizer, MolGraph, PretrainGnnFeaturizer};
use molkd_models::{
    Checkpointed, ConvKind, EncoderConfig, GnnEncoderConfig, MoleculeEncoder, RelationModality,
    StudentModel, StudentModelConfig, TeacherModelConfig,
};
use molkd_train::data::{CsvSpec, MoleculeDataset, TaskType};
use molkd_train::finetune::{
    Finetune, FinetuneConfig, TargetScaler, TaskMetric, TeacherEmbeddings,
};
use molkd_train::optim::{LrSchedule, OptimConfig};
use molkd_train::run_dir::RunDir;
use molkd_train::split::Split;
use molkd_train::{ModelCard, Predictor};

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
        StudentModelConfig::new(encoder.into(), 1),
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
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    assert_eq!(data.len(), 48, "{}", data.skip_report());
    let split = everything(data.len());
    let device = Device::flex().autodiff();
    let f = &PretrainGnnFeaturizer;

    let straight = RunDir::create(tmp.path().join("straight")).expect("run");
    let a = Finetune::new(&config(6), &data, &split)
        .featurizer(f)
        .checkpoints(&straight, false)
        .run(&device)
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
    Finetune::new(&config(3), &data, &split)
        .featurizer(f)
        .checkpoints(&split_run, false)
        .run(&device)
        .expect("first half");
    let b = Finetune::new(&config(6), &data, &split)
        .featurizer(f)
        .checkpoints(&split_run, true)
        .run(&device)
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
    let EncoderConfig::Gnn(encoder) = &mut other.model.encoder else {
        panic!("a GNN configuration")
    };
    encoder.d_model = 16;
    let err = Finetune::new(&other, &data, &split)
        .featurizer(f)
        .checkpoints(&split_run, true)
        .run(&device)
        .err()
        .expect("mismatch");
    assert!(err.to_string().contains("differs"), "{err}");
}

#[test]
fn regression_targets_are_scaled_and_scored_in_label_units() {
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
    let done = Finetune::new(&config(16), &data, &everything(data.len()))
        .featurizer(&PretrainGnnFeaturizer)
        .run(&device)
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
        let done = Finetune::new(&c, &data, &split)
            .featurizer(&PretrainGnnFeaturizer)
            .teacher(Some(&teacher))
            .run(&device)
            .expect("distil");
        let kd = done.state.history[1].kd_loss.expect("kd loss");
        assert!(kd.is_finite() && kd > 0.0, "{form}: {kd}");
    }

    // Logit distillation needs a teacher task head; widths must agree; the teacher is needed.
    let error = |c: &FinetuneConfig, teacher: Option<&TeacherEmbeddings>| {
        Finetune::new(c, &data, &split)
            .featurizer(&PretrainGnnFeaturizer)
            .teacher(teacher)
            .run(&device)
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
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    let dir = tmp.path().join("teacher");
    // The configuration says 32 wide, the parameters are 24 wide (checksums intact).
    let f = PretrainGnnFeaturizer;
    let config = |d| {
        TeacherModelConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
            .with_conv(ConvKind::Gcn)
            .with_d_model(d)
    };
    config(24)
        .init(&Device::flex())
        .expect("teacher")
        .save(&config(32), &dir)
        .expect("save");
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

/// The returned best model is the best epoch's, BatchNorm statistics included: it predicts
/// exactly what the checkpoint written at that epoch (`run/best`) predicts, and scoring it
/// reproduces the recorded validation score, though later epochs went on updating the live
/// model's statistics.
#[test]
fn best_model_is_the_best_epochs_model() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    let n = data.len();
    let split = Split {
        train: (0..n).filter(|i| i % 4 != 0).collect(),
        valid: (0..n).filter(|i| i % 4 == 0).collect(),
        test: (0..n).filter(|i| i % 4 == 0).collect(),
    };
    let device = Device::flex().autodiff();
    let graphs: Vec<&MolGraph> = data.graphs.iter().collect();
    let outputs = |model: &StudentModel| {
        molkd_train::finetune::predict(
            model,
            &model.collate(&PretrainGnnFeaturizer),
            &graphs,
            TaskType::Classification,
            &TargetScaler::identity(1),
            256,
            &device,
        )
        .expect("predict")
    };
    let mut checked = 0;
    // Only runs whose best epoch is not the last one tell the two models apart.
    for seed in 0..6 {
        let mut config = config(8);
        config.optim.lr = 2e-2;
        config.optim.seed = seed;
        let run = RunDir::create(tmp.path().join(format!("run{seed}"))).expect("run");
        let done = Finetune::new(&config, &data, &split)
            .featurizer(&PretrainGnnFeaturizer)
            .checkpoints(&run, false)
            .run(&device)
            .expect("train");
        if done.state.best_epoch == Some(8) {
            continue;
        }
        let (saved, _) = StudentModel::load(&run.path().join("best"), &device).expect("best");
        assert_eq!(outputs(&done.best), outputs(&saved), "seed {seed}");
        let valid = molkd_train::finetune::evaluate_student(
            done.metric,
            &done.best,
            &done.best.collate(&PretrainGnnFeaturizer),
            &data,
            &split.valid,
            &done.state.scaler,
            256,
            &device,
        )
        .expect("evaluate");
        assert_eq!(valid, done.state.valid_at_best(), "seed {seed}");
        checked += 1;
    }
    assert!(checked > 0, "no run had its best epoch before the last");
}

/// Each run owns its generator: runs in parallel threads of one process are each exactly what
/// they are alone.
#[test]
fn concurrent_runs_are_each_reproducible() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    let split = everything(data.len());
    let device = Device::flex().autodiff();
    let run = |seed: u64| {
        let mut config = config(2);
        config.optim.seed = seed;
        let done = Finetune::new(&config, &data, &split)
            .featurizer(&PretrainGnnFeaturizer)
            .run(&device)
            .expect("train");
        done.state
            .history
            .iter()
            .map(|e| (e.train_loss, e.valid))
            .collect::<Vec<_>>()
    };
    let alone = [run(1), run(2)];
    let barrier = std::sync::Barrier::new(4);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4u64)
            .map(|i| {
                let (barrier, run) = (&barrier, &run);
                scope.spawn(move || {
                    barrier.wait();
                    (i, run(1 + i % 2))
                })
            })
            .collect();
        for thread in threads {
            let (i, history) = thread.join().expect("thread");
            assert_eq!(history, alone[(i % 2) as usize], "thread {i}");
        }
    });
}

/// A small relation Transformer (MoleBLEND's encoder) with AdamW, weight decay and a warm-up.
fn relation_config(epochs: usize, input: RelationModality) -> FinetuneConfig {
    let mut config = FinetuneConfig::relation_protocol(&PretrainGnnFeaturizer, 1, input);
    let EncoderConfig::Relation(encoder) = &mut config.model.encoder else {
        panic!("a relation configuration")
    };
    let t = &mut encoder.transformer;
    (t.num_layers, t.d_model, t.ffn_dim, t.heads, t.kernels) = (2, 32, 32, 4, 8);
    config.optim = config
        .optim
        .with_epochs(epochs)
        .with_batch_size(8)
        .with_lr(2e-3)
        .with_seed(3)
        .with_warmup_epochs(1)
        .with_schedule(LrSchedule::Constant);
    config
}

#[test]
fn relation_student_learns_and_resumes_exactly_through_the_same_loop() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    let split = everything(data.len());
    let device = Device::flex().autodiff();
    let f = &PretrainGnnFeaturizer;
    let train = |epochs: usize, dir: &str, resume: bool| {
        let run = RunDir::create(tmp.path().join(dir)).expect("run");
        let config = relation_config(epochs, RelationModality::TwoD);
        Finetune::new(&config, &data, &split)
            .featurizer(f)
            .checkpoints(&run, resume)
            .run(&device)
            .expect("train")
    };
    let a = train(6, "straight", false);
    let first = a.state.history[0].valid.expect("score");
    let best = a.state.valid_at_best().expect("score");
    assert!(
        best > 0.85 && best > first,
        "valid ROC-AUC {first} → {best}"
    );
    assert!(a.state.history[5].train_loss < a.state.history[0].train_loss);
    assert!(matches!(a.best.encoder, MoleculeEncoder::Relation(_)));

    train(3, "split", false);
    let b = train(6, "split", true);
    for (x, y) in a.state.history.iter().zip(&b.state.history) {
        assert_eq!(
            (x.train_loss, x.valid, x.test),
            (y.train_loss, y.valid, y.test),
            "epoch {}",
            x.epoch
        );
    }
    // The saved best model predicts what the returned one does.
    let (saved, _) = StudentModel::load(&tmp.path().join("straight/best"), &device).expect("best");
    let graphs: Vec<&MolGraph> = data.graphs.iter().collect();
    let predict = |m: &StudentModel, batch_size: usize| {
        molkd_train::finetune::predict(
            m,
            &m.collate(f),
            &graphs,
            TaskType::Classification,
            &TargetScaler::identity(1),
            batch_size,
            &device,
        )
        .expect("predict")
    };
    let batched = predict(&a.best, 16);
    assert_eq!(batched, predict(&saved, 16));
    // Padded batches go in size order; every output is still its molecule's.
    for (x, y) in batched.iter().zip(predict(&a.best, 1)) {
        assert!((x - y).abs() < 1e-5, "{x} vs {y} alone");
    }
}

#[test]
fn a_cut_length_crops_training_molecules_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    let device = Device::flex().autodiff();
    let f = &PretrainGnnFeaturizer;
    let mut config = relation_config(2, RelationModality::TwoD);
    let EncoderConfig::Relation(encoder) = &mut config.model.encoder else {
        panic!("relation")
    };
    encoder.transformer.max_atoms = Some(4);
    config.cut_length = Some(4);
    let train_only = Split {
        train: (0..data.len()).collect(),
        valid: vec![],
        test: vec![],
    };
    let refusal = |config: &FinetuneConfig, split: &Split| {
        Finetune::new(config, &data, split)
            .featurizer(f)
            .run(&device)
            .err()
            .map(|e| e.to_string())
    };
    assert_eq!(
        refusal(&config, &train_only),
        None,
        "training molecules are cropped to the model's size"
    );
    let everything = everything(data.len());
    for (config, split, needle) in [
        (config.clone(), &everything, "more than the 4"), // validation molecules are whole
        (
            config.clone().with_cut_length(Some(0)),
            &train_only,
            "at least 1 atom",
        ),
        (
            self::config(2).with_cut_length(Some(4)),
            &train_only,
            "relation encoders only",
        ),
    ] {
        let err = refusal(&config, split).expect("refused");
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn molecules_a_relation_student_cannot_take_are_named_before_training() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    let split = everything(data.len());
    let device = Device::flex().autodiff();
    let f = &PretrainGnnFeaturizer;
    // 3D input on molecules from SMILES (no coordinates).
    let err = Finetune::new(&relation_config(2, RelationModality::ThreeD), &data, &split)
        .featurizer(f)
        .run(&device)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains(&format!("data row {} ", data.rows[0]))
            && err.contains(&data.smiles[0])
            && err.contains("no 3D"),
        "{err}"
    );
    // A size limit below the largest molecule.
    let mut small = relation_config(2, RelationModality::TwoD);
    let EncoderConfig::Relation(encoder) = &mut small.model.encoder else {
        panic!("relation")
    };
    encoder.transformer.max_atoms = Some(4);
    let big = (0..data.len())
        .find(|&i| data.graphs[i].num_atoms() > 4)
        .expect("a molecule of more than 4 atoms");
    let err = Finetune::new(&small, &data, &split)
        .featurizer(f)
        .run(&device)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains(&format!("data row {} ", data.rows[big])) && err.contains("more than the 4"),
        "{err}"
    );
}

/// The library path: `Finetune` on a plain (non-autodiff) device with the featuriser taken
/// from the model's vocabularies, one observer call per epoch with what the history records,
/// and a `Predictor` that saves, reloads and predicts in-memory SMILES exactly as the
/// trained model does, with a per-molecule error for a SMILES that does not parse.
#[test]
fn finetune_then_predictor_round_trip() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path(), TaskType::Classification);
    let split = everything(data.len());
    let config = config(3);
    let mut seen = Vec::new();
    let done = Finetune::new(&config, &data, &split)
        .on_epoch(|e| seen.push((e.epoch, e.valid)))
        .run(&Device::flex())
        .expect("train without .autodiff()");
    let history: Vec<_> = done
        .state
        .history
        .iter()
        .map(|e| (e.epoch, e.valid))
        .collect();
    assert_eq!(seen, history);
    assert_eq!(seen.len(), 3);

    let card = ModelCard::for_data(
        FeatureScheme::PretrainGnns,
        &data,
        done.state.scaler.clone(),
    );
    let predictor = done.predictor(card.clone()).expect("predictor");
    let smiles = ["CCN", "c1ccccc1", "C1CC"];
    let before = predictor.predict_smiles(&smiles).expect("predict");
    let dir = tmp.path().join("model");
    predictor.save(&dir).expect("save");
    let loaded = Predictor::load(&dir, &Device::flex()).expect("load");
    let after = loaded.predict_smiles(&smiles).expect("predict");
    assert_eq!(before, after);
    assert_eq!(loaded.task_names(), ["has_n"]);
    let p = before[0].as_ref().expect("CCN predicts")[0];
    assert!((0.0..=1.0).contains(&p), "{p}");
    let error = before[2].as_ref().expect_err("C1CC does not parse");
    assert!(error.contains("C1CC"), "{error}");

    // The same probabilities as the trained model scored through the low-level path.
    let graphs: Vec<MolGraph> = smiles[..2]
        .iter()
        .map(|s| PretrainGnnFeaturizer.featurize(s).expect("parse"))
        .collect();
    let refs: Vec<&MolGraph> = graphs.iter().collect();
    let direct = molkd_train::finetune::predict(
        &done.best,
        &done.best.collate(&PretrainGnnFeaturizer),
        &refs,
        TaskType::Classification,
        &TargetScaler::identity(1),
        256,
        &Device::flex(),
    )
    .expect("predict");
    assert_eq!(
        direct,
        [after[0].clone().unwrap(), after[1].clone().unwrap()].concat()
    );

    // A card that does not describe the model, and a model saved without a card.
    let mut two_tasks = card.clone();
    two_tasks.task_names.push("other".into());
    let err = done
        .predictor(two_tasks)
        .expect_err("two tasks")
        .to_string();
    assert!(
        err.contains("1 outputs but its card names 2 tasks"),
        "{err}"
    );
    let ogb = ModelCard {
        scheme: FeatureScheme::Ogb,
        ..card
    };
    let err = done.predictor(ogb).expect_err("other scheme").to_string();
    assert!(err.contains("feature scheme `ogb`"), "{err}");
    let bare = tmp.path().join("bare");
    done.best.save(&done.model_config, &bare).expect("save");
    let err = Predictor::load(&bare, &Device::flex())
        .expect_err("no card")
        .to_string();
    assert!(
        err.contains("card.json") && err.contains("Predictor::save"),
        "{err}"
    );
}
