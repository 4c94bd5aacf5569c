//! Hand-made results for the benchmark tables' unit tests.

use super::{BenchmarkResults, BenchmarkRun};
use crate::finetune::{RunOutcome, TaskMetric};

/// A finished run with the given test scores at the best-validation and the last epoch.
pub(crate) fn run(method: &str, seed: u64, epochs: usize, best: f64, last: f64) -> BenchmarkRun {
    BenchmarkRun {
        method: method.into(),
        seed,
        epochs,
        teacher: None,
        outcome: RunOutcome {
            best_epoch: Some(1),
            valid_at_best: Some(best),
            test_at_best: Some(best),
            test_at_last: Some(last),
            history: Vec::new(),
        },
        seconds: 1.0,
    }
}

/// A ROC-AUC data set holding `runs`.
pub(crate) fn results(dataset: &str, runs: Vec<BenchmarkRun>) -> BenchmarkResults {
    BenchmarkResults {
        dataset: dataset.into(),
        metric: TaskMetric::RocAuc,
        molecules: 10,
        skipped: 0,
        split: [8, 1, 1],
        runs,
    }
}
