//! The whole student pre-training job behind `molkd pretrain-student`: gather the distinct
//! molecules of the reaction files, hold out validation and test molecules, pre-train the GIN
//! student's encoder by attribute masking or context prediction, score the trained model and
//! the same architecture untrained on the test molecules, and write the model plus a JSON and
//! a Markdown report.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use molkd_graph::FeatureScheme;
use molkd_graph::random::init_seeded;
use molkd_models::Checkpointed;
use serde::{Deserialize, Serialize};

use super::student::{
    PretextScores, StudentPretrainConfig, StudentPretrainEpoch, evaluate_student_pretext,
    pretrain_student,
};
use crate::data::{MoleculeSource, ReactionLoadOptions, SourceCount, load_reaction_molecules};
use crate::error::{Result, TrainError};
use crate::fmt::fmt_opt;
use crate::run_dir::{ExistingRun, OutputDir, RunDir, RunIdentity, run_seconds, write_json};
use crate::split::random_split_sizes;

/// What `pretrain-student` writes into its output directory (and `--overwrite` removes).
pub const STUDENT_PRETRAIN_OUTPUTS: [&str; 4] = ["run", "model", "report.json", "report.md"];

/// A student pre-training job.
#[derive(Debug, Clone)]
pub struct StudentPretrainJob {
    /// Reaction files whose distinct molecules are pre-trained on.
    pub sources: Vec<MoleculeSource>,
    /// Output directory: `run/` (checkpoints), `model/` (final model), `report.{json,md}`.
    pub out: PathBuf,
    /// Model, pretext settings and optimisation (features: pretrain-gnns).
    pub config: StudentPretrainConfig,
    /// Held-out validation molecules (the first `eval_size` are scored per epoch).
    pub valid_size: usize,
    /// Held-out test molecules scored at the end, trained against untrained.
    pub test_size: usize,
    /// Seed of the held-out draw.
    pub split_seed: u64,
    /// Pre-train on at most this many molecules (quick runs).
    pub max_train: Option<usize>,
    /// Reaction loader options (cache).
    pub load: ReactionLoadOptions,
    /// What to do with an earlier run in `out`.
    pub existing: ExistingRun,
}

/// What a job measured, written as `report.json` (and `report.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudentPretrainReport {
    /// The pretext (`attr-masking`, `context-pred`).
    pub method: String,
    /// What each reaction file contributed.
    pub sources: Vec<SourceCount>,
    /// Distinct molecules kept.
    pub molecules: usize,
    /// Distinct components left out: fewer than two heavy atoms.
    pub too_small: usize,
    /// Distinct components that did not featurise.
    pub unfeaturisable: usize,
    /// Molecules pre-trained on.
    pub train: usize,
    /// Validation molecules scored per epoch.
    pub valid: usize,
    /// Test molecules scored at the end.
    pub test: usize,
    /// The configuration, as JSON.
    pub config: serde_json::Value,
    /// Per-epoch history.
    pub history: Vec<StudentPretrainEpoch>,
    /// The trained model on the test molecules.
    pub test_trained: PretextScores,
    /// The same architecture untrained (same seed), on the same molecules and draws.
    pub test_untrained: PretextScores,
    /// Wall time of training the whole run (epochs summed across resumes), seconds.
    pub train_seconds: f64,
}

