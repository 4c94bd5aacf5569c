//! `molkd train` and `molkd predict`: chemprop-style training on any user CSV and prediction
//! with the saved model. The output directory of `train`:
//!
//! ```text
//! OUT/
//!   model/   model.bpk config.json card.json checksums.json   (best-validation student)
//!   run/     per-epoch checkpoints and the run's identity (--resume continues from them)
//!   split.json   data-row numbers of the train / valid / test molecules
//!   report.json  learning_curve.svg
//! ```
//!
//! `OUT` is locked while a job runs, and a non-empty `OUT` is refused unless the job resumes
//! or overwrites the run in it ([`ExistingRun`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use molkd_graph::FeatureScheme;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::curves::{Curve, write_learning_curves};
use crate::data::{CsvSpec, TaskType};
use crate::error::{Result, TrainError};
use crate::featurize_file::read_molecules;
use crate::finetune::{
    Finetune, FinetuneConfig, FinetuneEpoch, RunOutcome, TaskMetric, check_trainable,
};
use crate::output::{spreadsheet_safe, write_output};
use crate::predictor::{ModelCard, Predictor};
use crate::run_dir::{ExistingRun, OutputDir, RunDir, RunIdentity, run_seconds, write_json};
use crate::split::{SplitFractions, SplitKind};

/// File of the split inside `OUT`.
pub const SPLIT_FILE: &str = "split.json";
/// What `train` writes into `OUT` (and `--overwrite` removes).
pub const TRAIN_OUTPUTS: [&str; 5] = [
    "model",
    "run",
    SPLIT_FILE,
    "report.json",
    "learning_curve.svg",
];

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
    /// What to do with an earlier run in `out`: refuse it, resume it, or overwrite it.
    pub existing: ExistingRun,
}

impl TrainJob {
    /// A job training on the `targets` of `csv` (SMILES in column `smiles`) into `out`, with
    /// chemprop's and pretrain-gnns' defaults: classification, pretrain-gnns features, scaffold
    /// split 80/10/10, the pretrain-gnns protocol ([`FinetuneConfig::protocol`]: GIN 5 × 300,
    /// 100 epochs, batch 32, Adam 1e-3, seed 0), no teacher, an `out` holding anything
    /// refused. Change any field before running it.
    ///
    /// ```no_run
    /// use molkd_train::{ExistingRun, TaskType, TrainJob, run_train_job};
    /// # fn main() -> molkd_train::Result<()> {
    /// let mut job = TrainJob::new("solubility.csv", ["logS"], "runs/solubility");
    /// job.task_type = TaskType::Regression;
    /// job.existing = ExistingRun::Resume;
    /// let report = run_train_job(&job, &burn::tensor::Device::default())?;
    /// println!("{}", report.outcome.summary(report.metric));
    /// # Ok(())
    /// # }
    /// ```
    pub fn new<S: Into<String>>(
        csv: impl Into<PathBuf>,
        targets: impl IntoIterator<Item = S>,
        out: impl Into<PathBuf>,
    ) -> Self {
        let targets: Vec<String> = targets.into_iter().map(Into::into).collect();
        let scheme = FeatureScheme::PretrainGnns;
        Self {
            csv: csv.into(),
            smiles_column: "smiles".into(),
            config: FinetuneConfig::protocol(scheme.featurizer(), targets.len().max(1)),
            targets,
            task_type: TaskType::Classification,
            scheme,
            split: SplitKind::Scaffold,
            teacher: None,
            out: out.into(),
            existing: ExistingRun::Refuse,
        }
    }
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

/// Runs a training job on `device` (training on its autodiff twin).
pub fn run_train_job(job: &TrainJob, device: &Device) -> Result<TrainReport> {
    if job.targets.is_empty() {
        return Err(TrainError::Invalid("no target columns given".into()));
    }
    if let Some(t) = job
        .targets
        .iter()
        .enumerate()
        .find_map(|(i, t)| job.targets[..i].contains(t).then_some(t))
    {
        return Err(TrainError::Invalid(format!(
            "target `{t}` is named twice in --targets"
        )));
    }
    // A missing or unreadable input fails before the output directory is touched.
    crate::data::table::open_text(&job.csv)?;
    let out = OutputDir::open(&job.out, job.existing, &TRAIN_OUTPUTS)?;
    let featurizer = job.scheme.featurizer();
    let data = CsvSpec::new(&job.smiles_column, job.targets.iter().cloned())
        .task_type(job.task_type)
        .load(&job.csv, featurizer)?;
    eprintln!("{}", data.skip_report());
    let teacher_checkpoint = job
        .teacher
        .as_deref()
        .map(molkd_models::checkpoint::checkpoint_fingerprint)
        .transpose()?;
    // Everything that fixes the run except how long it goes on: `--resume` must not mix two
    // runs in one history. Checked before any other work, recorded once the run starts.
    let identity = RunIdentity::new()
        .with("data", data.fingerprint())
        .with("smiles-column", &job.smiles_column)
        .with("targets", &job.targets)
        .with("task", job.task_type)
        .with("scheme", job.scheme)
        .with("split", job.split)
        .with("teacher", teacher_checkpoint)
        .with_fields("config", &job.config, job.config.optim.resumable_settings());
    let run = RunDir::at(out.path().join("run"));
    run.check_identity(&identity)?;
    let split = job.split.split(
        &data.smiles,
        SplitFractions::default(),
        job.config.optim.seed,
    )?;
    check_trainable(&data, &split, &job.split.to_string())?;
    let mut config = job.config.clone();
    let teacher = config.fit_to(&data, job.scheme, job.teacher.as_deref(), device)?;
    run.claim(&identity)?;
    write_json(&out.path().join(SPLIT_FILE), &split.map(&data.rows))?;
    let start = Instant::now();
    let done = Finetune::new(&config, &data, &split)
        .featurizer(featurizer)
        .teacher(teacher.as_ref())
        .checkpoints(&run, job.existing == ExistingRun::Resume)
        .progress_bar(true)
        .run(device)?;
    let process_seconds = start.elapsed().as_secs_f64();
    let card = ModelCard::for_data(job.scheme, &data, done.state.scaler.clone())
        .with_smiles_column(&job.smiles_column);
    done.predictor(card)?.save(&out.path().join("model"))?;
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
            &out.path().join("learning_curve.svg"),
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
    write_json(&out.path().join("report.json"), &report)?;
    Ok(report)
}

/// What `predict` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PredictReport {
    /// Rows written: one per input row.
    pub molecules: usize,
    /// Of those, how many have no predictions and an `error` (the row gave no SMILES, the
    /// SMILES did not parse, or the model's output was not finite).
    pub failed: usize,
}

