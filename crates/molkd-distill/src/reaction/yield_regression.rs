//! Loss of the auxiliary yield head.

use burn::tensor::Tensor;

use crate::check;
use crate::error::Result;

/// Mean squared error of the teacher's yield head (a `Linear(2d, 1)` on `[h_R ‖ h_P]`, in
/// `molkd-models`) against the measured yields:
///
/// ```text
/// loss = (1/B) Σ_i (ŷ_i − y_i)²
/// ```
///
/// Shapes: `predicted` `[B]`, `yields` `[B]` → `[1]`. Errors: lengths differ, `B = 0`, yields
/// outside `[0, 1]` (pass fractions, not percentages; the head then predicts fractions too).
pub fn yield_regression_loss(predicted: Tensor<1>, yields: Tensor<1>) -> Result<Tensor<1>> {
    let [rows] = predicted.dims();
    check::batch_at_least("the yield regression loss", rows, 1)?;
    check::yields(&yields, rows)?;
    Ok((predicted - yields).powi_scalar(2).mean())
}
