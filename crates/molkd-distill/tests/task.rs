//! Masked task losses: hand-computed values, masking, the empty mask, stability and
//! gradients.
//!
//! torch (float64) cross-check of the BCE value:
//!
//! ```python
//! import torch, torch.nn.functional as F
//! x = torch.tensor([[0., 2], [-1, 3]]); y = torch.tensor([[1., 0], [0, 0]])
//! m = torch.tensor([[1., 1], [1, 0]])
//! (F.binary_cross_entropy_with_logits(x, y, reduction='none') * m).sum() / m.sum()  # 1.0444456
//! ```

mod common;

use burn::tensor::{Device, Tensor};
use common::{LossFn, assert_close, check_gradient, devices, flex, gradient, scalar, t2};
use molkd_distill::{DistillError, masked_bce_with_logits, masked_mae, masked_mse};

const LOGITS: [f32; 4] = [0.0, 2.0, -1.0, 3.0];
const MASK: [f32; 4] = [1.0, 1.0, 1.0, 0.0];

/// Logits `[[0, 2], [−1, 3]]`, labels `[[1, 0], [0, ·]]`, the last entry masked:
///
/// ```text
/// ℓ(0, 1)  = log 2                 = 0.693147
/// ℓ(2, 0)  = 2 + log(1 + e^−2)     = 2.126928
/// ℓ(−1, 0) = log(1 + e^−1)         = 0.313262
/// loss = (0.693147 + 2.126928 + 0.313262)/3 = 1.044446
/// ```
#[test]
fn masked_bce_matches_hand_computation() {
    for (name, device) in devices() {
        let loss = masked_bce_with_logits(
            t2(&LOGITS, 2, 2, &device),
            t2(&[1.0, 0.0, 0.0, 0.0], 2, 2, &device),
            t2(&MASK, 2, 2, &device),
        );
        assert_close(scalar(loss.unwrap()), 1.044_446, 1e-5, name);
    }
}

#[test]
fn masked_bce_ignores_masked_labels() {
    let device = flex();
    let run = |masked_label: f32, device: &Device| {
        let labels = t2(&[1.0, 0.0, 0.0, masked_label], 2, 2, device);
        let mask = t2(&MASK, 2, 2, device);
        let loss = |x: Tensor<2>, _: &Device| {
            masked_bce_with_logits(x, labels.clone(), mask.clone()).unwrap()
        };
        let value = scalar(loss(t2(&LOGITS, 2, 2, device), device));
        (value, gradient(&loss, &LOGITS, 2, 2, device))
    };
    let (base, base_grad) = run(0.0, &device);
    for label in [1.0, 0.5, f32::NAN] {
        let (value, grad) = run(label, &device);
        assert_eq!(value, base, "label {label}");
        assert_eq!(grad, base_grad, "label {label}");
    }
    // The masked entry gets no gradient.
    assert_eq!(base_grad[3], 0.0);
}

#[test]
fn masked_bce_is_stable_for_large_logits() {
    // ℓ(100, 0) = 100, ℓ(−100, 1) = 100, ℓ(100, 1) ≈ 0, ℓ(−100, 0) ≈ 0 → mean 50.
    let device = flex();
    let loss = masked_bce_with_logits(
        t2(&[100.0, -100.0, 100.0, -100.0], 2, 2, &device),
        t2(&[0.0, 1.0, 1.0, 0.0], 2, 2, &device),
        t2(&[1.0; 4], 2, 2, &device),
    );
    assert_close(scalar(loss.unwrap()), 50.0, 1e-4, "large logits");
}

