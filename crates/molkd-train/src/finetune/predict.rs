//! Inference: a student's outputs for a list of molecules, in batches, without autodiff.

use burn::module::Module;
use burn::tensor::Device;
use burn::tensor::activation::sigmoid;
use molkd_graph::{MolGraph, MoleculeCollate};
use molkd_models::StudentModel;

use super::targets::TargetScaler;
use crate::data::TaskType;
use crate::error::{Result, TrainError};

/// The student's outputs for `graphs` (batched by `collate`, the model's `collate()`, in
/// [`MoleculeCollate::inference_batches`]), row-major `[n × T]` in the order of `graphs`: probabilities for
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
    let mut outputs: Vec<f32> = Vec::new();
    for positions in collate.inference_batches(graphs, batch_size) {
        let batch = collate.collate(positions.iter().map(|&i| graphs[i]), &device)?;
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
        // Batches may come in another order than the molecules (size order for padded
        // batches): each row goes back to its molecule's place.
        let width = values.len() / positions.len();
        outputs.resize(graphs.len() * width, 0.0);
        for (row, &i) in values.chunks_exact(width.max(1)).zip(&positions) {
            outputs[i * width..(i + 1) * width].copy_from_slice(row);
        }
    }
    Ok(outputs)
}