/// Predicts every row of `input` (one SMILES per line, or a CSV: the `smiles_column`, by
/// default the training column) with the model in `model`, writing a CSV
/// `smiles,<task>...,error` to `output` (atomically, never over `input`): probabilities for
/// classification, values for regression. Every input row gets one output row in input
/// order; a row without a usable SMILES, a SMILES that does not parse, or a non-finite model
/// output gets empty predictions and its error. Cells are written spreadsheet-safe
/// ([`spreadsheet_safe`]).
pub fn predict_file(
    model: &Path,
    input: &Path,
    smiles_column: Option<&str>,
    output: &Path,
    device: &Device,
) -> Result<PredictReport> {
    crate::output::refuse_overwriting_inputs(output, &[input])?;
    let predictor = Predictor::load(model, device)?;
    let card = predictor.card();
    let name = input.to_string_lossy().to_ascii_lowercase();
    let is_csv = name.ends_with(".csv") || name.ends_with(".csv.gz") || smiles_column.is_some();
    let column = smiles_column.unwrap_or(&card.smiles_column);
    let (molecules, _) = read_molecules(input, is_csv.then_some(column))?;
    let featurizer = card.scheme.featurizer();
    let predictions = predictor.predict_graphs(
        molecules
            .par_iter()
            .map(|m| m.featurize(featurizer))
            .collect(),
    )?;
    let t = card.task_names.len();
    let csv_error = |e: csv::Error| TrainError::Csv {
        path: output.to_path_buf(),
        message: e.to_string(),
    };
    write_output(output, &[input], |out| {
        let mut writer = csv::Writer::from_writer(out);
        let mut header = vec!["smiles".to_string()];
        header.extend(card.task_names.iter().cloned());
        header.push("error".into());
        writer
            .write_record(header.iter().map(|h| spreadsheet_safe(h).into_owned()))
            .map_err(csv_error)?;
        let mut failed = 0usize;
        for (m, prediction) in molecules.iter().zip(&predictions) {
            let mut record = vec![m.smiles.clone()];
            match prediction {
                Ok(values) => {
                    record.extend(values.iter().map(|v| v.to_string()));
                    record.push(String::new());
                }
                Err(e) => {
                    record.extend(std::iter::repeat_n(String::new(), t));
                    record.push(e.clone());
                    failed += 1;
                }
            }
            writer
                .write_record(record.iter().map(|c| spreadsheet_safe(c).into_owned()))
                .map_err(csv_error)?;
        }
        writer.flush().map_err(|source| TrainError::Io {
            path: output.to_path_buf(),
            source,
        })?;
        Ok(PredictReport {
            molecules: molecules.len(),
            failed,
        })
    })
}
