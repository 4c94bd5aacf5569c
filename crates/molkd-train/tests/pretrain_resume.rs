//! Teacher pre-training on a tiny hand-written reaction set: an interrupted-and-resumed run
//! ends with exactly the parameters and metrics of an uninterrupted one, and a trained teacher
//! beats the untrained one on its training reactions.

use burn::tensor::Device;
use molkd_distill::{ReactionLoss, ReactionLossConfig};
use molkd_graph::Featurizer;
use molkd_graph::PretrainGnnFeaturizer;
use molkd_models::{ConvKind, TeacherModelConfig};
use molkd_train::data::{ReactionFormat, ReactionLoadOptions, load_reactions};
use molkd_train::optim::OptimConfig;
use molkd_train::pretrain::{
    TeacherPretrainConfig, embed_reactions, evaluate_teacher, pretrain_teacher,
};
use molkd_train::run_dir::RunDir;

/// Well-known textbook reactions, `yield,split,rxn` like the USPTO yields file.
const REACTIONS: &str = "yield,split,rxn
95,train,CC(=O)O.OCC>>CC(=O)OCC
80,train,CC(=O)Cl.NC>>CC(=O)NC
60,train,c1ccccc1Br.OB(O)c1ccccc1>>c1ccc(-c2ccccc2)cc1
90,train,C=CC=C.C=C>>C1=CCCCC1
75,train,CCO.O=C(O)c1ccccc1>>CCOC(=O)c1ccccc1
50,train,CC(C)=O.[BH4-]>>CC(C)O
85,train,CCBr.[OH-]>>CCO
40,train,O=Cc1ccccc1.NCc1ccccc1>>C(=Nc1ccccc1)c1ccccc1
70,train,CC(=O)OC(C)=O.Oc1ccccc1C(=O)O>>CC(=O)Oc1ccccc1C(=O)O
65,train,CCCCBr.[Mg]>>CCCC[Mg]Br
88,train,OCCO.O=C(O)CCC(=O)O>>O=C1CCC(=O)OCCO1
55,train,CN.O=C(O)c1ccncc1>>CNC(=O)c1ccncc1
";

fn config(epochs: usize, loss: ReactionLoss) -> TeacherPretrainConfig {
    let f = PretrainGnnFeaturizer;
    TeacherPretrainConfig::new(
        TeacherModelConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
            .with_conv(ConvKind::Gcn)
            .with_num_layers(2)
            .with_d_model(32),
        ReactionLossConfig::new().with_form(loss),
        OptimConfig::new()
            .with_epochs(epochs)
            .with_batch_size(4)
            .with_lr(5e-3)
            .with_seed(7),
    )
}

fn dataset(dir: &std::path::Path) -> molkd_train::data::ReactionDataset {
    let path = dir.join("tiny.csv");
    std::fs::write(&path, REACTIONS).expect("write fixture");
    load_reactions(
        ReactionFormat::UsptoYields,
        &path,
        &PretrainGnnFeaturizer,
        &ReactionLoadOptions::default(),
    )
    .expect("load")
}

/// Every reaction's `(Σ reactants, Σ products)` embedding, flattened: equal parameters give
/// bit-identical embeddings.
fn embeddings(
    model: &molkd_models::TeacherModel,
    data: &molkd_train::data::ReactionDataset,
    device: &Device,
) -> Vec<f32> {
    let collate = molkd_graph::Collate::new(&PretrainGnnFeaturizer)
        .with_self_loops(true)
        .expect("collate");
    let all: Vec<usize> = (0..data.len()).collect();
    let (r, p) =
        embed_reactions(model, &collate, &data.reactions, &all, 64, device).expect("embed");
    let mut out = r.try_to_vec_as::<f32>().expect("read");
    out.extend(p.try_to_vec_as::<f32>().expect("read"));
    out
}

