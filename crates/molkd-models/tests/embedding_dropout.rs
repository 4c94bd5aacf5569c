//! `CategoricalEmbedding::segment_sum` equals embedding every edge and scattering, values and
//! gradients; `Dropout` masks are seeded, unbiased and off at inference; concurrent runs draw
//! what they would alone.

#![allow(deprecated)] // Device::ndarray: still a supported backend here

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData, Tolerance};
use molkd_graph::message_passing::{Segments, scatter_sum};
use molkd_graph::random::{Generator, init_seeded};
use molkd_models::{CategoricalEmbeddingConfig, DropoutConfig};

fn int2(rows: Vec<[i64; 2]>, device: &Device) -> Tensor<2, Int> {
    let n = rows.len();
    Tensor::from_data(TensorData::new(rows.concat(), [n, 2]), device)
}

#[test]
fn scatter_sum_of_embeddings_matches_per_edge_embeddings() {
    for device in [Device::flex().autodiff(), Device::ndarray().autodiff()] {
        let embedding = CategoricalEmbeddingConfig::new(vec![6, 3], 5).init(&device);
        // 7 edges into 4 nodes (node 3 receives none), bond type / direction per edge.
        let features = int2(
            vec![[0, 0], [4, 2], [1, 1], [4, 0], [5, 2], [0, 1], [2, 0]],
            &device,
        );
        let dst = Tensor::<1, Int>::from_data(
            TensorData::new(vec![0i64, 0, 1, 2, 2, 2, 1], [7]),
            &device,
        );
        let weight = Tensor::<2>::from_data(
            TensorData::new(vec![0.5f32, 1.0, 2.0, -1.0, 0.25, 3.0, 1.5], [7, 1]),
            &device,
        );
        for w in [None, Some(weight)] {
            let per_edge = embedding.forward(features.clone()); // [7, 5]
            let per_edge = match &w {
                Some(w) => per_edge * w.clone(),
                None => per_edge,
            };
            let expected = scatter_sum(per_edge, dst.clone(), 4);
            let by_dst = Segments::new(&[0, 0, 1, 2, 2, 2, 1], 4, &device);
            let got = embedding.segment_sum(features.clone(), &by_dst, w.clone());
            got.to_data()
                .assert_approx_eq::<f32>(&expected.to_data(), Tolerance::absolute(1e-5));
            // Same gradient into the table.
            let probe = Tensor::<2>::from_data(
                TensorData::new(
                    (0..20).map(|i| (i as f32 * 0.37).sin()).collect::<Vec<_>>(),
                    [4, 5],
                ),
                &device,
            );
            let g_expected = (expected * probe.clone()).sum().backward();
            let g_got = (got * probe).sum().backward();
            let a = embedding.weight.val().grad(&g_expected).expect("grad");
            let b = embedding.weight.val().grad(&g_got).expect("grad");
            b.to_data()
                .assert_approx_eq::<f32>(&a.to_data(), Tolerance::absolute(1e-5));
        }
    }
}

#[test]
fn dropout_is_seeded_unbiased_and_off_at_inference() {
    for device in [Device::flex().autodiff(), Device::ndarray().autodiff()] {
        let dropout = DropoutConfig::new(0.5).init().expect("dropout");
        let x = Tensor::<2>::ones([200, 300], &device);
        let a = dropout.forward(x.clone(), &mut Generator::new(3));
        let b = dropout.forward(x.clone(), &mut Generator::new(3));
        assert_eq!(
            a.try_to_vec_as::<f32>().expect("a"),
            b.try_to_vec_as::<f32>().expect("b"),
            "same seed, same mask"
        );
        let mut rng = Generator::new(3);
        let first = dropout.forward(x.clone(), &mut rng);
        let second = dropout.forward(x.clone(), &mut rng);
        assert_eq!(
            first.try_to_vec_as::<f32>().expect("first"),
            a.try_to_vec_as::<f32>().expect("a")
        );
        assert_ne!(
            first.try_to_vec_as::<f32>().expect("first"),
            second.try_to_vec_as::<f32>().expect("second"),
            "a generator moves on"
        );
        // Kept elements are scaled by 2; the mean stays ~1 (60,000 draws: σ ≈ 0.004).
        let mean = a.clone().mean().into_scalar::<f32>();
        assert!((mean - 1.0).abs() < 0.03, "mean {mean}");
        let values = a.try_to_vec_as::<f32>().expect("a");
        assert!(values.iter().all(|&v| v == 0.0 || v == 2.0));
        // Inference: a validation copy, or a plain device, leaves the input alone.
        let valid = dropout.valid();
        let y = valid.forward(
            Tensor::<2>::ones([10, 10], &device.clone().without_autodiff()),
            &mut rng,
        );
        assert_eq!(y.sum().into_scalar::<f32>(), 100.0);
    }
    assert!(DropoutConfig::new(1.0).init().is_err());
    assert!(DropoutConfig::new(-0.1).init().is_err());
}