/// Runs `job` on `device` (an autodiff device).
pub fn run_student_pretrain_job(
    job: &StudentPretrainJob,
    device: &Device,
) -> Result<StudentPretrainReport> {
    for source in &job.sources {
        crate::data::table::open_text(&source.path)?;
    }
    let out = OutputDir::open(&job.out, job.existing, &STUDENT_PRETRAIN_OUTPUTS)?;
    let featurizer = FeatureScheme::PretrainGnns.featurizer();
    let start = Instant::now();
    let molecules = load_reaction_molecules(&job.sources, featurizer, &job.load)?;
    let data = &molecules.data;
    eprintln!(
        "{}: {} distinct molecules ({} too small, {} not featurisable) ({:.1?})",
        data.name,
        data.len(),
        molecules.too_small,
        data.skipped.len(),
        start.elapsed()
    );
    if job.valid_size + job.test_size >= data.len() {
        return Err(TrainError::Invalid(format!(
            "{} validation and {} test molecules leave none of {} to train on",
            job.valid_size,
            job.test_size,
            data.len()
        )));
    }
    let train_size = data.len() - job.valid_size - job.test_size;
    let split = random_split_sizes(data.len(), train_size, job.valid_size, job.split_seed);
    let mut train = split.train.clone();
    if let Some(n) = job.max_train {
        train.truncate(n);
    }
    let test = split.test.clone();
    eprintln!(
        "pre-training ({}) on {} molecules, validating on {}, testing on {}",
        job.config.pretext(),
        train.len(),
        split.valid.len().min(job.config.eval_size),
        test.len()
    );
    let identity = RunIdentity::new()
        .with("data", data.fingerprint())
        .with("split-seed", job.split_seed)
        .with("valid-size", job.valid_size)
        .with("test-size", job.test_size)
        .with("max-train", job.max_train)
        .with_fields("config", &job.config, job.config.optim.resumable_settings());
    let run = RunDir::at(out.path().join("run"));
    run.check_identity(&identity)?;
    let untrained = init_seeded(device, job.config.optim.seed, || {
        job.config.model.init(device)
    })?;
    let test_untrained =
        evaluate_student_pretext(&untrained, &job.config, featurizer, data, &test, device)?;
    drop(untrained);

    run.claim(&identity)?;
    let trained = pretrain_student(
        &job.config,
        featurizer,
        data,
        &train,
        &split.valid,
        device,
        &run,
        job.existing == ExistingRun::Resume,
    )?;
    let test_trained =
        evaluate_student_pretext(&trained.model, &job.config, featurizer, data, &test, device)?;
    trained
        .model
        .save(&job.config.model, &out.path().join("model"))?;
    let report = StudentPretrainReport {
        method: job.config.pretext().to_string(),
        sources: molecules.sources.clone(),
        molecules: data.len(),
        too_small: molecules.too_small,
        unfeaturisable: data.skipped.len(),
        train: train.len(),
        valid: split.valid.len().min(job.config.eval_size),
        test: test.len(),
        config: serde_json::to_value(&job.config).unwrap_or_default(),
        train_seconds: run_seconds(trained.history.iter().map(|e| Some(e.seconds))).unwrap_or(0.0),
        history: trained.history,
        test_trained,
        test_untrained,
    };
    write_json(&out.path().join("report.json"), &report)?;
    molkd_models::checkpoint::write_atomic(
        &out.path().join("report.md"),
        report.markdown().as_bytes(),
    )?;
    Ok(report)
}

impl StudentPretrainReport {
    /// The report as Markdown: the molecule set, held-out scores trained against untrained,
    /// then per epoch.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "# Student pre-training: {}\n\n{} distinct molecules of the reaction files \
             ({} with fewer than two heavy atoms and {} not featurisable left out): {} \
             pre-trained on, {} validation, {} test; {:.0} s of training.\n",
            self.method,
            self.molecules,
            self.too_small,
            self.unfeaturisable,
            self.train,
            self.valid,
            self.test,
            self.train_seconds
        );
        let _ = writeln!(
            md,
            "| file | reactions | components | new molecules |\n|---|---|---|---|"
        );
        for s in &self.sources {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                s.file, s.reactions, s.components, s.new_molecules
            );
        }
        let _ = writeln!(
            md,
            "\n## Held-out test molecules (same draws)\n\n| model | loss | accuracy | bond accuracy |\n|---|---|---|---|"
        );
        for (name, e) in [
            ("untrained", &self.test_untrained),
            ("pre-trained", &self.test_trained),
        ] {
            let _ = writeln!(
                md,
                "| {name} | {:.4} | {} | {} |",
                e.loss,
                fmt_opt(e.accuracy, 4),
                fmt_opt(e.bond_accuracy, 4)
            );
        }
        let _ = writeln!(
            md,
            "\n## Per epoch\n\n| epoch | train loss | train accuracy | valid loss | valid accuracy | valid bond accuracy | mol/s |\n|---|---|---|---|---|---|---|"
        );
        for e in &self.history {
            let _ = writeln!(
                md,
                "| {} | {:.4} | {} | {:.4} | {} | {} | {:.0} |",
                e.epoch,
                e.train.loss,
                fmt_opt(e.train.accuracy, 4),
                e.valid.loss,
                fmt_opt(e.valid.accuracy, 4),
                fmt_opt(e.valid.bond_accuracy, 4),
                e.molecules_per_s
            );
        }
        md
    }
}
