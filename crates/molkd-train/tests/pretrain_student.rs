//! Student pre-training (pretrain-gnns' attribute masking and context prediction) on the
//! fixture molecules: held-out losses fall below the untrained model's, a resumed run ends
//! where an uninterrupted one does, and the pre-trained encoder starts fine-tuning
//! (`--init`) while another architecture or family is a clear error.

use std::path::Path;

use burn::module::Module;
use burn::tensor::Device;
use molkd_graph::random::Generator;
use molkd_graph::{Collate, Featurizer, PretrainGnnFeaturizer};
use molkd_models::{Checkpointed, GnnPretrainModel, MoleculeEncoder, StudentModelConfig};
use molkd_train::data::{CsvSpec, MoleculeDataset, TaskType};
use molkd_train::finetune::{FinetuneConfig, init_encoder};
use molkd_train::pretrain::student::{
    StudentPretext, StudentPretrainConfig, evaluate_student_pretext, pretrain_student,
};
use molkd_train::run_dir::RunDir;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/molecules.smi"
);

fn dataset(dir: &Path) -> MoleculeDataset {
    let text = std::fs::read_to_string(FIXTURE).expect("fixture");
    let mut csv = String::from("smiles,y\n");
    for smiles in text.lines().filter_map(|l| l.split_whitespace().next()) {
        csv.push_str(&format!("{smiles},1\n"));
    }
    let path = dir.join("fixture.csv");
    std::fs::write(&path, csv).expect("write");
    CsvSpec::new("smiles", ["y"])
        .task_type(TaskType::Regression)
        .load(&path, &PretrainGnnFeaturizer)
        .expect("load")
}

fn tiny(pretext: StudentPretext, epochs: usize) -> StudentPretrainConfig {
    let mask_bonds = pretext == StudentPretext::AttrMasking;
    let mut config =
        StudentPretrainConfig::pretrain_gnns(&PretrainGnnFeaturizer, pretext, mask_bonds, epochs);
    config.model.encoder.num_layers = 3;
    config.model.encoder.d_model = 32;
    // Context prediction's radii follow the encoder: k = 3, ring 2 < d ≤ 4.
    config.context_size = 2;
    if let molkd_models::GnnPretrainMethod::ContextPred { context_layers } =
        &mut config.model.method
    {
        *context_layers = 2;
    }
    config.optim = config.optim.with_batch_size(16).with_lr(3e-3).with_seed(5);
    config
}

fn split(data: &MoleculeDataset) -> (Vec<usize>, Vec<usize>) {
    let all: Vec<usize> = (0..data.len()).collect();
    let (train, valid) = all.split_at(data.len() - 16);
    (train.to_vec(), valid.to_vec())
}

#[test]
fn attribute_masking_learns_resumes_exactly_and_initialises_a_student() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path());
    let (train, valid) = split(&data);
    let device = Device::flex().autodiff();
    let f = &PretrainGnnFeaturizer;
    let run = |epochs: usize, dir: &str, resume: bool| {
        let run = RunDir::create(tmp.path().join(dir)).expect("run");
        let config = tiny(StudentPretext::AttrMasking, epochs);
        pretrain_student(&config, f, &data, &train, &valid, &device, &run, resume)
            .expect("pretrain")
    };
    let straight = run(6, "straight", false);
    let config = tiny(StudentPretext::AttrMasking, 6);
    let untrained =
        molkd_graph::random::init_seeded(&device, config.optim.seed, || config.model.init(&device))
            .expect("init");
    let before =
        evaluate_student_pretext(&untrained, &config, f, &data, &valid, &device).expect("eval");
    let after = evaluate_student_pretext(&straight.model, &config, f, &data, &valid, &device)
        .expect("eval");
    assert_eq!(straight.history.last().expect("epochs").valid, after);
    assert!(after.loss < before.loss, "{before:?} → {after:?}");
    assert!(
        after.accuracy.expect("atoms") > before.accuracy.expect("atoms"),
        "{before:?} → {after:?}"
    );
    assert!(after.bond_accuracy.is_some());

    run(3, "split", false);
    let resumed = run(6, "split", true);
    assert_eq!(resumed.history.len(), 6);
    for (x, y) in straight.history.iter().zip(&resumed.history) {
        assert_eq!(
            (&x.train, &x.valid),
            (&y.train, &y.valid),
            "epoch {}",
            x.epoch
        );
    }

    // The encoder moves into a GIN student with the student's dropout; the head is new.
    let saved = tmp.path().join("pretrained");
    straight
        .model
        .save(&config.model, &saved.join("model"))
        .expect("save");
    let mut finetune = FinetuneConfig::protocol(f, 2);
    let molkd_models::EncoderConfig::Gnn(encoder) = &mut finetune.model.encoder else {
        unreachable!("the protocol's student is a GNN")
    };
    *encoder = config.model.encoder.clone().with_dropout(0.5);
    let student = finetune.model.init(&device).expect("student");
    let student = init_encoder(student, &finetune.model, &saved, &device).expect("init");
    let MoleculeEncoder::Gnn(gnn) = &student.encoder else {
        unreachable!("a GNN student")
    };
    let (pretrained, _) = GnnPretrainModel::load(&saved.join("model"), &device).expect("load");
    // Same parameters and BatchNorm statistics: the same node states at inference.
    let host = device.clone().without_autodiff();
    let batch = Collate::new(f)
        .collate(data.graphs.iter().take(4), &host)
        .expect("batch");
    let states = |m: &molkd_models::GnnEncoder| {
        m.valid()
            .forward(&batch, &mut Generator::new(0))
            .into_data()
            .try_to_vec::<f32>()
            .expect("floats")
    };
    assert_eq!(states(gnn), states(&pretrained.encoder));
    assert_eq!(
        gnn.dropout.prob, 0.5,
        "the student keeps its fine-tuning dropout"
    );

    // Another width, or the relation family, is refused with the reason.
    let mut wider: StudentModelConfig = finetune.model.clone();
    if let molkd_models::EncoderConfig::Gnn(e) = &mut wider.encoder {
        e.d_model = 64;
    }
    let err = init_encoder(
        wider.init(&device).expect("student"),
        &wider,
        &saved,
        &device,
    )
    .expect_err("refused")
    .to_string();
    assert!(
        err.contains("architecture") && err.contains("d_model"),
        "{err}"
    );
    let relation = FinetuneConfig::relation_protocol(
        &molkd_graph::OgbFeaturizer,
        1,
        molkd_models::RelationModality::TwoD,
    )
    .model;
    let err = init_encoder(
        relation.init(&device).expect("student"),
        &relation,
        &saved,
        &device,
    )
    .expect_err("refused")
    .to_string();
    assert!(
        err.contains("GNN") && err.contains("--encoder gnn"),
        "{err}"
    );
}

