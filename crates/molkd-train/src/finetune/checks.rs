//! Checks that a data set and its split can train and select a model at all, so a run fails
//! with one sentence a user can act on instead of finishing with no scores.

use crate::data::{MoleculeDataset, TaskType};
use crate::error::{Result, TrainError};
use crate::split::Split;

/// Checks `data` and `split` before training:
/// - every target has labels, and for classification both classes;
/// - training, validation and test sets are non-empty;
/// - the validation and test sets can be scored: for classification at least one task has
///   both classes there (ROC-AUC is averaged over such tasks), for regression at least one
///   label.
pub fn check_trainable(data: &MoleculeDataset, split: &Split, split_name: &str) -> Result<()> {
    let t = data.num_tasks();
    for (k, task) in data.task_names.iter().enumerate() {
        let labels: Vec<f32> = (0..data.len())
            .filter_map(|i| data.labels_of(i)[k])
            .collect();
        if labels.is_empty() {
            return Err(TrainError::Invalid(format!(
                "target `{task}` has no labels: every one of its {} cells is empty",
                data.len()
            )));
        }
        if data.task_type == TaskType::Classification {
            let positives = labels.iter().filter(|&&v| v == 1.0).count();
            if positives == 0 || positives == labels.len() {
                let class = if positives == 0 { 0 } else { 1 };
                return Err(TrainError::Invalid(format!(
                    "target `{task}` has only label {class} ({} labelled rows): ROC-AUC needs \
                     both classes; drop the target, or use `--task regression` if its labels \
                     are values",
                    labels.len()
                )));
            }
        }
    }
    let parts = [
        ("training", &split.train),
        ("validation", &split.valid),
        ("test", &split.test),
    ];
    for (name, part) in parts {
        if part.is_empty() {
            return Err(TrainError::Invalid(format!(
                "the {split_name} split of {} molecules left the {name} set empty (sizes: \
                 train {}, valid {}, test {}); use more data, or `--split random`",
                data.len(),
                split.train.len(),
                split.valid.len(),
                split.test.len()
            )));
        }
    }
    for (name, part) in &parts[1..] {
        let scorable = (0..t).any(|k| {
            let labels: Vec<f32> = part.iter().filter_map(|&i| data.labels_of(i)[k]).collect();
            match data.task_type {
                TaskType::Classification => labels.contains(&0.0) && labels.contains(&1.0),
                TaskType::Regression => !labels.is_empty(),
            }
        });
        if !scorable {
            let why = match data.task_type {
                TaskType::Classification => "no target has both classes",
                TaskType::Regression => "no target has a label",
            };
            let consequence = if *name == "validation" {
                "no best epoch could be selected"
            } else {
                "the run would report no test score"
            };
            return Err(TrainError::Invalid(format!(
                "the {name} set ({} molecules of the {split_name} split) cannot be scored: \
                 {why} in it, so {consequence}; use more data, or another `--split` / `--seed`",
                part.len(),
            )));
        }
    }
    Ok(())
}
