//! Message-passing primitives against naive loops, with gradients checked by finite
//! differences, on both CPU backends and, with the `wgpu` feature, on wgpu (the segment-sum
//! kernel); segment sums are bit-identical run to run.

use burn::tensor::{Device, Int, Tensor, TensorData};
use molkd_graph::message_passing::{
    Aggregation, Segments, gather, gather_segments, global_max_pool, global_mean_pool,
    global_sum_pool, scatter_max, scatter_mean, scatter_sum, segment_mean, segment_softmax,
    segment_sum,
};

// One entry per backend compiled in: the push is feature-gated.
#[allow(deprecated, unused_mut)]
fn devices() -> Vec<(&'static str, Device)> {
    let mut v = vec![("flex", Device::flex()), ("ndarray", Device::ndarray())];
    #[cfg(feature = "wgpu")]
    v.push((
        "wgpu",
        Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
    ));
    v
}

/// A small graph: 5 nodes, node 3 receives nothing, node 1 receives three messages.
const DST: [i64; 7] = [0, 1, 1, 2, 1, 4, 0];
const N: usize = 5;
const D: usize = 3;

fn values() -> Vec<f32> {
    // Distinct values (no ties) with mixed signs so max is not the zero default.
    (0..DST.len() * D)
        .map(|k| ((k * 37 % 23) as f32 - 11.0) * 0.25)
        .collect()
}

fn tensor2(v: &[f32], rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v.to_vec(), [rows, cols]), device)
}

fn index(v: &[i64], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

/// The grouping of rows whose segments are `v` (of `n`).
fn segments(v: &[i64], n: usize, device: &Device) -> Segments {
    let v: Vec<usize> = v.iter().map(|&s| s as usize).collect();
    Segments::new(&v, n, device)
}

fn to_vec(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec_as::<f32>().expect("f32 data")
}

/// Naive reference of each aggregation.
fn naive(values: &[f32], agg: &str) -> Vec<f32> {
    let mut out = vec![0.0f32; N * D];
    for v in 0..N {
        let rows: Vec<usize> = (0..DST.len()).filter(|&e| DST[e] as usize == v).collect();
        for c in 0..D {
            let xs: Vec<f32> = rows.iter().map(|&e| values[e * D + c]).collect();
            out[v * D + c] = match (agg, xs.is_empty()) {
                (_, true) => 0.0,
                ("sum", _) => xs.iter().sum(),
                ("mean", _) => xs.iter().sum::<f32>() / xs.len() as f32,
                ("max", _) => xs.iter().cloned().fold(f32::NEG_INFINITY, f32::max),
                _ => unreachable!(),
            };
        }
    }
    out
}

fn assert_close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "{what}[{i}]: {x} vs {y}");
    }
}

#[test]
fn aggregations_match_naive_loops() {
    let v = values();
    for (name, device) in devices() {
        for (agg, label) in [
            (Aggregation::Sum, "sum"),
            (Aggregation::Mean, "mean"),
            (Aggregation::Max, "max"),
        ] {
            let by_dst = segments(&DST, N, &device);
            let out = agg.aggregate(tensor2(&v, DST.len(), D, &device), &by_dst);
            assert_close(
                &to_vec(out),
                &naive(&v, label),
                1e-5,
                &format!("{name} {label}"),
            );
        }
    }
}

