//! GIN, encoder, readouts and student: shapes, a hand-computed graph, permutation invariance,
//! gradient flow, and clear errors for batches that do not fit.

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::tensor::Gradients;
use burn::tensor::{Device, Tensor};
use molkd_graph::featurize::pretrain_gnns_vocab::SELF_LOOP_BOND;
use molkd_graph::random::Generator;
use molkd_graph::{Collate, Featurizer, GraphBatch, OgbFeaturizer, PretrainGnnFeaturizer};
use molkd_models::{
    CheckpointError, Checkpointed, Conv, ConvKind, EncoderConfig, GinConvConfig, GnnEncoderConfig,
    JumpingKnowledge, ModelError, MoleculeEncoder, ReadoutConfig, ReadoutKind, SageAggregator,
    StudentModel, StudentModelConfig, checkpoint,
};

fn batch(smiles: &[&str], device: &Device) -> GraphBatch {
    let f = PretrainGnnFeaturizer;
    let graphs: Vec<_> = smiles.iter().map(|s| f.featurize(s).unwrap()).collect();
    Collate::new(&f)
        .with_self_loops(true)
        .unwrap()
        .collate(&graphs, device)
        .unwrap()
}

fn encoder_config(layers: usize, d: usize) -> GnnEncoderConfig {
    let f = PretrainGnnFeaturizer;
    GnnEncoderConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
        .with_num_layers(layers)
        .with_d_model(d)
}

fn host(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec_as::<f32>().unwrap()
}

/// Weight (row-major `[d_in, d_out]`) and bias of a linear layer, on the host.
fn linear_parameters(linear: &burn::nn::Linear) -> (Vec<f32>, Vec<f32>) {
    let bias = linear.bias.as_ref().expect("bias").val();
    (
        host(linear.weight.val()),
        bias.into_data().try_to_vec_as::<f32>().unwrap(),
    )
}

#[test]
fn gin_layer_matches_a_hand_computation() {
    // Ethanol C–C–O with self-loops: node v sums h_u + e(bond type, dir) over u ∈ N(v) ∪ {v}.
    let device = Device::default();
    let b = batch(&["CCO"], &device);
    let d = 4;
    let layer = GinConvConfig::new(d, vec![6, 3]).init(&device);
    let x: Vec<f32> = (0..3 * d).map(|k| (k as f32 * 0.37).sin()).collect();
    let out = host(layer.forward(
        Tensor::from_data(burn::tensor::TensorData::new(x.clone(), [3, d]), &device),
        &b,
    ));

    let table = host(layer.edge_embedding.weight.val()); // [6 + 3, d]
    let edge = |bond_type: usize| -> Vec<f32> {
        // direction 0 for every bond of ethanol; the direction table starts at row 6.
        (0..d)
            .map(|c| table[bond_type * d + c] + table[6 * d + c])
            .collect()
    };
    let neighbours: [&[usize]; 3] = [&[1], &[0, 2], &[1]];
    let (w1, b1) = linear_parameters(&layer.mlp_in); // [d, 2d], [2d]
    let (w2, b2) = linear_parameters(&layer.mlp_out); // [2d, d], [d]
    for v in 0..3 {
        let mut agg = vec![0f32; d];
        let self_edge = edge(SELF_LOOP_BOND as usize);
        for c in 0..d {
            agg[c] += x[v * d + c] + self_edge[c];
        }
        for &u in neighbours[v] {
            let e = edge(0); // single bond
            for c in 0..d {
                agg[c] += x[u * d + c] + e[c];
            }
        }
        let hidden: Vec<f32> = (0..2 * d)
            .map(|j| (b1[j] + (0..d).map(|i| agg[i] * w1[i * 2 * d + j]).sum::<f32>()).max(0.0))
            .collect();
        for c in 0..d {
            let expect = b2[c] + (0..2 * d).map(|j| hidden[j] * w2[j * d + c]).sum::<f32>();
            assert!(
                (out[v * d + c] - expect).abs() < 1e-4,
                "node {v} col {c}: {} vs {expect}",
                out[v * d + c]
            );
        }
    }
}

