//! The same GIN student, forward and backward, on every CPU backend: outputs and gradients
//! agree within 1e-4.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Gradients, Tensor};
use molkd_graph::{Collate, Featurizer, PretrainGnnFeaturizer};
use molkd_models::{GnnEncoderConfig, StudentModel, StudentModelConfig};

const SMILES: [&str; 4] = ["CCO", "F/C=C/Cl", "c1ccncc1", "CC(=O)Nc1ccc(O)cc1"];

/// Every trainable parameter's gradient, in visiting order.
struct CollectGrads<'a> {
    grads: &'a Gradients,
    out: Vec<Vec<f32>>,
}

impl ModuleVisitor for CollectGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        if value.is_require_grad() {
            let g = value.grad(self.grads).expect("gradient");
            self.out.push(g.into_data().try_to_vec_as::<f32>().unwrap());
        }
    }
}

/// Predictions and gradients of one training step on `device`, from the parameters of `model`.
fn step(model: &StudentModel, device: &Device) -> (Vec<f32>, Vec<Vec<f32>>) {
    let f = PretrainGnnFeaturizer;
    let graphs: Vec<_> = SMILES.iter().map(|s| f.featurize(s).unwrap()).collect();
    let batch = Collate::new(&f)
        .with_self_loops(true)
        .unwrap()
        .collate(&graphs, device)
        .unwrap();
    let model = model.clone().to_device(device);
    let out = model.forward(&batch).predictions;
    let grads = out.clone().powi_scalar(2).sum().backward();
    let mut collect = CollectGrads {
        grads: &grads,
        out: Vec::new(),
    };
    model.visit(&mut collect);
    (out.into_data().try_to_vec_as::<f32>().unwrap(), collect.out)
}

#[test]
#[allow(deprecated)]
fn gin_forward_and_backward_agree_across_cpu_backends() {
    let f = PretrainGnnFeaturizer;
    let encoder =
        GnnEncoderConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
            .with_num_layers(3)
            .with_d_model(32)
            .with_dropout(0.0);
    let reference_device = Device::flex().autodiff();
    let model = StudentModelConfig::new(encoder, 2)
        .init(&reference_device)
        .unwrap();
    let (out_flex, grads_flex) = step(&model, &reference_device);
    let (out_nd, grads_nd) = step(&model, &Device::ndarray().autodiff());
    assert_eq!(out_flex.len(), 8);
    for (a, b) in out_flex.iter().zip(&out_nd) {
        assert!((a - b).abs() < 1e-4, "outputs {a} vs {b}");
    }
    assert_eq!(grads_flex.len(), grads_nd.len());
    for (k, (ga, gb)) in grads_flex.iter().zip(&grads_nd).enumerate() {
        for (a, b) in ga.iter().zip(gb) {
            assert!(
                (a - b).abs() < 1e-4 * (1.0 + a.abs()),
                "parameter {k}: {a} vs {b}"
            );
        }
    }
}
