//! Message-passing primitives: edges/s of gather + scatter-sum and graphs/s of pooling, at
//! 32 / 128 / 512-molecule batches, on every CPU backend built.

#[path = "common.rs"]
mod common;

use burn::tensor::{Device, Distribution, Tensor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use molkd::graph::message_passing::{
    gather, global_max_pool, global_mean_pool, global_sum_pool, scatter_sum,
};
use molkd::graph::{Collate, PretrainGnnFeaturizer};

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
                ("sum_pool_graphs", global_sum_pool as fn(_, _, _) -> _),
                ("mean_pool_graphs", global_mean_pool),
                ("max_pool_graphs", global_max_pool),
            ] {
                group.bench_function(BenchmarkId::new(name, &id), |b| {
                    b.iter(|| {
                        let out = pool(x.clone(), batch.batch.clone(), g);
                        device.sync().expect("sync");
                        out
                    })
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, message_passing);
criterion_main!(benches);