#[test]
fn segment_sums_match_scatter_and_repeat_bit_for_bit() {
    let v = values();
    for (name, device) in devices() {
        let x = || tensor2(&v, DST.len(), D, &device);
        let by_dst = segments(&DST, N, &device);
        let sum = to_vec(segment_sum(x(), &by_dst));
        assert_close(
            &sum,
            &naive(&v, "sum"),
            1e-5,
            &format!("{name} segment sum"),
        );
        assert_eq!(sum, to_vec(segment_sum(x(), &by_dst)), "{name}: run to run");
        let mean = to_vec(segment_mean(x(), &by_dst));
        assert_close(
            &mean,
            &naive(&v, "mean"),
            1e-5,
            &format!("{name} segment mean"),
        );
        // A larger, wider case: 2,000 rows into 300 segments (some empty), 64 features.
        let rows: Vec<i64> = (0..2000).map(|r| (r * 7919 % 283) as i64).collect();
        let wide: Vec<f32> = (0..2000 * 64)
            .map(|k| ((k * 31 % 97) as f32 - 48.0) * 0.1)
            .collect();
        let big = segments(&rows, 300, &device);
        let t = || Tensor::<2>::from_data(TensorData::new(wide.clone(), [2000, 64]), &device);
        let out = to_vec(segment_sum(t(), &big));
        let reference = to_vec(scatter_sum(t(), big.index.clone(), 300));
        assert_close(&out, &reference, 1e-3, &format!("{name} 2,000 rows"));
        assert_eq!(out, to_vec(segment_sum(t(), &big)), "{name}: run to run");
        let gathered = to_vec(gather_segments(
            tensor2(&wide[..300 * 64], 300, 64, &device),
            &big,
        ));
        let reference = to_vec(gather(
            tensor2(&wide[..300 * 64], 300, 64, &device),
            big.index.clone(),
        ));
        assert_eq!(gathered, reference, "{name} gather");
    }
}

#[test]
fn gather_picks_rows() {
    for (name, device) in devices() {
        let x = tensor2(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 2, &device);
        let out = gather(x, index(&[2, 0, 2], &device));
        assert_close(&to_vec(out), &[5.0, 6.0, 1.0, 2.0, 5.0, 6.0], 0.0, name);
    }
}

#[test]
fn segment_softmax_matches_naive_and_sums_to_one() {
    let v = values();
    for (name, device) in devices() {
        let out = to_vec(segment_softmax(
            tensor2(&v, DST.len(), D, &device),
            &segments(&DST, N, &device),
        ));
        for c in 0..D {
            for e in 0..DST.len() {
                let group: Vec<usize> = (0..DST.len()).filter(|&k| DST[k] == DST[e]).collect();
                let z: f32 = group.iter().map(|&k| v[k * D + c].exp()).sum();
                let expect = v[e * D + c].exp() / z;
                assert!(
                    (out[e * D + c] - expect).abs() < 1e-5,
                    "{name} softmax e={e} c={c}"
                );
            }
        }
    }
}

#[test]
fn pooling_matches_naive_loops() {
    // 7 nodes in 3 graphs: the batch vector plays the role of the destination index.
    let batch = [0i64, 0, 0, 1, 2, 2, 2];
    let x: Vec<f32> = (0..14).map(|k| (k as f32 * 1.7).sin()).collect();
    for (name, device) in devices() {
        let t = || tensor2(&x, 7, 2, &device);
        let graphs = segments(&batch, 3, &device);
        let sum = to_vec(global_sum_pool(t(), &graphs));
        let mean = to_vec(global_mean_pool(t(), &graphs));
        let max = to_vec(global_max_pool(t(), &graphs));
        for g in 0..3 {
            let nodes: Vec<usize> = (0..7).filter(|&i| batch[i] == g as i64).collect();
            for c in 0..2 {
                let xs: Vec<f32> = nodes.iter().map(|&i| x[i * 2 + c]).collect();
                let s: f32 = xs.iter().sum();
                assert!((sum[g * 2 + c] - s).abs() < 1e-5, "{name} sum");
                assert!(
                    (mean[g * 2 + c] - s / xs.len() as f32).abs() < 1e-5,
                    "{name} mean"
                );
                let m = xs.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                assert!((max[g * 2 + c] - m).abs() < 1e-6, "{name} max");
            }
        }
    }
}