#[test]
fn shapes_for_every_jk_and_readout() {
    let device = Device::default();
    let b = batch(&["CCO", "c1ccccc1", "CC(=O)O"], &device);
    for (jk, width) in [
        (JumpingKnowledge::Last, 8),
        (JumpingKnowledge::Concat, 8 * 4),
        (JumpingKnowledge::Max, 8),
        (JumpingKnowledge::Sum, 8),
    ] {
        let encoder = encoder_config(3, 8).with_jk(jk).init(&device).unwrap();
        assert_eq!(encoder.output_dim(), width);
        assert_eq!(
            encoder.forward(&b, &mut Generator::new(0)).dims(),
            [b.num_nodes(), width],
            "{jk:?}"
        );
        for (kind, conv) in READOUTS.into_iter().flat_map(|k| ALL_CONVS.map(|c| (k, c))) {
            let model =
                StudentModelConfig::new(encoder_config(3, 8).with_jk(jk).with_conv(conv).into(), 5)
                    .with_readout(kind)
                    .with_projection_dim(Some(6))
                    .init(&device)
                    .unwrap();
            let out = model.forward(&b, &mut Generator::new(0));
            assert_eq!(out.graph_embedding.dims(), [3, width], "{conv:?}");
            assert_eq!(out.predictions.dims(), [3, 5]);
            assert_eq!(out.projection.unwrap().dims(), [3, 6]);
        }
    }
}

#[test]
fn embeddings_are_invariant_to_atom_order() {
    // The same molecules written with atoms in other orders: node features permute, graph
    // embeddings (every readout) must not change. Inference mode: no dropout, BatchNorm uses
    // running statistics.
    let device = Device::default();
    let a = batch(&["OCC", "c1ccccc1C(=O)O", "CC(N)C(=O)O"], &device);
    let b = batch(&["CCO", "OC(=O)c1ccccc1", "OC(=O)C(C)N"], &device);
    for (kind, conv) in READOUTS.into_iter().flat_map(|k| ALL_CONVS.map(|c| (k, c))) {
        let model = StudentModelConfig::new(encoder_config(3, 16).with_conv(conv).into(), 2)
            .with_readout(kind)
            .init(&device)
            .unwrap();
        let (ea, eb) = (
            host(model.infer(&a).graph_embedding),
            host(model.infer(&b).graph_embedding),
        );
        for (x, y) in ea.iter().zip(&eb) {
            assert!((x - y).abs() < 1e-4, "{conv:?} {kind:?}: {x} vs {y}");
        }
    }
    let readout = ReadoutConfig::new(16)
        .with_kind(ReadoutKind::Attention)
        .init(&device);
    assert_eq!(readout.kind(), ReadoutKind::Attention);
}

/// Every trainable parameter must get a gradient, non-zero except where the model makes it
/// zero by construction: a bias right before BatchNorm (BatchNorm removes any per-feature
/// shift, as in pretrain-gnns) and the attention gate's bias (softmax ignores a shift).
/// BatchNorm's running statistics are not trainable.
struct GradCheck<'a> {
    grads: &'a Gradients,
    may_be_zero: Vec<ParamId>,
    failures: Vec<String>,
    trainable: usize,
}

impl ModuleVisitor for GradCheck<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        if !value.is_require_grad() {
            return;
        }
        self.trainable += 1;
        match value.grad(self.grads) {
            None => self
                .failures
                .push(format!("no gradient: {:?} {:?}", param.id, param.shape())),
            Some(g) => {
                let size = g.clone().abs().sum().into_scalar::<f32>();
                if size == 0.0 && !self.may_be_zero.contains(&param.id) {
                    self.failures.push(format!(
                        "zero gradient: {:?} {:?}",
                        param.id,
                        param.shape()
                    ));
                }
            }
        }
    }
}

