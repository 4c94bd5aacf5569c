//! Spearman rank correlation, as `scipy.stats.spearmanr`.

use super::{finite, same_len};
use crate::error::{Result, TrainError};

/// 1-based ranks with ties given their average rank (`scipy.stats.rankdata(method="average")`).
///
/// ```
/// use molkd_train::metrics::average_ranks;
/// assert_eq!(average_ranks(&[10.0, 20.0, 10.0, 5.0]), [2.5, 4.0, 2.5, 1.0]);
/// ```
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) share the mean of ranks start+1..=end.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's rank correlation of `x` and `y`: the Pearson correlation of their average ranks,
/// as `scipy.stats.spearmanr(x, y).statistic`.
///
/// Errors on different lengths, fewer than two values, or any NaN / infinite value (use
/// [`spearman_skip_missing`] to drop missing pairs instead). `None` when `x` or `y` is constant
/// (scipy returns NaN there).
///
/// ```
/// use molkd_train::metrics::spearman;
/// let rho = spearman(&[1.0f32, 2.0, 3.0, 4.0], &[10.0f32, 30.0, 20.0, 40.0]).unwrap().unwrap();
/// assert!((rho - 0.8).abs() < 1e-12);
/// ```
pub fn spearman<X, Y>(x: &[X], y: &[Y]) -> Result<Option<f64>>
where
    X: Copy + Into<f64>,
    Y: Copy + Into<f64>,
{
    same_len(x.len(), y.len(), "spearman")?;
    if x.len() < 2 {
        return Err(TrainError::Metric(
            "spearman: needs at least two values".into(),
        ));
    }
    let rx = average_ranks(&finite(x, "x")?);
    let ry = average_ranks(&finite(y, "y")?);
    Ok(pearson(&rx, &ry))
}

/// [`spearman`] over the pairs where both values are present and not NaN; also returns how
/// many pairs were used. Errors as [`spearman`] on what is left (and on infinite values).
pub fn spearman_skip_missing<X, Y>(x: &[Option<X>], y: &[Option<Y>]) -> Result<(Option<f64>, usize)>
where
    X: Copy + Into<f64>,
    Y: Copy + Into<f64>,
{
    same_len(x.len(), y.len(), "spearman")?;
    let (kx, ky): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter_map(|(a, b)| Some(((*a)?.into(), (*b)?.into())))
        .filter(|(a, b): &(f64, f64)| !a.is_nan() && !b.is_nan())
        .unzip();
    let used = kx.len();
    Ok((spearman(&kx, &ky)?, used))
}

/// Pearson correlation; `None` when either input has zero variance.
fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}
