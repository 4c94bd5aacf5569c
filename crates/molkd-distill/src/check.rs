//! Input and parameter validation shared by the losses.

use burn::tensor::Tensor;

use crate::error::{DistillError, Result};

/// `tensor` must have exactly the shape `expected`.
pub(crate) fn shape<const D: usize>(
    what: &str,
    tensor: &Tensor<D>,
    expected: &[usize],
) -> Result<()> {
    let got = tensor.dims();
    if got.as_slice() == expected {
        Ok(())
    } else {
        Err(DistillError::ShapeMismatch {
            what: what.to_string(),
            expected: expected.to_vec(),
            got: got.to_vec(),
        })
    }
}

/// Two `[B, D]` matrices with the same shape; returns `[B, D]`.
pub(crate) fn same_shape(
    what_a: &str,
    a: &Tensor<2>,
    what_b: &str,
    b: &Tensor<2>,
) -> Result<[usize; 2]> {
    let dims = a.dims();
    shape(&format!("{what_b} (must match {what_a})"), b, &dims)?;
    Ok(dims)
}

/// Two matrices with the same number of rows (widths may differ); returns the row count.
pub(crate) fn same_rows(what_a: &str, a: &Tensor<2>, what_b: &str, b: &Tensor<2>) -> Result<usize> {
    let [rows, _] = a.dims();
    let [rows_b, width_b] = b.dims();
    if rows_b != rows {
        return Err(DistillError::ShapeMismatch {
            what: format!("{what_b} (must have as many rows as {what_a})"),
            expected: vec![rows, width_b],
            got: vec![rows_b, width_b],
        });
    }
    Ok(rows)
}

/// At least `min` rows.
pub(crate) fn batch_at_least(what: &'static str, rows: usize, min: usize) -> Result<()> {
    if rows < min {
        return Err(DistillError::BatchTooSmall {
            what,
            min,
            got: rows,
        });
    }
    Ok(())
}

/// A finite, strictly positive temperature.
pub(crate) fn temperature(value: f32) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(DistillError::InvalidParameter {
            name: "temperature",
            value: value.into(),
            reason: "must be finite and > 0",
        })
    }
}

/// A finite, non-negative parameter (margin, slack, weight).
pub(crate) fn non_negative(name: &'static str, value: f32) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(DistillError::InvalidParameter {
            name,
            value: value.into(),
            reason: "must be finite and >= 0",
        })
    }
}

/// Yields `[rows]` as fractions in `[0, 1]` (not percentages). Reads the values back to the
/// host: one small synchronisation per call.
pub(crate) fn yields(yields: &Tensor<1>, rows: usize) -> Result<()> {
    shape("yields (one per reaction)", yields, &[rows])?;
    let values =
        yields
            .to_data()
            .try_to_vec_as::<f32>()
            .map_err(|e| DistillError::InvalidInput {
                what: "yields",
                reason: format!("cannot read values: {e:?}"),
            })?;
    if let Some((i, y)) = values
        .iter()
        .enumerate()
        .find(|(_, y)| !(0.0..=1.0).contains(*y))
    {
        return Err(DistillError::InvalidInput {
            what: "yields",
            reason: format!(
                "yield[{i}] = {y} is not a fraction in [0, 1] (percentages must be divided by 100)"
            ),
        });
    }
    Ok(())
}