#[test]
fn resumed_run_matches_uninterrupted_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path());
    assert_eq!(data.len(), 12, "{}", data.skip_report());
    let all: Vec<usize> = (0..data.len()).collect();
    let device = Device::flex().autodiff();

    for loss in [ReactionLoss::Molr, ReactionLoss::YieldWeighted] {
        // Uninterrupted: 4 epochs.
        let straight = RunDir::create(tmp.path().join(format!("straight-{loss}"))).expect("run");
        let a = pretrain_teacher(
            &config(4, loss),
            &PretrainGnnFeaturizer,
            &data,
            &all,
            &all,
            &device,
            &straight,
            false,
        )
        .expect("train");
        // Interrupted after 2 epochs, then resumed to 4.
        let split = RunDir::create(tmp.path().join(format!("split-{loss}"))).expect("run");
        pretrain_teacher(
            &config(2, loss),
            &PretrainGnnFeaturizer,
            &data,
            &all,
            &all,
            &device,
            &split,
            false,
        )
        .expect("first half");
        assert_eq!(split.latest_epoch().expect("latest"), Some(2));
        let b = pretrain_teacher(
            &config(4, loss),
            &PretrainGnnFeaturizer,
            &data,
            &all,
            &all,
            &device,
            &split,
            true,
        )
        .expect("resume");

        assert_eq!(a.history.len(), 4);
        assert_eq!(b.history.len(), 4);
        for (x, y) in a.history.iter().zip(&b.history) {
            assert_eq!(x.train_loss, y.train_loss, "{loss}: epoch {} loss", x.epoch);
            assert_eq!(
                x.valid.retrieval, y.valid.retrieval,
                "{loss}: epoch {} retrieval",
                x.epoch
            );
        }
        assert_eq!(
            embeddings(&a.model, &data, &device),
            embeddings(&b.model, &data, &device),
            "{loss}: final parameters"
        ); // The epochs before the interruption keep their wall time through the checkpoint, so
        // the report's training time covers the whole run.
        assert!(
            b.history.iter().all(|e| e.seconds.is_some_and(|s| s > 0.0)),
            "{loss}: {:?}",
            b.history
        );
    }
}

#[test]
fn training_beats_the_untrained_teacher() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path());
    let all: Vec<usize> = (0..data.len()).collect();
    let device = Device::flex().autodiff();
    let cfg = config(30, ReactionLoss::Molr);
    let collate = molkd_graph::Collate::new(&PretrainGnnFeaturizer)
        .with_self_loops(true)
        .expect("collate");
    let untrained =
        molkd_graph::random::init_seeded(&device, 7, || cfg.model.init(&device)).expect("init");
    let before = evaluate_teacher(&untrained, &collate, &data, &all, &device).expect("eval");
    let run = RunDir::create(tmp.path().join("run")).expect("run");
    let trained = pretrain_teacher(
        &cfg,
        &PretrainGnnFeaturizer,
        &data,
        &all,
        &all,
        &device,
        &run,
        false,
    )
    .expect("train");
    let after = evaluate_teacher(&trained.model, &collate, &data, &all, &device).expect("eval");
    assert!(
        after.retrieval.mrr > before.retrieval.mrr + 0.2,
        "MRR {} -> {}",
        before.retrieval.mrr,
        after.retrieval.mrr
    );
    assert!(
        after.retrieval.hit_at_1 >= 0.75,
        "Hit@1 {}",
        after.retrieval.hit_at_1
    );
}

#[test]
fn yield_loss_without_yield_head_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = dataset(tmp.path());
    let all: Vec<usize> = (0..data.len()).collect();
    let device = Device::flex().autodiff();
    let run = RunDir::create(tmp.path().join("run")).expect("run");
    let err = pretrain_teacher(
        &config(1, ReactionLoss::YieldRegression),
        &PretrainGnnFeaturizer,
        &data,
        &all,
        &all,
        &device,
        &run,
        false,
    )
    .err()
    .expect("error");
    assert!(err.to_string().contains("yield head"), "{err}");
}
