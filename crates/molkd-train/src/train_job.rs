//! `molkd train` and `molkd predict`: chemprop-style training on any user CSV and prediction
//! with the saved model. The output directory of `train`:
//!
//! ```text
//! OUT/
//!   model/   model.bpk config.json card.json   (best-validation student + how to use it)
//!   run/     per-epoch checkpoints (--resume continues from them)
//!   report.json  learning_curve.svg
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use molkd_graph::{FeatureScheme, MolGraph};
use molkd_models::{Checkpointed, StudentModel};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::curves::{Curve, write_learning_curves};
use crate::data::{CsvSpec, TaskType};
use crate::error::{Result, TrainError};
use crate::featurize_file::read_smiles;
use crate::finetune::{
    FinetuneConfig, FinetuneEpoch, RunOutcome, TargetScaler, TaskMetric, finetune_student, predict,
    student_collate,
};
use crate::run_dir::{RunDir, read_json, run_seconds, write_json};
use crate::split::{SplitFractions, SplitKind};

/// File of the model card inside `OUT/model`.
pub const CARD_FILE: &str = "card.json";

/// A training job on a user CSV.
#[derive(Debug, Clone)]
pub struct TrainJob {
    /// The CSV (gzip accepted).
    pub csv: PathBuf,
    /// Column of SMILES.
    pub smiles_column: String,
    /// Label columns.
    pub targets: Vec<String>,
    /// Classification (0/1 labels, ROC-AUC) or regression (RMSE).
    pub task_type: TaskType,
    /// Feature scheme of the student.
    pub scheme: FeatureScheme,
    /// Split kind (fractions 80/10/10); the random kinds use the run seed.
    pub split: SplitKind,
    /// Model, optimisation and distillation.
    pub config: FinetuneConfig,
    /// Teacher checkpoint directory (needed when `config.kd` is set).
    pub teacher: Option<PathBuf>,
    /// Output directory.
    pub out: PathBuf,
    /// Continue from `OUT/run`.
    pub resume: bool,
}

/// What a saved model needs besides its parameters to predict: `OUT/model/card.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelCard {
    /// Feature scheme the model reads.
    pub scheme: FeatureScheme,
    /// Task type.
    pub task_type: TaskType,
    /// Task names, the output columns of `predict`.
    pub task_names: Vec<String>,
    /// SMILES column of the training CSV (the default column for `predict` on a CSV).
    pub smiles_column: String,
    /// Regression target scaling.
    pub scaler: TargetScaler,
}

/// What `train` measured (`OUT/report.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainReport {
    /// Training file.
    pub csv: String,
    /// Molecules used / rows skipped (with reasons in the log).
    pub molecules: usize,
    /// Rows skipped.
    pub skipped: usize,
    /// Split sizes.
    pub split: [usize; 3],
    /// The score.
    pub metric: TaskMetric,
    /// Scores and history; the saved model is the one of `outcome.best_epoch`.
    #[serde(flatten)]
    pub outcome: RunOutcome,
    /// The configuration.
    pub config: serde_json::Value,
    /// Training wall time of the whole run, seconds: its epochs' times summed across resumes,
    /// or, for a run resumed from checkpoints that predate epoch times, `process_seconds`.
    pub seconds: f64,
    /// Training wall time of this process, seconds: after a resume, only its part;
    /// `None` when read from a report written before it was recorded.
    #[serde(default)]
    pub process_seconds: Option<f64>,
}

/// Runs a training job on `device` (an autodiff device).
pub fn run_train_job(job: &TrainJob, device: &Device) -> Result<TrainReport> {
    if job.targets.is_empty() {
        return Err(TrainError::Invalid("no target columns given".into()));
    }
    let featurizer = job.scheme.featurizer();
    let data = CsvSpec::new(&job.smiles_column, job.targets.iter().cloned())
        .task_type(job.task_type)
        .load(&job.csv, featurizer)?;
    eprintln!("{}", data.skip_report());
    let split = job.split.split(
        &data.smiles,
        SplitFractions::default(),
        job.config.optim.seed,
    )?;
    let mut config = job.config.clone();
    let teacher = config.fit_to(&data, job.scheme, job.teacher.as_deref(), device)?;
    let run = RunDir::create(job.out.join("run"))?;
    let start = Instant::now();
    let done = finetune_student(
        &config,
        featurizer,
        &data,
        &split,
        teacher.as_ref(),
        device,
        Some(&run),
        job.resume,
    )?;
    let process_seconds = start.elapsed().as_secs_f64();
    let model_dir = job.out.join("model");
    done.best.save(&config.model, &model_dir)?;
    let card = ModelCard {
        scheme: job.scheme,
        task_type: data.task_type,
        task_names: data.task_names.clone(),
        smiles_column: job.smiles_column.clone(),
        scaler: done.state.scaler.clone(),
    };
    write_json(&model_dir.join(CARD_FILE), &card)?;
    let state = done.state;
    let seconds = run_seconds(state.history.iter().map(|e| e.seconds)).unwrap_or(process_seconds);
    let curve = |label: &str, emphasis: bool, get: fn(&FinetuneEpoch) -> Option<f64>| Curve {
        label: label.to_string(),
        points: state
            .history
            .iter()
            .filter_map(|e| get(e).map(|v| (e.epoch as f64, v)))
            .collect(),
        colour: usize::from(emphasis),
        emphasis,
    };
    let curves = [
        curve("valid", false, |e| e.valid),
        curve("test", true, |e| e.test),
    ];
    if curves.iter().any(|c| !c.points.is_empty()) {
        write_learning_curves(
            &job.out.join("learning_curve.svg"),
            &data.name,
            done.metric.name(),
            &curves,
        )?;
    }
    let report = TrainReport {
        csv: job.csv.display().to_string(),
        molecules: data.len(),
        skipped: data.skipped.len(),
        split: [split.train.len(), split.valid.len(), split.test.len()],
        metric: done.metric,
        outcome: state.into(),
        config: serde_json::to_value(&config).unwrap_or_default(),
        seconds,
        process_seconds: Some(process_seconds),
    };
    write_json(&job.out.join("report.json"), &report)?;
    Ok(report)
}

