//! Metrics against hand-computed values and scikit-learn / scipy references.

use burn::tensor::{Device, Tensor, TensorData};
use molkd_train::metrics::{
    RetrievalMetrics, RetrievalOptions, average_ranks, mae, mean_roc_auc, product_retrieval,
    product_retrieval_host, product_retrieval_ranks, product_retrieval_ranks_host, rmse, roc_auc,
    spearman, spearman_skip_missing,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[allow(deprecated)] // burn-ndarray is deprecated but still checked, as in molkd-graph.
fn devices() -> Vec<(&'static str, Device)> {
    vec![("flex", Device::flex()), ("ndarray", Device::ndarray())]
}

fn tensor(v: &[f32], dim: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len() / dim, dim]), device)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn roc_auc_matches_sklearn() {
    // Reference values: sklearn 1.9.1, `sklearn.metrics.roc_auc_score(y, s)` on these lists.
    let auc = |y: &[u8], s: &[f32]| {
        let y: Vec<bool> = y.iter().map(|&v| v == 1).collect();
        roc_auc(&y, s).unwrap().unwrap()
    };
    assert_eq!(auc(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8]), 0.75);
    // Tied scores across classes: 0.59375.
    let got = auc(
        &[1, 0, 1, 0, 1, 0, 0, 1],
        &[0.5, 0.5, 0.9, 0.1, 0.5, 0.3, 0.9, 0.2],
    );
    assert!(close(got, 0.59375, 1e-12), "{got}");
    // 20 values, many ties: 0.7272727272727272.
    let got = auc(
        &[0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0],
        &[
            0.3, 0.7, 0.7, 0.2, 0.9, 0.7, 0.1, 0.3, 0.3, 0.8, 0.5, 0.5, 0.5, 0.2, 0.6, 0.9, 0.4,
            0.1, 0.9, 0.3,
        ],
    );
    assert!(close(got, 0.7272727272727272, 1e-12), "{got}");
    // Hand-computed: perfect, inverted, all tied.
    assert_eq!(auc(&[0, 1], &[0.0, 1.0]), 1.0);
    assert_eq!(auc(&[1, 0], &[0.0, 1.0]), 0.0);
    assert_eq!(auc(&[1, 0, 1, 0], &[0.5; 4]), 0.5);
}

#[test]
fn roc_auc_undefined_and_invalid() {
    assert_eq!(roc_auc(&[true, true], &[0.1f32, 0.2]).unwrap(), None);
    assert_eq!(roc_auc(&[false], &[0.1f32]).unwrap(), None);
    assert!(roc_auc(&[true, false], &[0.1f32]).is_err());
    assert!(roc_auc(&[true, false], &[0.1f32, f32::NAN]).is_err());
    assert!(roc_auc::<f32>(&[], &[]).is_err());
}

#[test]
fn mean_roc_auc_skips_missing_labels_and_one_class_tasks() {
    // Task columns: 0 and 1 have both classes among their labelled rows, 2 has only positives.
    // Reference: sklearn roc_auc_score per task on the non-missing rows: 0.5833333333333333
    // and 1.0; task 2 left out; mean 0.7916666666666666.
    let n = None;
    let labels = [
        Some(1.0),
        Some(0.0),
        n, //
        Some(0.0),
        n,
        Some(1.0),
        Some(1.0),
        Some(0.0),
        n,
        n,
        Some(0.0),
        Some(1.0),
        Some(0.0),
        Some(1.0),
        n,
        Some(1.0),
        n,
        Some(1.0),
    ];
    let scores = [
        0.9, 0.2, 0.5, 0.3, 0.1, 0.6, 0.6, 0.4, 0.5, 0.5, 0.3, 0.7, 0.6, 0.8, 0.1, 0.2, 0.9, 0.4,
    ];
    let m = mean_roc_auc(&labels, &scores, 3).unwrap();
    assert_eq!(m.tasks_used, 2);
    assert!(close(m.per_task[0].unwrap(), 0.5833333333333333, 1e-12));
    assert_eq!(m.per_task[1], Some(1.0));
    assert_eq!(m.per_task[2], None);
    assert!(close(m.mean.unwrap(), 0.7916666666666666, 1e-12));

    let none = mean_roc_auc(&[None, Some(1.0)], &[0.1, 0.2], 1).unwrap();
    assert_eq!((none.mean, none.tasks_used), (None, 0));
    assert!(mean_roc_auc(&[Some(0.5), Some(1.0)], &[0.1, 0.2], 1).is_err());
    assert!(mean_roc_auc(&[Some(0.0), Some(1.0)], &[0.1, 0.2], 3).is_err());
}