/// Biases whose only effect is a per-feature shift that the following BatchNorm removes.
fn biases_before_norm(conv: &Conv) -> Vec<ParamId> {
    let bias = |l: &burn::nn::Linear| l.bias.as_ref().map(|b| b.id);
    match conv {
        Conv::Gin(c) => bias(&c.mlp_out).into_iter().collect(),
        Conv::Gcn(_) => Vec::new(), // scaled by each node's degree sum: not a constant shift
        Conv::Sage(c) => [bias(&c.lin_self), bias(&c.lin_neigh)]
            .into_iter()
            .flatten()
            .collect(),
        Conv::Gat(c) => vec![c.bias.id],
        Conv::Tag(c) => bias(&c.linear).into_iter().collect(),
    }
}

const READOUTS: [ReadoutKind; 4] = [
    ReadoutKind::Sum,
    ReadoutKind::Mean,
    ReadoutKind::Max,
    ReadoutKind::Attention,
];

const ALL_CONVS: [ConvKind; 6] = [
    ConvKind::Gin,
    ConvKind::Gcn,
    ConvKind::Sage {
        aggregator: SageAggregator::Mean,
    },
    ConvKind::Sage {
        aggregator: SageAggregator::Pool,
    },
    ConvKind::Gat { heads: 2 },
    ConvKind::Tag { hops: 2 },
];

#[test]
fn gradient_reaches_every_parameter() {
    let device = Device::default().autodiff();
    let b = batch(
        &["CCO", "F/C=C/Cl", "c1ccncc1", "CC(=O)Nc1ccc(O)cc1"],
        &device,
    );
    for (conv, kind) in ALL_CONVS
        .iter()
        .flat_map(|&c| [(c, ReadoutKind::Mean), (c, ReadoutKind::Attention)])
    {
        let encoder = encoder_config(2, 8).with_dropout(0.0).with_conv(conv);
        let model = StudentModelConfig::new(encoder.into(), 3)
            .with_readout(kind)
            .with_projection_dim(Some(4))
            .init(&device)
            .unwrap();
        let out = model.forward(&b, &mut Generator::new(0));
        // A loss that is not invariant to any parameter (BatchNorm's β shifts every graph).
        let w = Tensor::<2>::from_data(
            burn::tensor::TensorData::new(
                (0..12).map(|k| k as f32 - 5.5).collect::<Vec<_>>(),
                [4, 3],
            ),
            &device,
        );
        let loss = (out.predictions * w).sum() + out.projection.unwrap().powi_scalar(2).sum();
        let grads = loss.backward();
        // The gate's bias shifts every logit of a graph's softmax alike: its gradient is zero
        // up to rounding, and rounding makes it exactly zero on some initialisations.
        let gate_bias = model
            .readout
            .as_ref()
            .and_then(|r| r.gate.as_ref())
            .and_then(|g| g.bias.as_ref());
        let MoleculeEncoder::Gnn(encoder) = &model.encoder else {
            panic!("a GNN student")
        };
        let may_be_zero = encoder
            .layers
            .iter()
            .flat_map(biases_before_norm)
            .chain(gate_bias.map(|b| b.id))
            .collect();
        let mut check = GradCheck {
            grads: &grads,
            may_be_zero,
            failures: Vec::new(),
            trainable: 0,
        };
        model.visit(&mut check);
        let per_layer = match conv {
            ConvKind::Gin => 5, // bond table, 2 × (weight, bias)
            ConvKind::Gcn => 3, // weight, bias, bond table
            ConvKind::Sage {
                aggregator: SageAggregator::Mean,
            } => 5,
            ConvKind::Sage {
                aggregator: SageAggregator::Pool,
            } => 7,
            ConvKind::Gat { .. } => 6, // W, a_src, a_dst, a_edge, bond table, bias
            ConvKind::Tag { .. } => 2,
        };
        // Layers with BatchNorm γ and β, atom table, head (2), projection (4), gate (2).
        let gate = if kind == ReadoutKind::Attention { 2 } else { 0 };
        let expected = 2 * (per_layer + 2) + 1 + 2 + 4 + gate;
        assert_eq!(check.trainable, expected, "{conv:?} {kind:?}");
        assert!(
            check.failures.is_empty(),
            "{conv:?} {kind:?}: {:?}",
            check.failures
        );
    }
}

