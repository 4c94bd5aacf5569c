//! The relation Transformer (MoleBLEND / Transformer-M backbone): invariant to rotating and
//! translating the coordinates and to the order of a molecule's atoms, unchanged by padding,
//! every parameter trained by some input mode, and clear errors for inputs it cannot take.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Gradients, Int, Tensor};
use molkd_graph::random::Generator;
use molkd_graph::{DenseCollate, Featurizer, MolGraph, OgbFeaturizer};
use molkd_models::relation::{
    BlendAssignment, RelationInput, RelationTransformer, RelationTransformerConfig,
};

fn config() -> RelationTransformerConfig {
    let f = OgbFeaturizer;
    RelationTransformerConfig::cpu(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
        .with_num_layers(2)
        .with_d_model(16)
        .with_heads(4)
        .with_ffn_dim(16)
        .with_kernels(8)
        .with_attention_dropout(0.0)
}

/// Ethanol-like and a ring with hand-made coordinates (any positions do: the checks are
/// about invariances, not chemistry).
fn molecules() -> Vec<MolGraph> {
    let place = |smiles: &str, seed: f32| {
        let g = OgbFeaturizer.featurize(smiles).unwrap();
        let coords = (0..g.num_atoms())
            .map(|i| {
                let x = i as f32;
                [
                    x * 1.3 + seed,
                    (x * 0.7 + seed).sin(),
                    (x * 1.1).cos() * seed,
                ]
            })
            .collect();
        g.with_coords(coords).unwrap()
    };
    vec![
        place("CCO", 0.3),
        place("c1ccncc1C(=O)O", 1.7),
        place("CC(N)C(=O)O", 0.9),
    ]
}

fn graph_output(
    model: &RelationTransformer,
    graphs: &[MolGraph],
    input: &RelationInput,
) -> Vec<f32> {
    let batch = DenseCollate::new()
        .with_coords(true)
        .collate(graphs, &Device::default())
        .unwrap();
    model.check(&batch, input).unwrap();
    model
        .forward(&batch, input, &mut Generator::new(0))
        .graph
        .into_data()
        .iter::<f32>()
        .collect()
}

fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < tol)
}

fn modes() -> [(&'static str, RelationInput); 3] {
    [
        ("2d", RelationInput::TwoD),
        ("3d", RelationInput::ThreeD),
        ("2d+3d", RelationInput::Both),
    ]
}

#[test]
fn rotation_translation_and_padding_leave_outputs_unchanged() {
    let model = config().init(&Device::default()).unwrap();
    let graphs = molecules();
    // A rotation about an oblique axis and a translation.
    let (s, c) = (0.6f32.sin(), 0.6f32.cos());
    let moved: Vec<MolGraph> = graphs
        .iter()
        .map(|g| {
            let coords = g
                .coords()
                .unwrap()
                .iter()
                .map(|&[x, y, z]| {
                    [
                        c * x - s * y + 2.0,
                        s * c * x + c * c * y - s * z - 1.0,
                        s * s * x + s * c * y + c * z + 0.5,
                    ]
                })
                .collect();
            g.clone().with_coords(coords).unwrap()
        })
        .collect();
    for (name, input) in modes() {
        let a = graph_output(&model, &graphs, &input);
        let b = graph_output(&model, &moved, &input);
        assert!(close(&a, &b, 1e-4), "{name}: rotated {a:?} vs {b:?}");
        // Alone or padded in a batch with larger molecules: the same output.
        let alone = graph_output(&model, &graphs[..1], &input);
        assert!(
            close(&alone, &a[..16], 1e-5),
            "{name}: padding changed the output"
        );
    }
}

#[test]
fn atom_order_does_not_change_the_graph_output() {
    let model = config().init(&Device::default()).unwrap();
    // The same molecules, atoms written in another order, coordinates permuted with them.
    let a = OgbFeaturizer.featurize("OCC").unwrap();
    let b = OgbFeaturizer.featurize("CCO").unwrap();
    let pa = vec![[0.0, 1.4, 0.2], [0.1, 0.0, 0.0], [1.5, -0.3, 0.1]];
    let pb = vec![[1.5, -0.3, 0.1], [0.1, 0.0, 0.0], [0.0, 1.4, 0.2]];
    let a = a.with_coords(pa).unwrap();
    let b = b.with_coords(pb).unwrap();
    for (name, input) in modes() {
        let x = graph_output(&model, std::slice::from_ref(&a), &input);
        let y = graph_output(&model, std::slice::from_ref(&b), &input);
        assert!(close(&x, &y, 1e-4), "{name}: {x:?} vs {y:?}");
    }
}

struct Count<'a> {
    grads: &'a Gradients,
    with: usize,
    without: Vec<String>,
}