#[test]
fn spearman_matches_scipy() {
    // Reference values: scipy 1.17.1, `scipy.stats.spearmanr(x, y).statistic`.
    let rho = |x: &[f64], y: &[f64]| spearman(x, y).unwrap().unwrap();
    assert!(close(
        rho(&[1.0, 2.0, 3.0, 4.0], &[10.0, 30.0, 20.0, 40.0]),
        0.8,
        1e-12
    ));
    let got = rho(
        &[1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0, 8.0],
        &[2.0, 1.0, 4.0, 4.0, 3.0, 9.0, 9.0, 0.0],
    );
    assert!(close(got, 0.09318388040070494, 1e-12), "{got}");
    let got = rho(
        &[0.5, -1.25, 3.0, 3.0, 2.0, 0.0, 7.5, -1.25, 4.0, 1.0],
        &[1.0, 2.0, 3.0, 4.0, 4.0, 4.0, 1.0, 0.5, 9.0, 2.0],
    );
    assert!(close(got, 0.3758053948454203, 1e-12), "{got}");
    // Hand-computed: monotone maps give ±1.
    assert!(close(rho(&[1.0, 2.0, 3.0], &[1.0, 8.0, 27.0]), 1.0, 1e-15));
    assert!(close(rho(&[1.0, 2.0, 3.0], &[3.0, 2.0, -7.0]), -1.0, 1e-15));
    assert_eq!(
        average_ranks(&[10.0, 20.0, 10.0, 5.0]),
        [2.5, 4.0, 2.5, 1.0]
    );
}

#[test]
fn spearman_undefined_invalid_and_missing() {
    assert_eq!(
        spearman(&[1.0f32, 1.0, 1.0], &[1.0f32, 2.0, 3.0]).unwrap(),
        None
    );
    assert!(spearman(&[1.0f32, f32::NAN], &[1.0f32, 2.0]).is_err());
    assert!(spearman(&[1.0f32], &[1.0f32]).is_err());
    assert!(spearman(&[1.0f32, 2.0], &[1.0f32]).is_err());
    let x = [
        Some(1.0f32),
        None,
        Some(2.0),
        Some(3.0),
        Some(f32::NAN),
        Some(4.0),
    ];
    let y = [
        Some(10.0f32),
        Some(5.0),
        Some(30.0),
        None,
        Some(1.0),
        Some(20.0),
    ];
    let (rho, used) = spearman_skip_missing(&x, &y).unwrap();
    // Pairs used: (1,10), (2,30), (4,20): ranks (1,2,3) vs (1,3,2) → 1 − 6·2 / (3·8) = 0.5.
    assert_eq!(used, 3);
    assert!(close(rho.unwrap(), 0.5, 1e-12));
}

#[test]
fn regression_errors_by_hand() {
    let p = [1.0f32, 2.0, 3.0, 4.0];
    let t = [2.0f64, 2.0, 5.0, 0.0];
    // Errors −1, 0, −2, 4: squares sum 21 → RMSE sqrt(21/4); absolute sum 7 → MAE 1.75.
    assert!(close(rmse(&p, &t).unwrap(), (21.0f64 / 4.0).sqrt(), 1e-15));
    assert!(close(mae(&p, &t).unwrap(), 1.75, 1e-15));
    assert!(rmse(&p, &t[..3]).is_err());
    assert!(mae::<f32, f32>(&[], &[]).is_err());
    assert!(rmse(&[f32::INFINITY], &[1.0f32]).is_err());
}

#[test]
fn retrieval_by_hand() {
    // r0=(0,0): true p0 at 0.01, others 9 and 1 → rank 1.
    // r1=(1,0): true p1 at 4; p0 (1.01) and p2 (0) closer → rank 3.
    // r2=(5,5): true p2 at 41; p1 (29) closer, p0 (49.01) not → rank 2.
    let r = [0.0, 0.0, 1.0, 0.0, 5.0, 5.0];
    let p = [0.0, 0.1, 3.0, 0.0, 1.0, 0.0];
    for (name, device) in devices() {
        let ranks = product_retrieval_ranks(
            tensor(&r, 2, &device),
            tensor(&p, 2, &device),
            &RetrievalOptions::default(),
        )
        .unwrap();
        assert_eq!(ranks, [1, 3, 2], "{name}");
    }
    assert_eq!(
        product_retrieval_ranks_host(&r, &p, 2, 1e-5).unwrap(),
        [1, 3, 2]
    );
    let m = RetrievalMetrics::from_ranks(&[1, 3, 2]).unwrap();
    assert!(close(m.mrr, (1.0 + 1.0 / 3.0 + 0.5) / 3.0, 1e-15));
    assert!(close(m.hit_at_1, 1.0 / 3.0, 1e-15));
    assert_eq!(
        (m.hit_at_3, m.hit_at_5, m.hit_at_10, m.n),
        (1.0, 1.0, 1.0, 3)
    );
    let m = RetrievalMetrics::from_ranks(&[1, 4, 6, 11]).unwrap();
    assert_eq!(
        (m.hit_at_1, m.hit_at_3, m.hit_at_5, m.hit_at_10),
        (0.25, 0.25, 0.5, 0.75)
    );
    assert!(RetrievalMetrics::from_ranks(&[]).is_err());
}

