//! Inference: a student's outputs for a list of molecules, in batches, without autodiff.

use burn::module::Module;
use burn::tensor::Device;
use burn::tensor::activation::sigmoid;
use molkd_graph::{MolGraph, MoleculeCollate};
use molkd_models::StudentModel;

use super::targets::TargetScaler;
use crate::data::TaskType;
use crate::error::{Result, TrainError};

/// The student's outputs for `graphs` (batched by `collate`, the model's `collate()`), row-major `[n × T]`: probabilities for
/// classification, values in label units (unscaled with `scaler`) for regression. Runs on the
/// non-autodiff twin of `device` with dropout off and BatchNorm on its running statistics.
pub fn predict(
    model: &StudentModel,
    collate: &MoleculeCollate,
    graphs: &[&MolGraph],
    task_type: TaskType,
    scaler: &TargetScaler,
    batch_size: usize,
    device: &Device,
) -> Result<Vec<f32>> {
    let model = model.valid();
    let device = device.clone().without_autodiff();
    let mut outputs = Vec::new();
    for chunk in graphs.chunks(batch_size.max(1)) {
        let batch = collate.collate(chunk.iter().copied(), &device)?;
        model.check(&batch)?;
        let predictions = model.infer(&batch).predictions; // [B, T]
        let predictions = match task_type {
            TaskType::Classification => sigmoid(predictions),
            TaskType::Regression => predictions,
        };
        let mut values = predictions
            .try_to_vec_as::<f32>()
            .map_err(|e| TrainError::TensorRead(format!("{e:?}")))?;
        if task_type == TaskType::Regression {
            scaler.unscale(&mut values);
        }
        outputs.extend(values);
    }
    Ok(outputs)
}
