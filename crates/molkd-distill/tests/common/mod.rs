//! Helpers shared by the loss tests: devices, tensor construction, finite differences.

#![allow(dead_code)]

use burn::tensor::{Device, Tensor, TensorData};

/// A loss of one `[rows, cols]` input on a device.
pub type LossFn<'a> = &'a dyn Fn(Tensor<2>, &Device) -> Tensor<1>;

/// Both CPU backends.
#[allow(deprecated)]
pub fn devices() -> Vec<(&'static str, Device)> {
    vec![("flex", Device::flex()), ("ndarray", Device::ndarray())]
}

/// The default test device.
pub fn flex() -> Device {
    Device::flex()
}

/// A `[rows, cols]` tensor from row-major values.
pub fn t2(v: &[f32], rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v.to_vec(), [rows, cols]), device)
}

/// A `[len]` tensor.
pub fn t1(v: &[f32], device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

/// The value of a one-element loss.
pub fn scalar(t: Tensor<1>) -> f32 {
    assert_eq!(t.dims(), [1], "a loss has one element");
    t.into_scalar::<f32>()
}

/// The values of a tensor.
pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec_as::<f32>().expect("f32 data")
}

/// `|got − expected| ≤ tol`.
pub fn assert_close(got: f32, expected: f32, tol: f32, what: &str) {
    assert!(
        (got - expected).abs() <= tol,
        "{what}: got {got}, expected {expected} (tol {tol})"
    );
}

/// The autodiff gradient of `loss(x)` with respect to `x` `[rows, cols]`, on `device`'s
/// autodiff twin.
pub fn gradient(
    loss: LossFn<'_>,
    x: &[f32],
    rows: usize,
    cols: usize,
    device: &Device,
) -> Vec<f32> {
    let device = device.clone().autodiff();
    let input = t2(x, rows, cols, &device).require_grad();
    let grads = loss(input.clone(), &device).backward();
    values(input.grad(&grads).expect("the gradient reaches the input"))
}

/// Checks the autodiff gradient of `loss(x)` against central finite differences (step `1e-3`,
/// tolerance `2e-3 · (1 + |numeric|)`) on both backends. `x` must keep every kink (hinge,
/// clamp) more than a step away.
pub fn check_gradient(what: &str, loss: LossFn<'_>, x: &[f32], rows: usize, cols: usize) {
    for (name, device) in devices() {
        let analytic = gradient(loss, x, rows, cols, &device);
        assert!(
            analytic.iter().all(|g| g.is_finite()),
            "{what} {name}: {analytic:?}"
        );
        let eps = 1e-3f32;
        let f = |v: &[f32]| scalar(loss(t2(v, rows, cols, &device), &device));
        for k in 0..x.len() {
            let mut plus = x.to_vec();
            plus[k] += eps;
            let mut minus = x.to_vec();
            minus[k] -= eps;
            let numeric = (f(&plus) - f(&minus)) / (2.0 * eps);
            assert!(
                (numeric - analytic[k]).abs() <= 2e-3 * (1.0 + numeric.abs()),
                "{what} {name}: d/dx[{k}] numeric {numeric} vs autodiff {}",
                analytic[k]
            );
        }
    }
}
