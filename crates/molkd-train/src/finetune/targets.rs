//! Labels as tensors, regression target scaling, and the metric a task type is scored with.

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::data::{MoleculeDataset, TaskType};
use crate::error::{Result, TrainError};
use crate::metrics::{mae, mean_roc_auc, rmse};

/// The score a task type is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskMetric {
    /// Mean ROC-AUC over tasks with both classes (higher is better).
    RocAuc,
    /// Mean over tasks of the RMSE over labelled molecules (lower is better).
    Rmse,
    /// Mean over tasks of the mean absolute error (lower is better; QM9's score).
    Mae,
}

impl TaskMetric {
    /// The metric of `task_type`.
    pub fn of(task_type: TaskType) -> Self {
        match task_type {
            TaskType::Classification => Self::RocAuc,
            TaskType::Regression => Self::Rmse,
        }
    }

    /// Its display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::RocAuc => "ROC-AUC",
            Self::Rmse => "RMSE",
            Self::Mae => "MAE",
        }
    }

    /// Whether `a` is a better score than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Self::RocAuc => a > b,
            Self::Rmse | Self::Mae => a < b,
        }
    }

    /// Scores `outputs` (probabilities or unscaled values, row-major `[n × T]`) against
    /// `labels` (same layout, `None` = missing). `None` when no task can be scored (no labels,
    /// or for ROC-AUC no task with both classes).
    pub fn score(
        self,
        labels: &[Option<f32>],
        outputs: &[f32],
        num_tasks: usize,
    ) -> Result<Option<f64>> {
        match self {
            Self::RocAuc => Ok(mean_roc_auc(labels, outputs, num_tasks)?.mean),
            Self::Rmse | Self::Mae => {
                if labels.len() != outputs.len() || num_tasks == 0 {
                    return Err(TrainError::Metric(format!(
                        "{}: {} labels vs {} outputs over {num_tasks} tasks",
                        self.name(),
                        labels.len(),
                        outputs.len()
                    )));
                }
                let mut per_task = Vec::new();
                for t in 0..num_tasks {
                    let (p, y): (Vec<f32>, Vec<f32>) = labels
                        .iter()
                        .zip(outputs)
                        .skip(t)
                        .step_by(num_tasks)
                        .filter_map(|(l, &o)| l.map(|l| (o, l)))
                        .unzip();
                    if !p.is_empty() {
                        per_task.push(if self == Self::Mae {
                            mae(&p, &y)?
                        } else {
                            rmse(&p, &y)?
                        });
                    }
                }
                Ok((!per_task.is_empty())
                    .then(|| per_task.iter().sum::<f64>() / per_task.len() as f64))
            }
        }
    }
}

/// Per-task standardisation of regression targets (chemprop's scaler): the model learns
/// `(y − mean) / std` and predictions are mapped back. Classification uses the identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetScaler {
    /// Mean per task.
    pub mean: Vec<f32>,
    /// Standard deviation per task (1 where a task has fewer than two distinct values).
    pub std: Vec<f32>,
}

impl TargetScaler {
    /// The identity over `num_tasks` tasks.
    pub fn identity(num_tasks: usize) -> Self {
        Self {
            mean: vec![0.0; num_tasks],
            std: vec![1.0; num_tasks],
        }
    }

    /// Fitted on the labels of `indices` (regression), else the identity.
    pub fn fit(data: &MoleculeDataset, indices: &[usize]) -> Self {
        let t = data.num_tasks();
        if data.task_type == TaskType::Classification {
            return Self::identity(t);
        }
        let mut scaler = Self::identity(t);
        for task in 0..t {
            let values: Vec<f64> = indices
                .iter()
                .filter_map(|&i| data.labels_of(i)[task].map(f64::from))
                .collect();
            if values.is_empty() {
                continue;
            }
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            scaler.mean[task] = mean as f32;
            if var > 1e-12 {
                scaler.std[task] = var.sqrt() as f32;
            }
        }
        scaler
    }

    /// Maps a scaled output back to label units, row-major `[n × T]`, in place.
    pub fn unscale(&self, values: &mut [f32]) {
        let t = self.mean.len();
        for (i, v) in values.iter_mut().enumerate() {
            *v = *v * self.std[i % t] + self.mean[i % t];
        }
    }
}

/// Labels and mask of a batch as `[B, T]` tensors: scaled labels (0 where missing) and 1/0.
pub fn label_tensors(
    data: &MoleculeDataset,
    indices: &[usize],
    scaler: &TargetScaler,
    device: &Device,
) -> (Tensor<2>, Tensor<2>) {
    let t = data.num_tasks();
    let mut labels = Vec::with_capacity(indices.len() * t);
    let mut mask = Vec::with_capacity(indices.len() * t);
    for &i in indices {
        for (task, label) in data.labels_of(i).iter().enumerate() {
            match label {
                Some(y) => {
                    labels.push((y - scaler.mean[task]) / scaler.std[task]);
                    mask.push(1.0f32);
                }
                None => {
                    labels.push(0.0);
                    mask.push(0.0);
                }
            }
        }
    }
    let shape = [indices.len(), t];
    (
        Tensor::from_data(TensorData::new(labels, shape), device),
        Tensor::from_data(TensorData::new(mask, shape), device),
    )
}