impl ModuleVisitor for Count<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        match param.val().grad(self.grads) {
            Some(g) if g.clone().abs().sum().into_scalar::<f32>() > 0.0 => self.with += 1,
            _ => self.without.push(format!("{:?}", param.val().dims())),
        }
    }
}

#[test]
fn every_parameter_gets_a_gradient_and_blends_pick_one_modality_per_pair() {
    let device = Device::default().autodiff();
    let model = config().init(&device).unwrap();
    let graphs = molecules();
    let batch = DenseCollate::new()
        .with_coords(true)
        .collate(&graphs, &device)
        .unwrap();
    let n = batch.max_atoms();
    // Both modes together reach every parameter.
    let mut rng = Generator::new(1);
    let loss = model
        .forward(&batch, &RelationInput::Both, &mut rng)
        .graph
        .powi_scalar(2)
        .sum();
    let grads = loss.backward();
    let mut count = Count {
        grads: &grads,
        with: 0,
        without: Vec::new(),
    };
    model.visit(&mut count);
    assert!(count.without.is_empty(), "no gradient: {:?}", count.without);
    assert!(count.with > 20);

    // Each pair of a blend sees exactly one modality: all-SPD plus all-edge is the 2D bias,
    // all-3D (with the 3D node feature) is the 3D mode, and a mixed blend takes each pair's
    // value from its own modality.
    let inference = config().init(&Device::default()).unwrap();
    let batch = DenseCollate::new()
        .with_coords(true)
        .collate(&graphs, &Device::default())
        .unwrap();
    let cpu = Device::default();
    let blend = |pairs: Tensor<3, Int>, three: bool| {
        RelationInput::Blend(Box::new(BlendAssignment {
            pairs,
            nodes_3d: Tensor::<2, Int>::full([graphs.len(), n], i64::from(three), &cpu)
                .equal_elem(1),
        }))
    };
    let all = |k: i64| Tensor::<3, Int>::full([1, n, n], k, &cpu);
    let run = |input: &RelationInput| {
        let out = inference.forward(&batch, input, &mut Generator::new(0));
        let values = |t: Tensor<4>| t.into_data().iter::<f32>().collect::<Vec<f32>>();
        (
            values(out.pair_bias),
            out.graph.into_data().iter::<f32>().collect::<Vec<f32>>(),
        )
    };
    let (spd, _) = run(&blend(all(0), false));
    let (edges, _) = run(&blend(all(1), false));
    let (three, three_graph) = run(&blend(all(2), true));
    let (two_d, _) = run(&RelationInput::TwoD);
    let summed: Vec<f32> = spd.iter().zip(&edges).map(|(a, b)| a + b).collect();
    assert!(close(&summed, &two_d, 1e-6));
    let (three_d, three_d_graph) = run(&RelationInput::ThreeD);
    assert!(close(&three, &three_d, 1e-6) && close(&three_graph, &three_d_graph, 1e-6));
    // A checkerboard of all three modalities.
    let mixed: Vec<i64> = (0..n * n).map(|k| (k % 3) as i64).collect();
    let mixed = Tensor::<3, Int>::from_data(burn::tensor::TensorData::new(mixed, [1, n, n]), &cpu);
    let (chosen, _) = run(&blend(mixed, false));
    let heads = 4;
    for (at, value) in chosen.iter().enumerate() {
        let pair = at % (n * n);
        let want = [spd[at], edges[at], three[at]][pair % 3];
        assert!(
            (value - want).abs() < 1e-6,
            "pair {pair} head {}",
            (at / (n * n)) % heads
        );
    }
}

#[test]
fn inputs_it_cannot_take_are_clear_errors() {
    let device = Device::default();
    let model = config().with_max_atoms(Some(5)).init(&device).unwrap();
    let plain: Vec<MolGraph> = ["CCO", "c1ccccc1"]
        .iter()
        .map(|s| OgbFeaturizer.featurize(s).unwrap())
        .collect();
    let batch = DenseCollate::new().collate(&plain, &device).unwrap();
    let err = model.check(&batch, &RelationInput::TwoD).unwrap_err();
    assert!(
        err.to_string()
            .contains("molecule 1 of the batch has 6 atoms"),
        "{err}"
    );
    let small = DenseCollate::new().collate(&plain[..1], &device).unwrap();
    model.check(&small, &RelationInput::TwoD).unwrap();
    let err = model.check(&small, &RelationInput::ThreeD).unwrap_err();
    assert!(err.to_string().contains("needs 3D coordinates"), "{err}");
    assert!(config().with_heads(5).init(&device).is_err());
}