/// What `predict` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PredictReport {
    /// Molecules written.
    pub molecules: usize,
    /// Of those, how many could not be featurised (empty predictions, `error` filled in).
    pub failed: usize,
}

/// The model directory inside `dir`: `dir/model` when `dir` is a `train` output, else `dir`.
fn model_dir(dir: &Path) -> PathBuf {
    let nested = dir.join("model");
    if nested.join(CARD_FILE).is_file() {
        nested
    } else {
        dir.to_path_buf()
    }
}

/// Loads a model saved by [`run_train_job`] (its `OUT` or `OUT/model` directory).
pub fn load_model(dir: &Path, device: &Device) -> Result<(StudentModel, ModelCard)> {
    let dir = model_dir(dir);
    let card: ModelCard = read_json(&dir.join(CARD_FILE))?;
    let (model, config) = StudentModel::load(&dir, device)?;
    if config.num_tasks != card.task_names.len() || card.scaler.mean.len() != card.task_names.len()
    {
        return Err(TrainError::Invalid(format!(
            "{}: the model has {} outputs but its card names {} tasks",
            dir.display(),
            config.num_tasks,
            card.task_names.len()
        )));
    }
    Ok((model, card))
}

/// Predicts every molecule of `input` (one SMILES per line, or a CSV: the `smiles_column`, by
/// default the training column) with the model in `model`, writing a CSV
/// `smiles,<task>...,error` to `output` (atomically): probabilities for classification,
/// values for regression; a molecule that does not parse gets empty predictions and its
/// error, so output rows match input molecules one to one.
pub fn predict_file(
    model: &Path,
    input: &Path,
    smiles_column: Option<&str>,
    output: &Path,
    device: &Device,
) -> Result<PredictReport> {
    let (model, card) = load_model(model, device)?;
    let name = input.to_string_lossy().to_ascii_lowercase();
    let is_csv = name.ends_with(".csv") || name.ends_with(".csv.gz") || smiles_column.is_some();
    let column = smiles_column.unwrap_or(&card.smiles_column);
    let (smiles, _) = read_smiles(input, is_csv.then_some(column))?;
    let featurizer = card.scheme.featurizer();
    let graphs: Vec<std::result::Result<MolGraph, String>> = smiles
        .par_iter()
        .map(|s| featurizer.featurize(s).map_err(|e| e.to_string()))
        .collect();
    let ok: Vec<&MolGraph> = graphs.iter().filter_map(|g| g.as_ref().ok()).collect();
    let collate = student_collate(featurizer)?;
    let outputs = if ok.is_empty() {
        Vec::new()
    } else {
        predict(
            &model,
            &collate,
            &ok,
            card.task_type,
            &card.scaler,
            256,
            device,
        )?
    };
    let t = card.task_names.len();
    let csv_error = |e: csv::Error| TrainError::Csv {
        path: output.to_path_buf(),
        message: e.to_string(),
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["smiles".to_string()];
    header.extend(card.task_names.iter().cloned());
    header.push("error".into());
    writer.write_record(&header).map_err(csv_error)?;
    let (mut next, mut failed) = (0usize, 0usize);
    for (s, graph) in smiles.iter().zip(&graphs) {
        let mut record = vec![s.clone()];
        match graph {
            Ok(_) => {
                record.extend(
                    outputs[next * t..(next + 1) * t]
                        .iter()
                        .map(|v| v.to_string()),
                );
                record.push(String::new());
                next += 1;
            }
            Err(e) => {
                record.extend(std::iter::repeat_n(String::new(), t));
                record.push(e.clone());
                failed += 1;
            }
        }
        writer.write_record(&record).map_err(csv_error)?;
    }
    let bytes = writer.into_inner().map_err(|e| TrainError::Csv {
        path: output.to_path_buf(),
        message: e.to_string(),
    })?;
    molkd_models::checkpoint::write_atomic(output, &bytes)?;
    Ok(PredictReport {
        molecules: smiles.len(),
        failed,
    })
}