#[test]
fn retrieval_ties_with_duplicate_products_do_not_count() {
    // Products 0 and 1 are the same molecule: neither pushes the other down.
    let r = [1.0, 1.0, 1.1, 0.9, -3.0, 2.0];
    let p = [1.0, 1.0, 1.0, 1.0, -3.0, 2.5];
    for (name, device) in devices() {
        let ranks = product_retrieval_ranks(
            tensor(&r, 2, &device),
            tensor(&p, 2, &device),
            &RetrievalOptions::default(),
        )
        .unwrap();
        assert_eq!(ranks, [1, 1, 1], "{name}");
    }
    assert_eq!(
        product_retrieval_ranks_host(&r, &p, 2, 0.0).unwrap(),
        [1, 1, 1]
    );
}

#[test]
fn retrieval_matches_host_reference_on_random_data() {
    let (n, d) = (300, 48);
    let mut rng = ChaCha8Rng::seed_from_u64(20240611);
    let products: Vec<f32> = (0..n * d).map(|_| rng.random_range(-1.0..1.0)).collect();
    // Reactants: the product plus noise large enough that ranks spread out.
    let reactants: Vec<f32> = products
        .iter()
        .map(|&v| v + rng.random_range(-2.5f32..2.5))
        .collect();
    let want = product_retrieval_ranks_host(&reactants, &products, d, 1e-5).unwrap();
    assert!(
        want.iter().any(|&r| r > 10) && want.contains(&1),
        "{want:?}"
    );
    let want_metrics = product_retrieval_host(&reactants, &products, d, 1e-5).unwrap();
    for (name, device) in devices() {
        for chunk_rows in [Some(1), Some(7), Some(64), Some(1000), None] {
            let options = RetrievalOptions {
                chunk_rows,
                ..Default::default()
            };
            let got = product_retrieval_ranks(
                tensor(&reactants, d, &device),
                tensor(&products, d, &device),
                &options,
            )
            .unwrap();
            assert_eq!(got, want, "{name} chunk {chunk_rows:?}");
        }
        let m = product_retrieval(
            tensor(&reactants, d, &device),
            tensor(&products, d, &device),
            &RetrievalOptions::default(),
        )
        .unwrap();
        assert_eq!(m, want_metrics, "{name}");
    }
}

#[test]
fn retrieval_rejects_bad_input() {
    let device = Device::flex();
    let options = RetrievalOptions::default();
    let a = tensor(&[0.0, 1.0, 2.0, 3.0], 2, &device);
    let b = tensor(&[0.0, 1.0, 2.0], 3, &device);
    assert!(product_retrieval_ranks(a.clone(), b, &options).is_err());
    let nan = tensor(&[0.0, f32::NAN, 2.0, 3.0], 2, &device);
    assert!(product_retrieval_ranks(a.clone(), nan.clone(), &options).is_err());
    assert!(product_retrieval_ranks(nan, a, &options).is_err());
    assert!(product_retrieval_ranks_host(&[1.0, 2.0], &[1.0], 1, 0.0).is_err());
    assert!(product_retrieval_ranks_host(&[1.0, f32::NAN], &[1.0, 2.0], 1, 0.0).is_err());
}

/// N = 40,000 reactions at D = 256 on the CPU, in row blocks: checks it runs in bounded
/// memory and prints the time. Ignored by default (tens of seconds on two cores).
#[test]
#[ignore = "slow: 40k × 40k distances"]
fn retrieval_scales_to_40k() {
    let (n, d) = (40_000, 256);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let products: Vec<f32> = (0..n * d).map(|_| rng.random_range(-1.0..1.0)).collect();
    let reactants: Vec<f32> = products
        .iter()
        .map(|&v| v + rng.random_range(-3.0f32..3.0))
        .collect();
    let device = Device::flex();
    let start = std::time::Instant::now();
    let m = product_retrieval(
        tensor(&reactants, d, &device),
        tensor(&products, d, &device),
        &RetrievalOptions::default(),
    )
    .unwrap();
    println!(
        "retrieval N={n} D={d}: {:.1} s, {m:?}",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(m.n, n);
}