#[test]
fn batches_that_do_not_fit_are_errors() {
    let device = Device::default();
    let model = StudentModelConfig::new(encoder_config(2, 8).into(), 1)
        .init(&device)
        .unwrap();
    // OGB features: 9 columns for a 2-column embedding.
    let ogb = Collate::new(&OgbFeaturizer)
        .collate([&OgbFeaturizer.featurize("CCO").unwrap()], &device)
        .unwrap();
    assert!(matches!(
        model.check(&ogb),
        Err(ModelError::FeatureWidth {
            got: 9,
            expected: 2,
            ..
        })
    ));
    // No self-loops (left out on purpose: the default collator adds them).
    let f = PretrainGnnFeaturizer;
    let plain = Collate::new(&f)
        .with_self_loops(false)
        .unwrap()
        .collate([&f.featurize("CCO").unwrap()], &device)
        .unwrap();
    assert!(matches!(
        model.check(&plain),
        Err(ModelError::NeedsSelfLoops(_))
    ));
    // An atom type beyond a smaller vocabulary.
    let small = GnnEncoderConfig::new(vec![7, 3], vec![6, 3])
        .with_num_layers(1)
        .with_d_model(4);
    let model = StudentModelConfig::new(small.into(), 1)
        .init(&device)
        .unwrap();
    let err = model.check(&batch(&["CCO"], &device)).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::VocabularyExceeded {
                column: 0,
                value: 7,
                vocab: 7,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("7 categories"));
    assert!(
        StudentModelConfig::new(encoder_config(0, 8).into(), 1)
            .init(&device)
            .is_err()
    );
}

#[test]
fn saved_and_reloaded_models_give_bit_identical_outputs() {
    let device = Device::default();
    let b = batch(&["CCO", "c1ccccc1C(=O)O", "F/C=C/Cl"], &device);
    let tmp = tempfile::tempdir().unwrap();
    for (i, conv) in ALL_CONVS.iter().enumerate() {
        let config = StudentModelConfig::new(encoder_config(2, 8).with_conv(*conv).into(), 3)
            .with_readout(ReadoutKind::Attention)
            .with_projection_dim(Some(4));
        let model = config.init(&device).unwrap();
        let dir = tmp.path().join(format!("ckpt{i}"));
        model.save(&config, &dir).unwrap();
        let (loaded, loaded_config) = StudentModel::load(&dir, &device).unwrap();
        let EncoderConfig::Gnn(loaded_encoder) = &loaded_config.encoder else {
            panic!("a GNN configuration")
        };
        assert_eq!(loaded_encoder.conv, *conv);
        let (a, b2) = (model.infer(&b), loaded.infer(&b));
        assert_eq!(
            a.predictions.into_data().try_to_vec_as::<f32>().unwrap(),
            b2.predictions.into_data().try_to_vec_as::<f32>().unwrap(),
            "{conv:?}"
        );
        assert_eq!(
            host(a.projection.unwrap()),
            host(b2.projection.unwrap()),
            "{conv:?}"
        );
    }
}

