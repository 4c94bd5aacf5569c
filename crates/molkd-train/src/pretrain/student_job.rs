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
use serde::{Deserialize, Serialize};

use super::held_out::{HeldOutRun, PretrainOutcome, write_report};
use super::student::{
    PretextScores, StudentPretrainConfig, StudentPretrainEpoch, evaluate_student_pretext,
    pretrain_student,
};
use crate::data::{MoleculeSource, ReactionLoadOptions, SourceCount, load_reaction_molecules};
use crate::error::{Result, TrainError};
use crate::fmt::{fmt_opt, markdown_table};
use crate::run_dir::{ExistingRun, OutputDir, RunIdentity};
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
    /// Molecule counts, configuration, epochs and the held-out comparison.
    #[serde(flatten)]
    pub outcome: PretrainOutcome<StudentPretrainEpoch, PretextScores>,
}

/// Runs `job` on `device` (training on its autodiff twin).
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
    let valid = split.valid.len().min(job.config.eval_size);
    eprintln!(
        "pre-training ({}) on {} molecules, validating on {valid}, testing on {}",
        job.config.pretext(),
        train.len(),
        test.len()
    );
    let identity = RunIdentity::new()
        .with("data", data.fingerprint())
        .with("split-seed", job.split_seed)
        .with("valid-size", job.valid_size)
        .with("test-size", job.test_size)
        .with("max-train", job.max_train)
        .with_fields("config", &job.config, job.config.optim.resumable_settings());
    let outcome = HeldOutRun {
        out: &out,
        model_dir: "model",
        identity,
        existing: job.existing,
        config: &job.config,
        seed: job.config.optim.seed,
        sizes: [train.len(), valid, test.len()],
    }
    .run(
        &job.config.model,
        device,
        |model| evaluate_student_pretext(model, &job.config, featurizer, data, &test, device),
        |run, resume| {
            let trained = pretrain_student(
                &job.config,
                featurizer,
                data,
                &train,
                &split.valid,
                device,
                run,
                resume,
            )?;
            Ok((trained.model, trained.history))
        },
    )?;
    let report = StudentPretrainReport {
        method: job.config.pretext().to_string(),
        sources: molecules.sources.clone(),
        molecules: data.len(),
        too_small: molecules.too_small,
        unfeaturisable: data.skipped.len(),
        outcome,
    };
    write_report(&out, &report, &report.markdown())?;
    Ok(report)
}

impl StudentPretrainReport {
    /// The report as Markdown: the molecule set, held-out scores trained against untrained,
    /// then per epoch.
    pub fn markdown(&self) -> String {
        let o = &self.outcome;
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
            o.train,
            o.valid,
            o.test,
            o.train_seconds
        );
        md.push_str(&markdown_table(
            &["file", "reactions", "components", "new molecules"],
            self.sources.iter().map(|s| {
                [
                    s.file.clone(),
                    s.reactions.to_string(),
                    s.components.to_string(),
                    s.new_molecules.to_string(),
                ]
            }),
        ));
        md.push_str("\n## Held-out test molecules (same draws)\n\n");
        md.push_str(&o.held_out_table(
            "model",
            "pre-trained",
            &["loss", "accuracy", "bond accuracy"],
            |e| {
                vec![
                    format!("{:.4}", e.loss),
                    fmt_opt(e.accuracy, 4),
                    fmt_opt(e.bond_accuracy, 4),
                ]
            },
        ));
        md.push_str("\n## Per epoch\n\n");
        md.push_str(&o.epoch_table(
            &[
                "epoch",
                "train loss",
                "train accuracy",
                "valid loss",
                "valid accuracy",
                "valid bond accuracy",
                "mol/s",
            ],
            |e| {
                vec![
                    e.epoch.to_string(),
                    format!("{:.4}", e.train.loss),
                    fmt_opt(e.train.accuracy, 4),
                    format!("{:.4}", e.valid.loss),
                    fmt_opt(e.valid.accuracy, 4),
                    fmt_opt(e.valid.bond_accuracy, 4),
                    format!("{:.0}", e.molecules_per_s),
                ]
            },
        ));
        md
    }
}
