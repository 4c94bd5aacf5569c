//! MoleBLEND's blending and pre-training heads: blends have the configured frequencies and give
//! each pair exactly one modality, the graph token is never blended, the pair heads compute a
//! linear layer over the outer product, and the denoising prediction rotates with the input.

use burn::tensor::{Device, Distribution, Int, Tensor};
use molkd_graph::random::Generator;
use molkd_graph::{DenseCollate, Featurizer, MolGraph, OgbFeaturizer};
use molkd_models::relation::{
    BlendConfig, BlendHeadsConfig, BlendModelConfig, BlendPartition, PAIR_3D, PAIR_EDGE, PAIR_SPD,
    RelationInput, RelationTransformerConfig,
};

fn ints(t: Tensor<3, Int>) -> Vec<i64> {
    t.into_data().iter::<i64>().collect()
}

fn share(values: &[i64], code: i64) -> f64 {
    values.iter().filter(|&&v| v == code).count() as f64 / values.len() as f64
}

#[test]
fn blends_have_the_configured_frequencies_and_one_modality_per_pair() {
    let device = Device::default();
    let mut rng = Generator::new(11);
    let config = BlendConfig::new();
    // Per batch (the original): one [1, n, n] partition.
    let blend = config.draw(4, 60, &mut rng, &device);
    assert_eq!(blend.pairs.dims(), [1, 60, 60]);
    let pairs = ints(blend.pairs);
    assert!(
        pairs
            .iter()
            .all(|v| [PAIR_SPD, PAIR_EDGE, PAIR_3D].contains(v))
    );
    for (code, p) in [(PAIR_SPD, 0.2), (PAIR_EDGE, 0.2), (PAIR_3D, 0.6)] {
        let got = share(&pairs, code);
        assert!((got - p).abs() < 0.03, "modality {code}: {got} vs {p}");
    }
    let nodes: Vec<bool> = blend.nodes_3d.into_data().iter::<bool>().collect();
    assert_eq!(nodes.len(), 240);
    let three = nodes.iter().filter(|&&x| x).count() as f64 / 240.0;
    assert!((three - 0.6).abs() < 0.08, "3D node share {three}");
    // Asymmetric by default: some (i, j) and (j, i) differ.
    let n = 60;
    assert!((0..n).any(|i| (0..n).any(|j| pairs[i * n + j] != pairs[j * n + i])));

    // Per molecule and symmetric.
    let config = BlendConfig::new()
        .with_partition(BlendPartition::PerMolecule)
        .with_symmetric(true)
        .with_pair_probs([0.5, 0.0, 0.5]);
    let blend = config.draw(3, 20, &mut rng, &device);
    assert_eq!(blend.pairs.dims(), [3, 20, 20]);
    let pairs = ints(blend.pairs);
    assert_eq!(share(&pairs, PAIR_EDGE), 0.0);
    for k in 0..3 {
        for i in 0..20 {
            for j in 0..20 {
                assert_eq!(pairs[(k * 20 + i) * 20 + j], pairs[(k * 20 + j) * 20 + i]);
            }
        }
    }
    assert_ne!(
        pairs[..400],
        pairs[400..800],
        "molecules draw their own partitions"
    );

    assert!(
        BlendConfig::new()
            .with_pair_probs([0.5, 0.5, 0.5])
            .validate()
            .is_err()
    );
    assert!(
        BlendConfig::new()
            .with_node_3d_prob(1.5)
            .validate()
            .is_err()
    );
}

#[test]
fn noise_has_the_configured_scale_and_spares_padding() {
    let device = Device::default();
    let config = BlendConfig::new().with_noise_std(0.2);
    let noise = config.draw_noise(&[300, 2], 300, &mut Generator::new(5), &device);
    let values: Vec<f32> = noise.into_data().iter::<f32>().collect();
    let first = &values[..900];
    let mean = first.iter().sum::<f32>() / 900.0;
    let std = (first.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 900.0).sqrt();
    assert!(
        mean.abs() < 0.03 && (std - 0.2).abs() < 0.02,
        "{mean} {std}"
    );
    assert!(
        values[900 + 6..].iter().all(|&v| v == 0.0),
        "padding is not noised"
    );
    assert!(values[900..906].iter().all(|&v| v != 0.0));
}

