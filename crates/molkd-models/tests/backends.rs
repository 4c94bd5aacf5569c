//! The same GIN student and relation Transformer, forward and backward, on every backend built
//! (flex, ndarray, and wgpu with the `wgpu` feature): outputs and gradients agree within 1e-4.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use molkd_graph::random::Generator;
use molkd_graph::{Collate, Featurizer, PretrainGnnFeaturizer};
use molkd_models::{Checkpointed, GnnEncoderConfig, StudentModel, StudentModelConfig};

const SMILES: [&str; 4] = ["CCO", "F/C=C/Cl", "c1ccncc1", "CC(=O)Nc1ccc(O)cc1"];

/// Predictions and gradients of one training step on `device`, with the parameters of the
/// checkpoint in `dir` (loading builds leaf parameters on `device`; moving a module would not).
fn step(dir: &std::path::Path, device: &Device) -> (Vec<f32>, Vec<Vec<f32>>) {
    let f = PretrainGnnFeaturizer;
    let graphs: Vec<_> = SMILES.iter().map(|s| f.featurize(s).unwrap()).collect();
    let batch = Collate::new(&f)
        .with_self_loops(true)
        .unwrap()
        .collate(&graphs, device)
        .unwrap();
    let (model, _) = StudentModel::load(dir, device).unwrap();
    // The same generator seed on every backend: dropout masks are drawn on the host from the
    // run's generator, so they are the same everywhere.
    let out = model.forward(&batch, &mut Generator::new(5)).predictions;
    outputs_and_grads(&model, out)
}

/// `out` and every trainable parameter's gradient of `Σ out²`.
fn outputs_and_grads<M: Module, const D: usize>(
    model: &M,
    out: Tensor<D>,
) -> (Vec<f32>, Vec<Vec<f32>>) {
    let grads = out.clone().powi_scalar(2).sum().backward();
    let gradients = molkd_models::parameter_gradients(model, &grads);
    (out.into_data().try_to_vec_as::<f32>().unwrap(), gradients)
}

// One entry per backend compiled in: the push is feature-gated.
#[allow(deprecated, unused_mut, clippy::vec_init_then_push)]
fn devices() -> Vec<(&'static str, Device)> {
    let mut v = vec![("ndarray", Device::ndarray().autodiff())];
    #[cfg(feature = "wgpu")]
    v.push((
        "wgpu",
        Device::wgpu(burn::tensor::DeviceKind::DefaultDevice).autodiff(),
    ));
    v
}

#[test]
fn gin_forward_and_backward_agree_across_backends() {
    let f = PretrainGnnFeaturizer;
    let encoder =
        GnnEncoderConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
            .with_num_layers(3)
            .with_d_model(32)
            .with_dropout(0.3);
    let reference_device = Device::flex().autodiff();
    let config = StudentModelConfig::new(encoder.into(), 2);
    let tmp = tempfile::tempdir().unwrap();
    config
        .init(&reference_device)
        .unwrap()
        .save(&config, tmp.path())
        .unwrap();
    let (out_flex, grads_flex) = step(tmp.path(), &reference_device);
    assert_eq!(out_flex.len(), 8);
    // Embedding, 3 × (bond table, 2 × linear, γ, β), head.
    assert_eq!(
        grads_flex.len(),
        1 + 3 * 7 + 2,
        "every trainable parameter has a gradient"
    );
    for (name, device) in devices() {
        let (out, grads) = step(tmp.path(), &device);
        assert_agree(
            &format!("GIN on {name}"),
            (&out_flex, &grads_flex),
            (&out, &grads),
        );
    }
}

/// Outputs and gradients within 1e-4 (gradients relative to their size) of the reference's.
fn assert_agree(what: &str, reference: (&[f32], &[Vec<f32>]), other: (&[f32], &[Vec<f32>])) {
    let ((out_ref, grads_ref), (out, grads)) = (reference, other);
    eprintln!(
        "{what}: {} outputs and {} parameter gradients compared with flex",
        out.len(),
        grads.len()
    );
    assert_eq!(out_ref.len(), out.len(), "{what}");
    for (a, b) in out_ref.iter().zip(out) {
        assert!((a - b).abs() < 1e-4, "{what}: outputs {a} vs {b}");
    }
    assert_eq!(grads_ref.len(), grads.len(), "{what}");
    for (k, (ga, gb)) in grads_ref.iter().zip(grads).enumerate() {
        for (a, b) in ga.iter().zip(gb) {
            let close = (a - b).abs() < 1e-4 * (1.0 + a.abs());
            assert!(close, "{what}: parameter {k}: {a} vs {b}");
        }
    }
}

/// The relation Transformer (2D + 3D input, dropout on) on every backend built: the same
/// parameters (one record loaded on each device) give the same outputs and gradients.
#[test]
fn relation_transformer_agrees_across_backends() {
    use molkd_graph::{DenseCollate, OgbFeaturizer};
    use molkd_models::relation::{RelationInput, RelationTransformerConfig};
    let f = OgbFeaturizer;
    let config = RelationTransformerConfig::cpu(
        f.atom_vocab_sizes().to_vec(),
        f.bond_vocab_sizes().to_vec(),
    )
    .with_num_layers(2)
    .with_d_model(16)
    .with_heads(4)
    .with_ffn_dim(16)
    .with_kernels(8)
    .with_activation_dropout(0.2);
    let graphs: Vec<_> = SMILES
        .iter()
        .map(|s| {
            let g = f.featurize(s).unwrap();
            let coords = (0..g.num_atoms())
                .map(|i| [i as f32 * 1.2, (i as f32).sin(), 0.3 * i as f32])
                .collect();
            g.with_coords(coords).unwrap()
        })
        .collect();
    let reference = Device::flex().autodiff();
    let record = config.init(&reference).unwrap().into_record();
    let step = |device: &Device| {
        let model = config
            .init(device)
            .unwrap()
            .try_load_record(record.clone())
            .unwrap();
        let batch = DenseCollate::new()
            .with_coords(true)
            .collate(&graphs, device)
            .unwrap();
        let out = model
            .forward(&batch, &RelationInput::Both, &mut Generator::new(9))
            .graph;
        outputs_and_grads(&model, out)
    };
    let (out_flex, grads_flex) = step(&reference);
    for (name, device) in devices() {
        let (out, grads) = step(&device);
        assert_agree(
            &format!("relation Transformer on {name}"),
            (&out_flex, &grads_flex),
            (&out, &grads),
        );
    }
}