#[test]
fn checkpoints_of_another_architecture_or_corrupt_are_errors() {
    let device = Device::default();
    let tmp = tempfile::tempdir().unwrap();
    let gin = StudentModelConfig::new(encoder_config(2, 8).into(), 3);
    let dir = tmp.path().join("gin");
    gin.init(&device).unwrap().save(&gin, &dir).unwrap();
    // Parameters of a GIN into a GCN of the same size.
    let gcn = StudentModelConfig::new(encoder_config(2, 8).with_conv(ConvKind::Gcn).into(), 3);
    let err = checkpoint::load_parameters(gcn.init(&device).unwrap(), &dir).unwrap_err();
    assert!(matches!(err, CheckpointError::Record { .. }), "{err}");
    // Same kind, other width.
    let wide = StudentModelConfig::new(encoder_config(2, 16).into(), 3);
    let err = checkpoint::load_parameters(wide.init(&device).unwrap(), &dir).unwrap_err();
    assert!(matches!(err, CheckpointError::Record { .. }), "{err}");
    // A configuration that does not describe the parameters, saved as a valid checkpoint.
    let mismatched = tmp.path().join("mismatched");
    gin.init(&device).unwrap().save(&wide, &mismatched).unwrap();
    let err = StudentModel::load(&mismatched, &device).unwrap_err();
    assert!(matches!(err, CheckpointError::Record { .. }), "{err}");
    // Truncated parameter file: its checksum no longer matches.
    let bytes = std::fs::read(dir.join(checkpoint::MODEL_FILE)).unwrap();
    std::fs::write(dir.join(checkpoint::MODEL_FILE), &bytes[..bytes.len() / 2]).unwrap();
    let err = StudentModel::load(&dir, &device).unwrap_err();
    assert!(matches!(err, CheckpointError::Corrupt { .. }), "{err}");
    std::fs::write(dir.join(checkpoint::MODEL_FILE), &bytes).unwrap();
    StudentModel::load(&dir, &device).expect("restored");
    // Garbage configuration, missing checksums, missing directory.
    std::fs::write(dir.join(checkpoint::CONFIG_FILE), "{ not json").unwrap();
    assert!(matches!(
        StudentModel::load(&dir, &device),
        Err(CheckpointError::Corrupt { .. })
    ));
    std::fs::remove_file(dir.join(checkpoint::CHECKSUMS_FILE)).unwrap();
    assert!(matches!(
        StudentModel::load(&dir, &device),
        Err(CheckpointError::Checksums { .. })
    ));
    assert!(matches!(
        StudentModel::load(&tmp.path().join("missing"), &device),
        Err(CheckpointError::Io { .. })
    ));
}

/// A checkpoint as molkd wrote it before the relation encoder: the encoder's parameters
/// without the `Gnn` variant in their names, and a configuration without a `family` tag.
#[test]
fn checkpoints_of_the_gnn_only_student_still_load() {
    use molkd_models::checkpoint::{CHECKSUMS_FILE, CONFIG_FILE, MODEL_FILE, sha256_hex};
    let device = Device::flex();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("old");
    let config = StudentModelConfig::new(encoder_config(2, 8).into(), 3);
    let model = config.init(&device).unwrap();
    model.save(&config, &dir).unwrap();

    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(CONFIG_FILE)).unwrap()).unwrap();
    assert_eq!(json["encoder"]["family"], "gnn");
    json["encoder"].as_object_mut().unwrap().remove("family");
    std::fs::write(dir.join(CONFIG_FILE), serde_json::to_vec(&json).unwrap()).unwrap();
    let tensors: Vec<burn_pack::Tensor> = burn_pack::Reader::from_file(dir.join(MODEL_FILE))
        .unwrap()
        .into_tensors()
        .unwrap()
        .into_iter()
        .map(|t| {
            let (name, dtype, shape, id, bytes) = t.into_parts().unwrap();
            let old = name.replace("encoder.Gnn.", "encoder.");
            burn_pack::Tensor::new(old, dtype, shape, id, bytes)
        })
        .collect();
    assert!(
        tensors
            .iter()
            .any(|t| t.name.starts_with("encoder.layers."))
    );
    burn_pack::Writer::new(tensors)
        .overwrite(true)
        .write_to_file(dir.join(MODEL_FILE))
        .unwrap();
    let sums: std::collections::BTreeMap<&str, String> = [MODEL_FILE, CONFIG_FILE]
        .into_iter()
        .map(|f| (f, sha256_hex(&std::fs::read(dir.join(f)).unwrap())))
        .collect();
    std::fs::write(dir.join(CHECKSUMS_FILE), serde_json::to_vec(&sums).unwrap()).unwrap();

    let (loaded, loaded_config) = StudentModel::load(&dir, &device).unwrap();
    assert!(matches!(loaded_config.encoder, EncoderConfig::Gnn(_)));
    let b = batch(&["CCO", "c1ccccc1N"], &device);
    assert_eq!(
        host(model.infer(&b).predictions),
        host(loaded.infer(&b).predictions)
    );
}