/// Checks the autodiff gradient of `loss(op(x))` against central finite differences, where the
/// loss weights every output element differently so each gradient entry is tested.
fn check_gradient(op: &dyn Fn(Tensor<2>, &Device) -> Tensor<2>, rows: usize, x: &[f32]) {
    for (name, base) in devices() {
        let device = base.clone().autodiff();
        let loss_of = |input: Tensor<2>, device: &Device| -> Tensor<1> {
            let out = op(input, device);
            let [r, c] = out.dims();
            let w: Vec<f32> = (0..r * c).map(|k| 0.3 + (k as f32 * 0.71).cos()).collect();
            (out * tensor2(&w, r, c, device)).sum()
        };
        let input = tensor2(x, rows, D, &device).require_grad();
        let loss = loss_of(input.clone(), &device);
        let grads = loss.backward();
        let analytic = input
            .grad(&grads)
            .expect("gradient reaches the input")
            .into_data()
            .try_to_vec_as::<f32>()
            .expect("f32");
        let eps = 1e-2f32;
        for k in 0..x.len() {
            let mut plus = x.to_vec();
            plus[k] += eps;
            let mut minus = x.to_vec();
            minus[k] -= eps;
            let f = |v: &[f32]| loss_of(tensor2(v, rows, D, &base), &base).into_scalar::<f32>();
            let numeric = (f(&plus) - f(&minus)) / (2.0 * eps);
            assert!(
                (numeric - analytic[k]).abs() < 2e-2 * (1.0 + numeric.abs()),
                "{name}: d/dx[{k}] numeric {numeric} vs autodiff {}",
                analytic[k]
            );
        }
    }
}

#[test]
fn scatter_gradients_match_finite_differences() {
    let v = values();
    let e = DST.len();
    check_gradient(&|x, d| scatter_sum(x, index(&DST, d), N), e, &v);
    check_gradient(&|x, d| scatter_mean(x, index(&DST, d), N), e, &v);
    check_gradient(&|x, d| scatter_max(x, index(&DST, d), N), e, &v);
    check_gradient(&|x, d| segment_softmax(x, &segments(&DST, N, d)), e, &v);
    check_gradient(&|x, d| segment_sum(x, &segments(&DST, N, d)), e, &v);
    check_gradient(&|x, d| segment_mean(x, &segments(&DST, N, d)), e, &v);
    // Gather then sum: the gather's gradient sums over repeated sources (a segment sum in
    // source order).
    let src = [0i64, 2, 2, 4, 1, 0, 3];
    check_gradient(
        &|x, d| {
            segment_sum(
                gather_segments(x, &segments(&src, N, d)),
                &segments(&DST, N, d),
            )
        },
        N,
        &v[..N * D],
    );
    // Gather then scatter: the gather's gradient sums over repeated sources.
    check_gradient(
        &|x, d| {
            scatter_sum(
                gather(x, index(&[0, 2, 2, 4, 1, 0, 3], d)),
                index(&DST, d),
                N,
            )
        },
        N,
        &v[..N * D],
    );
}

#[test]
fn pooling_gradients_match_finite_differences() {
    let batch = [0i64, 0, 1, 1, 1];
    let x: Vec<f32> = (0..5 * D)
        .map(|k| ((k * 13 % 7) as f32 - 3.0) * 0.5 + k as f32 * 0.01)
        .collect();
    check_gradient(&|x, d| global_sum_pool(x, &segments(&batch, 2, d)), 5, &x);
    check_gradient(&|x, d| global_mean_pool(x, &segments(&batch, 2, d)), 5, &x);
    check_gradient(&|x, d| global_max_pool(x, &segments(&batch, 2, d)), 5, &x);
}

/// The kernels run exactly where they should: on CubeCL devices of a GPU build, while on.
#[test]
#[allow(deprecated)]
fn segment_kernels_run_on_gpu_devices_only() {
    use molkd_graph::message_passing::uses_segment_kernels;
    assert!(!uses_segment_kernels(&Device::flex()));
    assert!(!uses_segment_kernels(&Device::ndarray().autodiff()));
    #[cfg(feature = "wgpu")]
    {
        let gpu = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
        assert!(uses_segment_kernels(&gpu));
        assert!(uses_segment_kernels(&gpu.clone().autodiff()));
    }
}