fn transformer() -> RelationTransformerConfig {
    let f = OgbFeaturizer;
    RelationTransformerConfig::cpu(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
        .with_num_layers(2)
        .with_d_model(16)
        .with_heads(4)
        .with_ffn_dim(16)
        .with_kernels(8)
        .with_attention_dropout(0.0)
}

fn molecules() -> Vec<MolGraph> {
    ["CCO", "c1ccncc1C(=O)O"]
        .iter()
        .map(|s| {
            let g = OgbFeaturizer.featurize(s).unwrap();
            let coords = (0..g.num_atoms())
                .map(|i| {
                    let x = i as f32;
                    [x * 1.2, (x * 0.9).sin(), (x * 1.3).cos()]
                })
                .collect();
            g.with_coords(coords).unwrap()
        })
        .collect()
}

#[test]
fn the_graph_token_is_never_blended() {
    let device = Device::default();
    let model = transformer().init(&device).unwrap();
    let batch = DenseCollate::new()
        .with_coords(true)
        .collate(&molecules(), &device)
        .unwrap();
    let [b, n, _] = batch.atom_features.dims();
    let virtual_distance: Vec<f32> = model
        .virtual_distance
        .val()
        .into_data()
        .iter::<f32>()
        .collect();
    let mut blocks = Vec::new();
    for seed in [1, 2] {
        let blend = BlendConfig::new().draw(b, n, &mut Generator::new(seed), &device);
        let input = RelationInput::Blend(Box::new(blend));
        let out = model.forward(&batch, &input, &mut Generator::new(0));
        let bias = model.attention_bias(out.pair_bias.clone(), batch.padding_mask.clone());
        assert_eq!(bias.dims(), [b, 4, n + 1, n + 1]);
        let cls_row = bias.clone().narrow(2, 0, 1).narrow(3, 0, 3); // molecule 0 has 3 atoms
        let cls_col = bias.clone().narrow(2, 1, 3).narrow(3, 0, 1);
        for part in [cls_row, cls_col] {
            let [_, h, r, c] = part.dims();
            let values: Vec<f32> = part.narrow(0, 0, 1).into_data().iter::<f32>().collect();
            for head in 0..h {
                for k in 0..r * c {
                    assert_eq!(values[head * r * c + k], virtual_distance[head]);
                }
            }
        }
        blocks.push(out.pair_bias.into_data().iter::<f32>().collect::<Vec<_>>());
    }
    assert_ne!(blocks[0], blocks[1], "the atom block follows the blend");
}

#[test]
fn pair_heads_are_a_linear_layer_over_the_outer_product() {
    let device = Device::default();
    let heads = BlendHeadsConfig::new(16, 4, 5, 60)
        .with_rank(3)
        .init(&device)
        .unwrap();
    let rows = Tensor::<3>::random([2, 4, 3], Distribution::Normal(0.0, 1.0), &device);
    let cols = Tensor::<3>::random([2, 4, 3], Distribution::Normal(0.0, 1.0), &device);
    let fast: Vec<f32> = heads
        .spd
        .forward(rows.clone(), cols.clone())
        .into_data()
        .iter::<f32>()
        .collect();
    // The explicit form: z_ij = vec(row_i ⊗ col_j) (r² features, row-major), then W_c · z.
    let w: Vec<f32> = heads.spd.weight.val().into_data().iter::<f32>().collect(); // [r, C·r]
    let bias: Vec<f32> = heads.spd.bias.val().into_data().iter::<f32>().collect();
    let r_: Vec<f32> = rows.into_data().iter::<f32>().collect();
    let c_: Vec<f32> = cols.into_data().iter::<f32>().collect();
    let (r, classes) = (3, 11);
    for b in 0..2 {
        for i in 0..4 {
            for j in 0..4 {
                for c in 0..classes {
                    let mut sum = bias[c];
                    for a in 0..r {
                        for e in 0..r {
                            sum += r_[(b * 4 + i) * r + a]
                                * c_[(b * 4 + j) * r + e]
                                * w[a * classes * r + c * r + e];
                        }
                    }
                    let got = fast[((b * 4 + i) * 4 + j) * classes + c];
                    assert!((got - sum).abs() < 1e-5, "{got} vs {sum}");
                }
            }
        }
    }
}

/// With one readout shared by the three axes the denoising head is equivariant; the
/// original's three per-axis readouts are not (a rotation mixes axes the readouts weigh
/// differently).
#[test]
fn the_shared_readout_denoising_prediction_rotates_with_the_molecule() {
    let device = Device::default();
    let config = BlendModelConfig::new(transformer()).with_shared_denoise_readout(true);
    let model = config.init(&device).unwrap();
    assert_eq!(
        config.edge_classes(),
        60,
        "OGB: 5 bond types × 6 stereo × 2"
    );
    let graphs = molecules();
    // A rotation about z by 90° and a shift.
    let rotate = |p: [f32; 3]| [-p[1] + 2.0, p[0] - 1.0, p[2] + 0.5];
    let rotated: Vec<MolGraph> = graphs
        .iter()
        .map(|g| {
            let coords = g.coords().unwrap().iter().map(|&p| rotate(p)).collect();
            g.clone().with_coords(coords).unwrap()
        })
        .collect();
    let collate = DenseCollate::new().with_coords(true);
    let run = |graphs: &[MolGraph]| {
        let batch = collate.collate(graphs, &device).unwrap();
        let [b, n, _] = batch.atom_features.dims();
        let blend = BlendConfig::new().draw(b, n, &mut Generator::new(3), &device);
        let (_, predicted) = model.forward(&batch, blend, &mut Generator::new(0));

        assert_eq!(predicted.spd.dims(), [b, n, n, 11]);
        assert_eq!(predicted.edges.dims(), [b, n, n, 5, 60]);
        (
            predicted
                .noise
                .into_data()
                .iter::<f32>()
                .collect::<Vec<_>>(),
            predicted
                .directions
                .into_data()
                .iter::<f32>()
                .collect::<Vec<_>>(),
        )
    };
    let (noise, directions) = run(&graphs);
    let (noise_rotated, directions_rotated) = run(&rotated);
    // Real atoms only: padding rows read untransformed zero coordinates.
    let n = 9;
    let real: Vec<usize> = (0..3).chain(n..n + 9).collect();
    for &a in &real {
        let (p, q) = (&noise[a * 3..a * 3 + 3], &noise_rotated[a * 3..a * 3 + 3]);
        let expected = [-p[1], p[0], p[2]]; // rotated, not shifted
        for k in 0..3 {
            assert!((q[k] - expected[k]).abs() < 1e-4, "{q:?} vs {expected:?}");
        }
    }
    // The pair heads read invariant atom states: their predictions do not move.
    for (p, q) in directions.iter().zip(&directions_rotated) {
        assert!((p - q).abs() < 1e-4);
    }
}