/// Each run owns its generator: threads that seed and draw at the same time still get exactly
/// what they would alone (with one process-wide generator they took each other's draws).
#[test]
fn concurrent_runs_draw_what_they_would_alone() {
    let device = Device::flex().autodiff();
    let dropout = DropoutConfig::new(0.5).init().expect("dropout");
    let draws = |seed: u64| -> Vec<Vec<f32>> {
        let mut rng = Generator::new(seed);
        (0..50)
            .map(|_| {
                let x = Tensor::<2>::ones([32, 64], &device);
                dropout
                    .forward(x, &mut rng)
                    .try_to_vec_as::<f32>()
                    .expect("mask")
            })
            .collect()
    };
    let alone = draws(11);
    let barrier = std::sync::Barrier::new(4);
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    draws(11)
                })
            })
            .collect();
        for run in runs {
            assert!(
                run.join().expect("thread") == alone,
                "a concurrent run drew differently"
            );
        }
    });
    // Parameter initialisation: burn's device generator is global, so molkd seeds and draws
    // it under one lock.
    let config = CategoricalEmbeddingConfig::new(vec![50, 7], 64);
    let init = || {
        init_seeded(&device, 5, || Ok::<_, ()>(config.init(&device)))
            .expect("init")
            .weight
            .val()
            .try_to_vec_as::<f32>()
            .expect("weights")
    };
    let alone = init();
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| (0..20).map(|_| init()).collect::<Vec<_>>()))
            .collect();
        for run in runs {
            for weights in run.join().expect("thread") {
                assert!(
                    weights == alone,
                    "a concurrent initialisation drew differently"
                );
            }
        }
    });
}

/// On a GPU the lookups are one-hot rows times the table, and the bond sums one-hot rows
/// summed per node: the same values and table gradients as flex's lookups and scatters.
#[cfg(feature = "wgpu")]
#[test]
fn one_hot_lookups_on_a_gpu_match_flex() {
    let flex = Device::flex().autodiff();
    let gpu = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice).autodiff();
    let embedding = CategoricalEmbeddingConfig::new(vec![6, 3], 5).init(&flex);
    let rows = vec![[0, 0], [4, 2], [1, 1], [4, 0], [5, 2], [0, 1], [2, 0]];
    let run = |device: &Device| {
        let embedding = embedding.clone().fork(device);
        let features = int2(rows.clone(), device);
        let by_dst = Segments::new(&[0, 0, 1, 2, 2, 2, 1], 4, device);
        let looked_up = embedding.forward(features.clone()); // [7, 5]
        let summed = embedding.segment_sum(features, &by_dst, None); // [4, 5]
        let grads = (looked_up.clone().sum() + summed.clone().powi_scalar(2).sum()).backward();
        let table = embedding.weight.val().grad(&grads).expect("grad");
        [looked_up.into_data(), summed.into_data(), table.into_data()]
    };
    for (a, b) in run(&flex).iter().zip(run(&gpu)) {
        b.assert_approx_eq::<f32>(a, Tolerance::absolute(1e-5));
    }
}