/// Context prediction's settings are checked. (Whether it learns is not asserted yet: on the
/// fixture its held-out loss did not fall in 8 or 40 epochs, balanced accuracy 0.5 — under
/// investigation, see the issue.)
#[test]
fn context_prediction_settings_are_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path());
    let (train, valid) = split(&data);
    let device = Device::flex().autodiff();
    let f = &PretrainGnnFeaturizer;
    let config = tiny(StudentPretext::ContextPred, 1);
    let run = RunDir::create(tmp.path().join("run")).expect("run");
    // A context ring that does not match the context encoder is refused.
    let mut mismatched = config.clone();
    mismatched.context_size = 3;
    let err = pretrain_student(&mismatched, f, &data, &train, &valid, &device, &run, false)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("context"), "{err}");
    // Attribute masking needs the scheme with mask categories.
    let ogb = StudentPretrainConfig::pretrain_gnns(
        &molkd_graph::OgbFeaturizer,
        StudentPretext::AttrMasking,
        false,
        1,
    );
    let err = pretrain_student(
        &ogb,
        &molkd_graph::OgbFeaturizer,
        &data,
        &train,
        &valid,
        &device,
        &run,
        false,
    )
    .expect_err("refused")
    .to_string();
    assert!(err.contains("pretrain-gnns"), "{err}");
}

#[test]
fn a_student_form_teacher_starts_a_student_and_a_plain_one_is_refused() {
    use molkd_models::{ConvKind, TeacherEncoderKind, TeacherModelConfig};
    let tmp = tempfile::tempdir().expect("tempdir");
    let device = Device::flex();
    let f = &PretrainGnnFeaturizer;
    let teacher_config =
        TeacherModelConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
            .with_conv(ConvKind::Gin)
            .with_num_layers(3)
            .with_d_model(32)
            .with_encoder(Some(TeacherEncoderKind::Student));
    let teacher = teacher_config.init(&device).expect("teacher");
    let dir = tmp.path().join("reaction");
    teacher
        .save(&teacher_config, &dir.join("teacher"))
        .expect("save");

    let mut finetune = FinetuneConfig::protocol(f, 1);
    finetune.model.encoder = teacher_config.student_encoder().with_dropout(0.5).into();
    let student = finetune.model.init(&device).expect("student");
    let student = init_encoder(student, &finetune.model, &dir, &device).expect("init");
    let (MoleculeEncoder::Gnn(gnn), molkd_models::TeacherEncoder::Student(saved)) =
        (&student.encoder, &teacher.encoder)
    else {
        unreachable!("GNNs of the student's form")
    };
    let batch = Collate::new(f)
        .collate(
            ["CCO", "c1ccccc1N"]
                .iter()
                .map(|s| f.featurize(s).expect("smiles"))
                .collect::<Vec<_>>()
                .iter(),
            &device,
        )
        .expect("batch");
    let states = |m: &molkd_models::GnnEncoder| {
        m.valid()
            .forward(&batch, &mut Generator::new(0))
            .into_data()
            .try_to_vec::<f32>()
            .expect("floats")
    };
    assert_eq!(states(gnn), states(saved));

    let plain = teacher_config.clone().with_encoder(None);
    let plain_dir = tmp.path().join("plain");
    plain
        .init(&device)
        .expect("teacher")
        .save(&plain, &plain_dir.join("teacher"))
        .expect("save");
    let student = finetune.model.init(&device).expect("student");
    let err = init_encoder(student, &finetune.model, &plain_dir, &device)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("plain encoder"), "{err}");
}
