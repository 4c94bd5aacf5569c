//! Regression errors: RMSE and MAE.

use super::{finite, same_len};
use crate::error::Result;

/// Root-mean-square error `sqrt(mean((p - t)^2))`.
///
/// Errors on different lengths, empty input, or a NaN / infinite value.
///
/// ```
/// use molkd_train::metrics::rmse;
/// assert_eq!(rmse(&[1.0f32, 2.0], &[1.0f32, 4.0]).unwrap(), 2f64.sqrt());
/// ```
pub fn rmse<P, T>(predictions: &[P], targets: &[T]) -> Result<f64>
where
    P: Copy + Into<f64>,
    T: Copy + Into<f64>,
{
    let (p, t) = checked(predictions, targets, "rmse")?;
    let sum: f64 = p.iter().zip(&t).map(|(a, b)| (a - b) * (a - b)).sum();
    Ok((sum / p.len() as f64).sqrt())
}

/// Mean absolute error `mean(|p - t|)`. Errors as [`rmse`].
///
/// ```
/// use molkd_train::metrics::mae;
/// assert_eq!(mae(&[1.0f32, 2.0], &[1.0f32, 4.0]).unwrap(), 1.0);
/// ```
pub fn mae<P, T>(predictions: &[P], targets: &[T]) -> Result<f64>
where
    P: Copy + Into<f64>,
    T: Copy + Into<f64>,
{
    let (p, t) = checked(predictions, targets, "mae")?;
    let sum: f64 = p.iter().zip(&t).map(|(a, b)| (a - b).abs()).sum();
    Ok(sum / p.len() as f64)
}

fn checked<P, T>(p: &[P], t: &[T], what: &str) -> Result<(Vec<f64>, Vec<f64>)>
where
    P: Copy + Into<f64>,
    T: Copy + Into<f64>,
{
    same_len(p.len(), t.len(), what)?;
    Ok((finite(p, "predictions")?, finite(t, "targets")?))
}
