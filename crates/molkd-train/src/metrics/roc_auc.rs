//! ROC-AUC, as scikit-learn's `roc_auc_score`, and its mean over tasks with missing labels.

use super::{finite, same_len};
use crate::error::{Result, TrainError};

/// Area under the ROC curve of `scores` for binary `labels` (`true` = positive), computed as
/// scikit-learn's `roc_auc_score`: one ROC point per distinct score (tied scores move the
/// curve diagonally, which counts a tied positive–negative pair as one half), area by the
/// trapezoid rule.
///
/// `None` when only one class is present (scikit-learn raises there). Errors on different
/// lengths, empty input, or a NaN / infinite score.
///
/// ```
/// use molkd_train::metrics::roc_auc;
/// let auc = roc_auc(&[false, false, true, true], &[0.1f32, 0.4, 0.35, 0.8]).unwrap();
/// assert_eq!(auc, Some(0.75));
/// ```
pub fn roc_auc<S: Copy + Into<f64>>(labels: &[bool], scores: &[S]) -> Result<Option<f64>> {
    same_len(labels.len(), scores.len(), "roc_auc")?;
    let scores = finite(scores, "scores")?;
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 || positives == labels.len() {
        return Ok(None);
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    // Cumulative true / false positives at each distinct threshold, from the highest score.
    let (mut tps, mut fps) = (vec![0.0f64], vec![0.0f64]);
    let (mut tp, mut fp) = (0.0, 0.0);
    for (k, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_value = order
            .get(k + 1)
            .is_none_or(|&next| scores[next] != scores[i]);
        if last_of_value {
            tps.push(tp);
            fps.push(fp);
        }
    }
    let area = (1..tps.len())
        .map(|k| {
            let dx = fps[k] / fp - fps[k - 1] / fp;
            dx * (tps[k] / tp + tps[k - 1] / tp) / 2.0
        })
        .sum();
    Ok(Some(area))
}

/// ROC-AUC per task and their mean over the tasks where it is defined.
#[derive(Debug, Clone, PartialEq)]
pub struct MeanRocAuc {
    /// Mean over the tasks with both classes present; `None` if there is no such task.
    pub mean: Option<f64>,
    /// ROC-AUC of each task; `None` where a task has one class (or no labels).
    pub per_task: Vec<Option<f64>>,
    /// How many tasks went into the mean.
    pub tasks_used: usize,
}

/// Mean ROC-AUC over `num_tasks` tasks, as pretrain-gnns and MolKD evaluate multi-task sets:
/// each task's AUC uses only the molecules with a label for it, and tasks without both
/// classes among those are left out of the mean.
///
/// `labels` and `scores` are row-major `[molecules × num_tasks]` (as
/// [`MoleculeDataset::labels`](crate::MoleculeDataset::labels)); labels are `Some(0.0)`,
/// `Some(1.0)` or `None` (missing). Errors on shape mismatch, a label other than 0 or 1, or a
/// NaN / infinite score of a labelled entry.
pub fn mean_roc_auc(
    labels: &[Option<f32>],
    scores: &[f32],
    num_tasks: usize,
) -> Result<MeanRocAuc> {
    same_len(labels.len(), scores.len(), "mean_roc_auc")?;
    if num_tasks == 0 || !labels.len().is_multiple_of(num_tasks) {
        return Err(TrainError::Metric(format!(
            "mean_roc_auc: {} labels do not divide into {num_tasks} tasks",
            labels.len()
        )));
    }
    let mut per_task = Vec::with_capacity(num_tasks);
    for t in 0..num_tasks {
        let mut y = Vec::new();
        let mut s = Vec::new();
        for (i, (label, &score)) in labels
            .iter()
            .zip(scores)
            .enumerate()
            .skip(t)
            .step_by(num_tasks)
        {
            match label {
                None => {}
                Some(l) if *l == 0.0 || *l == 1.0 => {
                    y.push(*l == 1.0);
                    s.push(score);
                }
                Some(l) => {
                    return Err(TrainError::Metric(format!(
                        "mean_roc_auc: label {l} at entry {i} is not 0 or 1"
                    )));
                }
            }
        }
        per_task.push(if y.is_empty() { None } else { roc_auc(&y, &s)? });
    }
    let used: Vec<f64> = per_task.iter().flatten().copied().collect();
    Ok(MeanRocAuc {
        mean: (!used.is_empty()).then(|| used.iter().sum::<f64>() / used.len() as f64),
        tasks_used: used.len(),
        per_task,
    })
}
