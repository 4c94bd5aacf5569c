//! Message-passing primitives (edges/s of gather + scatter-sum, graphs/s of pooling) and the
//! GIN layer / 5 × 300 student (graphs/s: inference, forward, forward + backward, and a
//! training step with Adam), at 32 / 128 / 256 /
//! 512-molecule batches, on every CPU backend built; and burn's matmul on the student's
//! shapes (FLOP/s).

#[path = "common.rs"]
mod common;

molkd::use_mimalloc!();

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use molkd::graph::message_passing::{
    gather, global_max_pool, global_mean_pool, global_sum_pool, scatter_sum,
};
use molkd::graph::random::Generator;
use molkd::graph::{Collate, Featurizer, PretrainGnnFeaturizer};
use molkd::models::{GinConvConfig, GnnEncoderConfig, StudentModelConfig};

const HIDDEN: usize = 300;

// One push per backend compiled in.
#[allow(deprecated, clippy::vec_init_then_push)]
fn devices() -> Vec<(&'static str, Device)> {
    let mut v = Vec::new();
    #[cfg(feature = "flex")]
    v.push(("flex", Device::flex()));
    #[cfg(feature = "ndarray")]
    v.push(("ndarray", Device::ndarray()));
    v
}

fn message_passing(c: &mut Criterion) {
    let f = PretrainGnnFeaturizer;
    let graphs = common::bench_graphs(&f, 512);
    let collate = Collate::new(&f)
        .with_self_loops(true)
        .expect("self-loop category");
    let mut group = c.benchmark_group("message_passing");
    group.sample_size(20);
    for (backend, device) in devices() {
        for size in [32usize, 128, 512] {
            let batch = collate
                .collate(&graphs[..size.min(graphs.len())], &device)
                .expect("batch");
            let (n, e, g) = (batch.num_nodes(), batch.num_edges(), batch.num_graphs());
            let x = Tensor::<2>::random([n, HIDDEN], Distribution::Normal(0.0, 1.0), &device);
            let id = format!("{backend}/{size}");
            group.throughput(Throughput::Elements(e as u64));
            group.bench_function(BenchmarkId::new("gather_scatter_sum_edges", &id), |b| {
                b.iter(|| {
                    let out = scatter_sum(
                        gather(x.clone(), batch.edge_src.clone()),
                        batch.edge_dst.clone(),
                        n,
                    );
                    device.sync().expect("sync");
                    out
                })
            });
            let ad = device.clone().autodiff();
            let xa = Tensor::<2>::random([n, HIDDEN], Distribution::Normal(0.0, 1.0), &ad)
                .require_grad();
            let batch_ad = collate
                .collate(&graphs[..size.min(graphs.len())], &ad)
                .expect("batch");
            group.bench_function(
                BenchmarkId::new("gather_scatter_sum_fwd_bwd_edges", &id),
                |b| {
                    b.iter(|| {
                        let out = scatter_sum(
                            gather(xa.clone(), batch_ad.edge_src.clone()),
                            batch_ad.edge_dst.clone(),
                            n,
                        );
                        let grads = out.sum().backward();
                        let gx = xa.grad(&grads);
                        ad.sync().expect("sync");
                        gx
                    })
                },
            );
            group.throughput(Throughput::Elements(g as u64));
            for (name, pool) in [
                ("sum_pool_graphs", global_sum_pool as fn(_, _) -> _),
                ("mean_pool_graphs", global_mean_pool),
                ("max_pool_graphs", global_max_pool),
            ] {
                group.bench_function(BenchmarkId::new(name, &id), |b| {
                    b.iter(|| {
                        let out = pool(x.clone(), &batch.by_graph);
                        device.sync().expect("sync");
                        out
                    })
                });
            }
        }
    }
    group.finish();
}

