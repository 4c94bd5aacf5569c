//! Supervised task losses with a label mask: a molecule need not have a label for every task
//! (pretrain-gnns / MoleculeNet convention, e.g. Tox21, ToxCast, MUV, SIDER).
//!
//! Each loss is the mean over the entries where `mask = 1`:
//! `Σ_bt m_bt ℓ_bt / Σ_bt m_bt` (pretrain-gnns averages over valid entries, not per task).
//! The mask is a float tensor of 0/1 (non-negative weights also give a weighted mean).
//!
//! - A mask that sums to zero is legitimate (a batch may carry no label for any task): the
//!   loss is then exactly 0 with a zero gradient, not an error and not NaN.
//! - Labels where the mask is 0 are never read: they may be anything, NaN included.

use burn::tensor::Tensor;

use crate::check;
use crate::error::Result;
use crate::ops::{binary_cross_entropy_with_logits, masked_mean, zero_where_unmasked};

/// Checks the three `[B, T]` inputs agree, then returns the labels with masked-out entries
/// zeroed.
fn prepare(predictions: &Tensor<2>, labels: Tensor<2>, mask: &Tensor<2>) -> Result<Tensor<2>> {
    let dims = predictions.dims();
    check::shape("labels (must match the predictions)", &labels, &dims)?;
    check::shape("mask (must match the predictions)", mask, &dims)?;
    Ok(zero_where_unmasked(labels, mask))
}

/// Masked binary cross-entropy on logits, for multi-label classification:
///
/// ```text
/// ℓ_bt = max(x, 0) − x·y + log(1 + exp(−|x|)) = −(y log σ(x) + (1 − y) log σ(−x))
/// loss = Σ m·ℓ / Σ m                                     (0 when Σ m = 0)
/// ```
///
/// Computed with `log_sigmoid`, stable for any logit and with gradient `m·(σ(x) − y)/Σ m`.
///
/// Shapes: `logits` `[B, T]`, `labels` `[B, T]` in `{0, 1}` (or soft targets in `[0, 1]`),
/// `mask` `[B, T]` → `[1]`. Errors: shapes differ.
pub fn masked_bce_with_logits(
    logits: Tensor<2>,
    labels: Tensor<2>,
    mask: Tensor<2>,
) -> Result<Tensor<1>> {
    let labels = prepare(&logits, labels, &mask)?;
    Ok(masked_mean(
        binary_cross_entropy_with_logits(logits, labels),
        mask,
    ))
}

/// Masked mean squared error, for regression: `Σ m·(ŷ − y)² / Σ m` (0 when `Σ m = 0`).
///
/// Shapes: `predictions` `[B, T]`, `labels` `[B, T]`, `mask` `[B, T]` → `[1]`. Errors: shapes
/// differ.
pub fn masked_mse(predictions: Tensor<2>, labels: Tensor<2>, mask: Tensor<2>) -> Result<Tensor<1>> {
    let labels = prepare(&predictions, labels, &mask)?;
    Ok(masked_mean((predictions - labels).powi_scalar(2), mask))
}

/// Masked mean absolute error, for regression: `Σ m·|ŷ − y| / Σ m` (0 when `Σ m = 0`; the
/// gradient at `ŷ = y` is 0).
///
/// Shapes: `predictions` `[B, T]`, `labels` `[B, T]`, `mask` `[B, T]` → `[1]`. Errors: shapes
/// differ.
pub fn masked_mae(predictions: Tensor<2>, labels: Tensor<2>, mask: Tensor<2>) -> Result<Tensor<1>> {
    let labels = prepare(&predictions, labels, &mask)?;
    Ok(masked_mean((predictions - labels).abs(), mask))
}
