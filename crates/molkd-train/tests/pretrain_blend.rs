//! Blend pre-training on the fixture molecules (with made-up coordinates): held-out losses
//! fall below the untrained model's, a resumed run ends where an uninterrupted one does, and
//! the pre-trained encoder starts fine-tuning (`--init`) while another architecture or a GNN
//! student is a clear error.

use std::path::Path;

use burn::tensor::Device;
use molkd_graph::{Featurizer, OgbFeaturizer};
use molkd_models::{BlendModel, Checkpointed, EncoderConfig, MoleculeEncoder, RelationModality};
use molkd_train::data::{CsvSpec, MoleculeDataset, TaskType};
use molkd_train::finetune::{FinetuneConfig, init_encoder};
use molkd_train::optim::LrSchedule;
use molkd_train::pretrain::blend::{
    BlendPretrainConfig, eval_seed, evaluate_blend, pretrain_blend,
};
use molkd_train::run_dir::RunDir;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/molecules.smi"
);

/// The fixture molecules with OGB features and a made-up geometry each (a bent chain: the
/// checks are about the loop, not chemistry).
fn dataset(dir: &Path) -> MoleculeDataset {
    let text = std::fs::read_to_string(FIXTURE).expect("fixture");
    let mut csv = String::from("smiles,y\n");
    for smiles in text.lines().filter_map(|l| l.split_whitespace().next()) {
        csv.push_str(&format!("{smiles},1\n"));
    }
    let path = dir.join("fixture.csv");
    std::fs::write(&path, csv).expect("write");
    let mut data = CsvSpec::new("smiles", ["y"])
        .task_type(TaskType::Regression)
        .load(&path, &OgbFeaturizer)
        .expect("load");
    data.graphs = data
        .graphs
        .into_iter()
        .map(|g| {
            let coords = (0..g.num_atoms())
                .map(|i| {
                    let x = i as f32;
                    [1.4 * x, 0.8 * (1.7 * x).sin(), 0.6 * (0.9 * x).cos()]
                })
                .collect();
            g.with_coords(coords).expect("coords")
        })
        .collect();
    data
}

fn tiny(epochs: usize) -> BlendPretrainConfig {
    let mut config = BlendPretrainConfig::cpu(&OgbFeaturizer);
    let t = &mut config.model.transformer;
    (t.num_layers, t.d_model, t.ffn_dim, t.heads, t.kernels) = (2, 16, 16, 4, 8);
    (config.model.rank, config.model.direction_hidden) = (4, 8);
    config.optim = config
        .optim
        .with_epochs(epochs)
        .with_batch_size(8)
        .with_lr(3e-3)
        .with_warmup_epochs(1)
        // Constant after the warm-up, so a 4-epoch run is the start of an 8-epoch one.
        .with_schedule(LrSchedule::Constant)
        .with_seed(4);
    config
}

#[test]
fn blend_pretraining_lowers_held_out_losses_and_resumes_exactly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path());
    let all: Vec<usize> = (0..data.len()).collect();
    let (train, valid) = all.split_at(data.len() - 10);
    let device = Device::flex().autodiff();
    let run = |epochs: usize, dir: &str, resume: bool| {
        let run = RunDir::create(tmp.path().join(dir)).expect("run");
        pretrain_blend(&tiny(epochs), &data, train, valid, &device, &run, resume).expect("pretrain")
    };
    let straight = run(8, "straight", false);
    let config = tiny(8);
    let untrained =
        molkd_graph::random::init_seeded(&device, config.optim.seed, || config.model.init(&device))
            .expect("init");
    let before =
        evaluate_blend(&untrained, &config, &data, valid, eval_seed(4), &device).expect("eval");
    let after = &straight.history.last().expect("epochs").valid;
    for (name, b, a) in [
        ("spd", before.losses.spd, after.losses.spd),
        ("edge", before.losses.edge, after.losses.edge),
        ("total", before.losses.total, after.losses.total),
    ] {
        assert!(a < b, "{name}: {b} untrained → {a}");
    }
    assert!(
        after.hidden_spd_accuracy.expect("pairs") > before.hidden_spd_accuracy.expect("pairs"),
        "{after:?} vs {before:?}"
    );

    run(4, "split", false);
    let resumed = run(8, "split", true);
    for (x, y) in straight.history.iter().zip(&resumed.history) {
        assert_eq!(
            (&x.train, &x.valid.losses),
            (&y.train, &y.valid.losses),
            "epoch {}",
            x.epoch
        );
    }
    assert_eq!(resumed.history.len(), 8);

    // Molecules without coordinates are named.
    let mut flat = data.clone();
    flat.graphs[3] = OgbFeaturizer.featurize(&flat.smiles[3]).expect("parse");
    let err = pretrain_blend(
        &tiny(2),
        &flat,
        train,
        valid,
        &device,
        &RunDir::create(tmp.path().join("flat")).expect("run"),
        false,
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(
        err.contains(&flat.smiles[3]) && err.contains("no 3D"),
        "{err}"
    );
}

#[test]
fn a_pretrained_encoder_starts_fine_tuning_and_another_architecture_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let device = Device::flex().autodiff();
    let config = tiny(1);
    let pretrained = config.model.init(&device).expect("init");
    let dir = tmp.path().join("pretrain");
    pretrained
        .save(&config.model, &dir.join("model"))
        .expect("save");

    let student_config = |d: usize| {
        let mut finetune =
            FinetuneConfig::relation_protocol(&OgbFeaturizer, 2, RelationModality::TwoD);
        let EncoderConfig::Relation(encoder) = &mut finetune.model.encoder else {
            panic!("relation")
        };
        let t = &mut encoder.transformer;
        (t.num_layers, t.d_model, t.ffn_dim, t.heads, t.kernels) = (2, d, d, 4, 8);
        finetune.model
    };
    let model_config = student_config(16);
    let student = model_config.init(&device).expect("student");
    let student = init_encoder(student, &model_config, &dir, &device).expect("loads");
    let MoleculeEncoder::Relation(encoder) = &student.encoder else {
        panic!("relation")
    };
    let values = |t: burn::tensor::Tensor<2>| t.into_data().iter::<f32>().collect::<Vec<_>>();
    assert_eq!(
        values(encoder.transformer.spd.table.weight.val()),
        values(pretrained.encoder.spd.table.weight.val()),
        "the pre-trained weights"
    );
    assert_eq!(
        encoder.transformer.blocks[0].activation_dropout.prob, 0.0,
        "the student keeps its fine-tuning dropout (pre-training: 0.1)"
    );
    assert_eq!(pretrained.encoder.blocks[0].activation_dropout.prob, 0.1);
    // `init` also accepts the checkpoint directory itself.
    BlendModel::load(&dir.join("model"), &device).expect("a checkpoint");

    let wider = student_config(32);
    let err = refusal(init_encoder(
        wider.init(&device).expect("student"),
        &wider,
        &dir,
        &device,
    ));
    assert!(
        err.contains("architecture") && err.contains("d_model"),
        "{err}"
    );
    let gnn = FinetuneConfig::protocol(&OgbFeaturizer, 1).model;
    let err = refusal(init_encoder(
        gnn.init(&device).expect("gnn"),
        &gnn,
        &dir,
        &device,
    ));
    assert!(err.contains("GNN"), "{err}");
    let err = refusal(init_encoder(
        model_config.init(&device).expect("student"),
        &model_config,
        tmp.path(),
        &device,
    ));
    assert!(err.contains("not a pre-training checkpoint"), "{err}");
}

/// The error message of a call that must fail.
fn refusal<T>(result: molkd_train::Result<T>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}