/// GIN layer and the pretrain-gnns student (GIN 5 × 300, mean readout), forward and
/// forward + backward: graphs/s.
fn gin_student(c: &mut Criterion) {
    let f = PretrainGnnFeaturizer;
    let graphs = common::bench_graphs(&f, 512);
    // The SMILES list, so scripts/bench_pyg.py can time PyG on the same molecules.
    let (smiles, _) = common::bench_smiles(512);
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench_mp_sample.smi");
    if let Err(e) = std::fs::write(&sample, smiles.join("\n") + "\n") {
        eprintln!("could not write {}: {e}", sample.display());
    }
    let collate = Collate::new(&f)
        .with_self_loops(true)
        .expect("self-loop category");
    let encoder =
        || GnnEncoderConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec());
    let mut group = c.benchmark_group("gin");
    group.sample_size(10);
    for (backend, device) in devices() {
        let ad = device.clone().autodiff();
        let mut rng = Generator::new(0);
        let student = StudentModelConfig::new(encoder().into(), 12)
            .init(&ad)
            .expect("student");
        // Inference: the same architecture on the plain (non-autodiff) device, dropout off.
        let inference = StudentModelConfig::new(encoder().into(), 12)
            .init(&device)
            .expect("student");
        let mut train_student = Some(student.clone());
        let mut adam = AdamConfig::new().init();
        let layer = GinConvConfig::new(HIDDEN, f.bond_vocab_sizes().to_vec()).init(&ad);
        for size in [32usize, 128, 256, 512] {
            let part = &graphs[..size.min(graphs.len())];
            let batch = collate.collate(part, &ad).expect("batch");
            let id = format!("{backend}/{size}");
            group.throughput(Throughput::Elements(batch.num_graphs() as u64));
            let x = Tensor::<2>::random(
                [batch.num_nodes(), HIDDEN],
                Distribution::Normal(0.0, 1.0),
                &ad,
            );
            group.bench_function(BenchmarkId::new("layer_fwd_bwd_graphs", &id), |b| {
                b.iter(|| {
                    let grads = layer
                        .forward(x.clone().require_grad(), &batch)
                        .sum()
                        .backward();
                    ad.sync().expect("sync");
                    grads
                })
            });
            group.bench_function(BenchmarkId::new("student_fwd_graphs", &id), |b| {
                b.iter(|| {
                    let out = student.forward(&batch, &mut rng).predictions.detach();
                    ad.sync().expect("sync");
                    out
                })
            });
            let inference_batch = collate.collate(part, &device).expect("batch");
            group.bench_function(BenchmarkId::new("student_infer_graphs", &id), |b| {
                b.iter(|| {
                    let out = inference.infer(&inference_batch).predictions;
                    device.sync().expect("sync");
                    out
                })
            });
            group.bench_function(BenchmarkId::new("student_train_step_graphs", &id), |b| {
                b.iter(|| {
                    let model = train_student.take().expect("model");
                    let grads = model.forward(&batch, &mut rng).predictions.sum().backward();
                    let grads = GradientsParams::from_grads(grads, &model);
                    let model = adam.step(1e-3, model, grads);
                    ad.sync().expect("sync");
                    train_student = Some(model);
                })
            });
            group.bench_function(BenchmarkId::new("student_fwd_bwd_graphs", &id), |b| {
                b.iter(|| {
                    let grads = student
                        .forward(&batch, &mut rng)
                        .predictions
                        .sum()
                        .backward();
                    ad.sync().expect("sync");
                    grads
                })
            });
        }
    }
    group.finish();
}

/// The dense products of the student's GIN MLPs on a 128-molecule batch (~3,200 atoms),
/// through burn's `matmul` (throughput in FLOP/s): forward `[N, 300] × [300, 600]` and
/// `[N, 600] × [600, 300]`, and a weight gradient `[300, N] × [N, 600]` with a transposed
/// left operand, as autodiff issues it. `scripts/gemm_reference.py` times the same shapes in
/// numpy and torch.
fn matmul(c: &mut Criterion) {
    let mut group = c.benchmark_group("matmul");
    group.sample_size(20);
    for (backend, device) in devices() {
        // (m, k, n, lhs stored transposed)
        for (m, k, n, lhs_t) in [
            (3200usize, 300usize, 600usize, false),
            (3200, 600, 300, false),
            (300, 3200, 600, true),
        ] {
            let a = if lhs_t {
                Tensor::<2>::random([k, m], Distribution::Default, &device).transpose()
            } else {
                Tensor::<2>::random([m, k], Distribution::Default, &device)
            };
            let b = Tensor::<2>::random([k, n], Distribution::Default, &device);
            group.throughput(Throughput::Elements((2 * m * k * n) as u64));
            let suffix = if lhs_t { "-lhs-transposed" } else { "" };
            let id = format!("{backend}/{m}x{k}x{n}{suffix}");
            group.bench_function(BenchmarkId::new("flop", &id), |bench| {
                bench.iter(|| {
                    let out = a.clone().matmul(b.clone());
                    device.sync().expect("sync");
                    out
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, message_passing, gin_student, matmul);
criterion_main!(benches);
