//! The MoleBLEND relation Transformer (`RelationTransformerConfig::cpu` 4 × 128 and `base`
//! 12 × 768) at 32- and 128-molecule batches on the CPU: molecules/s of inference (2D and 3D
//! relations) and of a training step (forward, backward, AdamW) of the student, and where
//! a forward pass goes: building the 2D biases (SPD + multi-hop bond paths), the 3D bias
//! (Gaussian kernels), attention, and the feed-forward halves of the blocks.
//!
//! Molecules: the first rows of each MoleculeNet set (`$MOLKD_DATA_DIR`), else the fixture,
//! up to 64 heavy atoms; coordinates are drawn (a jittered chain, ~1.5 Å per atom), since only
//! their count matters for time. A dense batch is padded to its largest molecule, so one
//! SIDER molecule of several hundred atoms makes a 128-molecule batch cost tens of GB (a
//! training step of such a batch was killed at 24 GiB): the limit keeps the bench on typical
//! drug-like sizes, and `--max-atoms` is the training-time guard.

#[path = "common.rs"]
mod common;

molkd::use_mimalloc!();

use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use molkd::graph::random::Generator;
use molkd::graph::{DenseCollate, Featurizer, MolGraph, OgbFeaturizer};
use molkd::models::{
    RelationEncoderConfig, RelationInput, RelationModality, RelationTransformerConfig,
    StudentModelConfig,
};
use molkd::train::optim::{OptimConfig, OptimizerKind};
use rand::{Rng, SeedableRng};

/// Largest molecule benched (heavy atoms).
const MAX_ATOMS: usize = 64;

/// The bench molecules with drawn coordinates.
fn molecules(n: usize) -> Vec<MolGraph> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    common::bench_graphs(&OgbFeaturizer, 2 * n)
        .into_iter()
        .filter(|g| g.num_atoms() <= MAX_ATOMS)
        .take(n)
        .map(|g| {
            let coords = (0..g.num_atoms())
                .map(|i| {
                    let jitter = |r: &mut rand_chacha::ChaCha8Rng| r.random_range(-0.3f32..0.3);
                    [
                        1.5 * i as f32 + jitter(&mut rng),
                        jitter(&mut rng),
                        jitter(&mut rng),
                    ]
                })
                .collect();
            g.with_coords(coords).expect("one position per atom")
        })
        .collect()
}

fn relation_transformer(c: &mut Criterion) {
    let f = OgbFeaturizer;
    let graphs = molecules(128);
    let device = Device::flex();
    let ad = device.clone().autodiff();
    let collate = DenseCollate::new().with_coords(true);
    let vocab = || (f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec());
    let configs = [
        ("cpu", {
            let (a, b) = vocab();
            RelationTransformerConfig::cpu(a, b)
        }),
        ("base", {
            let (a, b) = vocab();
            RelationTransformerConfig::base(a, b)
        }),
    ];
    let mut group = c.benchmark_group("relation_transformer");
    // Ten samples of a few seconds: a base-sized training step at 128 molecules takes seconds.
    group
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    let mut rng = Generator::new(0);
    for (name, transformer) in configs {
        let student = |input: RelationModality, device: &Device| {
            let encoder = RelationEncoderConfig::new(transformer.clone()).with_input(input);
            StudentModelConfig::new(encoder.into(), 12)
                .init(device)
                .expect("student")
        };
        let infer_2d = student(RelationModality::TwoD, &device);
        let infer_3d = student(RelationModality::ThreeD, &device);
        let model = transformer.init(&device).expect("transformer");
        let mut train_student = Some(student(RelationModality::TwoD, &ad));
        let optim = OptimConfig::new()
            .with_optimizer(OptimizerKind::AdamW)
            .with_weight_decay(5e-5);
        let mut optimizer = optim.optimizer();
        for size in [32usize, 128] {
            let part = &graphs[..size.min(graphs.len())];
            let id = format!("{name}/{size}");
            let batch = collate.collate(part, &device).expect("batch");
            let train_batch = collate.collate(part, &ad).expect("batch");
            group.throughput(Throughput::Elements(part.len() as u64));
            group.bench_function(BenchmarkId::new("infer_2d_molecules", &id), |b| {
                b.iter(|| {
                    let out = infer_2d.infer(&batch).predictions;
                    device.sync().expect("sync");
                    out
                })
            });
            group.bench_function(BenchmarkId::new("infer_3d_molecules", &id), |b| {
                b.iter(|| {
                    let out = infer_3d.infer(&batch).predictions;
                    device.sync().expect("sync");
                    out
                })
            });
            group.bench_function(BenchmarkId::new("train_step_2d_molecules", &id), |b| {
                b.iter(|| {
                    let m = train_student.take().expect("model");
                    let loss = m.forward(&train_batch, &mut rng).predictions.sum();
                    let grads = GradientsParams::from_grads(loss.backward(), &m);
                    train_student = Some(optimizer.step(1e-4, m, grads));
                    ad.sync().expect("sync");
                })
            });

            // Where an inference forward pass goes.
            group.bench_function(BenchmarkId::new("part_bias_2d_molecules", &id), |b| {
                b.iter(|| {
                    let bias = model.spd.forward(batch.spd.clone())
                        + model
                            .edges
                            .forward(batch.path_features.clone(), batch.spd.clone());
                    device.sync().expect("sync");
                    bias
                })
            });
            let [bs, n, _] = batch.atom_features.dims();
            let types: Tensor<2, Int> =
                batch.atom_features.clone().narrow(2, 0, 1).reshape([bs, n]);
            let real = batch.padding_mask.clone().bool_not().float();
            let coords = batch.coords.clone().expect("coordinates");
            group.bench_function(BenchmarkId::new("part_bias_3d_molecules", &id), |b| {
                b.iter(|| {
                    let g = model
                        .gaussian
                        .forward(coords.clone(), types.clone(), real.clone());
                    device.sync().expect("sync");
                    g.bias
                })
            });
            let hidden = model.forward(&batch, &RelationInput::TwoD, &mut rng).atoms; // [B, n, d]: a realistic input to the blocks
            let bias = model
                .forward(&batch, &RelationInput::TwoD, &mut rng)
                .pair_bias; // [B, H, n, n]
            group.bench_function(BenchmarkId::new("part_attention_molecules", &id), |b| {
                b.iter(|| {
                    let mut h = hidden.clone();
                    for block in &model.blocks {
                        h = block.attention(h, bias.clone(), &mut rng);
                    }
                    device.sync().expect("sync");
                    h
                })
            });
            group.bench_function(BenchmarkId::new("part_ffn_molecules", &id), |b| {
                b.iter(|| {
                    let mut h = hidden.clone();
                    for block in &model.blocks {
                        h = block.feed_forward(h, &mut rng);
                    }
                    device.sync().expect("sync");
                    h
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, relation_transformer);
criterion_main!(benches);