#[test]
fn an_empty_mask_gives_zero_loss_and_zero_gradient() {
    for (name, device) in devices() {
        let labels = t2(&[1.0, f32::NAN, 0.0, 1.0], 2, 2, &device);
        let mask = t2(&[0.0; 4], 2, 2, &device);
        let losses: [LossFn; 3] = [
            &|x, _| masked_bce_with_logits(x, labels.clone(), mask.clone()).unwrap(),
            &|x, _| masked_mse(x, labels.clone(), mask.clone()).unwrap(),
            &|x, _| masked_mae(x, labels.clone(), mask.clone()).unwrap(),
        ];
        for loss in losses {
            assert_eq!(
                scalar(loss(t2(&LOGITS, 2, 2, &device), &device)),
                0.0,
                "{name}"
            );
            assert_eq!(
                gradient(loss, &LOGITS, 2, 2, &device),
                vec![0.0; 4],
                "{name}"
            );
        }
    }
}

/// Predictions `[[1, 2], [3, 4]]`, labels `[[1.5, 0], [3, ·]]`, the last entry masked:
/// MSE `(0.25 + 4 + 0)/3 = 1.416667`, MAE `(0.5 + 2 + 0)/3 = 0.833333`.
#[test]
fn masked_regression_losses_match_hand_computation() {
    for (name, device) in devices() {
        let predictions = || t2(&[1.0, 2.0, 3.0, 4.0], 2, 2, &device);
        let labels = || t2(&[1.5, 0.0, 3.0, f32::NAN], 2, 2, &device);
        let mask = || t2(&MASK, 2, 2, &device);
        let mse = scalar(masked_mse(predictions(), labels(), mask()).unwrap());
        let mae = scalar(masked_mae(predictions(), labels(), mask()).unwrap());
        assert_close(mse, 1.416_667, 1e-5, name);
        assert_close(mae, 0.833_333, 1e-5, name);
    }
}

#[test]
fn task_gradients_match_finite_differences() {
    let labels = |d: &Device| t2(&[1.0, 0.0, 0.0, 1.0, 0.3, 1.0], 3, 2, d);
    let mask = |d: &Device| t2(&[1.0, 1.0, 1.0, 0.0, 1.0, 1.0], 3, 2, d);
    // Includes a zero logit, where the max/|x| form of the BCE has kinks.
    let x = [0.0, 2.0, -1.0, 3.0, 0.5, -0.4];
    check_gradient(
        "bce",
        &|x, d| masked_bce_with_logits(x, labels(d), mask(d)).unwrap(),
        &x,
        3,
        2,
    );
    check_gradient(
        "mse",
        &|x, d| masked_mse(x, labels(d), mask(d)).unwrap(),
        &x,
        3,
        2,
    );
    // MAE away from its kinks (no prediction equal to its label).
    let y = [0.5, 2.0, -1.0, 3.0, 0.8, -0.4];
    check_gradient(
        "mae",
        &|x, d| masked_mae(x, labels(d), mask(d)).unwrap(),
        &y,
        3,
        2,
    );
}

#[test]
fn bce_gradient_at_zero_is_sigmoid_minus_label() {
    // d/dx of the mean over 2 entries: (σ(0) − y)/2 = (0.5 − 1)/2, (0.5 − 0)/2.
    let device = flex();
    let loss = |x: Tensor<2>, d: &Device| {
        masked_bce_with_logits(x, t2(&[1.0, 0.0], 1, 2, d), t2(&[1.0, 1.0], 1, 2, d)).unwrap()
    };
    let g = gradient(&loss, &[0.0, 0.0], 1, 2, &device);
    assert_close(g[0], -0.25, 1e-6, "y = 1");
    assert_close(g[1], 0.25, 1e-6, "y = 0");
}

#[test]
fn shape_mismatches_are_errors() {
    let device = flex();
    let x = || t2(&LOGITS, 2, 2, &device);
    let wide = || t2(&[0.0; 6], 2, 3, &device);
    let shape = |e| matches!(e, Err(DistillError::ShapeMismatch { .. }));
    assert!(shape(masked_bce_with_logits(x(), wide(), x())));
    assert!(shape(masked_bce_with_logits(x(), x(), wide())));
    assert!(shape(masked_mse(x(), wide(), x())));
    assert!(shape(masked_mae(x(), x(), wide())));
}
