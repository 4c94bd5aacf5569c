//! Evaluation metrics: product retrieval (MolR), Spearman correlation, ROC-AUC, RMSE and MAE.
//!
//! Host-side metrics take slices of any type convertible to `f64` (`f32` or `f64`) and compute
//! in `f64`. Inputs that make a metric meaningless (different lengths, NaN or infinite values,
//! too few values) are errors ([`crate::TrainError::Metric`]); a metric that
//! is undefined for valid inputs (ROC-AUC with one class, Spearman of a constant) is `None`.

mod regression;
mod retrieval;
mod roc_auc;
mod spearman;

pub use regression::{mae, rmse};
pub use retrieval::{
    RetrievalMetrics, RetrievalOptions, product_retrieval, product_retrieval_host,
    product_retrieval_ranks, product_retrieval_ranks_host,
};
pub use roc_auc::{MeanRocAuc, mean_roc_auc, roc_auc};
pub use spearman::{average_ranks, spearman, spearman_skip_missing};

use crate::error::{Result, TrainError};

/// `values` as `f64`, or an error naming `what` and the first non-finite position.
pub(crate) fn finite<T: Copy + Into<f64>>(values: &[T], what: &str) -> Result<Vec<f64>> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let v: f64 = v.into();
            if v.is_finite() {
                Ok(v)
            } else {
                Err(TrainError::Metric(format!("{what}[{i}] is {v}")))
            }
        })
        .collect()
}

/// Checks two inputs have the same, non-zero length.
pub(crate) fn same_len(a: usize, b: usize, what: &str) -> Result<()> {
    if a != b {
        return Err(TrainError::Metric(format!(
            "{what}: inputs have different lengths ({a} and {b})"
        )));
    }
    if a == 0 {
        return Err(TrainError::Metric(format!("{what}: empty input")));
    }
    Ok(())
}
