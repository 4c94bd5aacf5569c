//! The whole blend pre-training job behind `molkd pretrain-blend` and
//! `examples/pretrain_moleblend.rs`: load QM9 with its DFT geometries, take Transformer-M's
//! random split of a split seed, pre-train on its training molecules only (so QM9
//! fine-tuning on the same split has no leakage), score the trained model and the same
//! architecture untrained on held-out test molecules under the same blends, and write the
//! model plus a JSON and a Markdown report.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use molkd_graph::FeatureScheme;
use serde::{Deserialize, Serialize};

use super::blend::{
    BlendEpoch, BlendEval, BlendPretrainConfig, eval_seed, evaluate_blend, pretrain_blend,
};
use super::held_out::{HeldOutRun, PretrainOutcome, write_report};
use crate::data::{Qm9Target, load_qm9};
use crate::error::{Result, TrainError};
use crate::fmt::fmt_opt;
use crate::run_dir::{ExistingRun, OutputDir, RunIdentity};
use crate::split::random_split_sizes;

/// What `pretrain-blend` writes into its output directory (and `--overwrite` removes).
pub const BLEND_OUTPUTS: [&str; 4] = ["run", "model", "report.json", "report.md"];

/// A blend pre-training job.
#[derive(Debug, Clone)]
pub struct BlendJob {
    /// QM9 file with geometries (`3d/qm9_full.csv.gz`).
    pub data: PathBuf,
    /// Output directory: `run/` (checkpoints), `model/` (final model), `report.{json,md}`.
    pub out: PathBuf,
    /// Model, blend, losses and optimisation (features: OGB).
    pub config: BlendPretrainConfig,
    /// Training molecules of the split (Transformer-M's 110,000).
    pub train_size: usize,
    /// Validation molecules of the split (10,000; the first `eval_size` are scored per epoch).
    pub valid_size: usize,
    /// Seed of the split: QM9 fine-tuning with this seed's split never sees a pre-training
    /// molecule in its validation or test sets.
    pub split_seed: u64,
    /// Read only the first rows of the file (quick runs).
    pub max_rows: Option<usize>,
    /// Pre-train on at most this many of the split's training molecules.
    pub max_train: Option<usize>,
    /// Test molecules scored at the end (trained and untrained).
    pub test_size: usize,
    /// What to do with an earlier run in `out`.
    pub existing: ExistingRun,
}

/// What a job measured, written as `report.json` (and `report.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlendReport {
    /// QM9 file.
    pub data: String,
    /// Molecules loaded.
    pub loaded: usize,
    /// Rows skipped by the loader.
    pub skipped: usize,
    /// Seed of the split.
    pub split_seed: u64,
    /// Molecule counts, configuration, epochs and the held-out comparison.
    #[serde(flatten)]
    pub outcome: PretrainOutcome<BlendEpoch, BlendEval>,
}

/// Runs `job` on `device` (training on its autodiff twin).
pub fn run_blend_job(job: &BlendJob, device: &Device) -> Result<BlendReport> {
    crate::data::table::open_text(&job.data)?;
    let out = OutputDir::open(&job.out, job.existing, &BLEND_OUTPUTS)?;
    let featurizer = FeatureScheme::Ogb.featurizer();
    let start = Instant::now();
    let data = load_qm9(&job.data, &[Qm9Target::Gap], featurizer, job.max_rows)?;
    eprintln!(
        "{}: {} molecules, {} rows skipped ({:.1?})",
        job.data.display(),
        data.len(),
        data.skipped.len(),
        start.elapsed()
    );
    if job.train_size + job.valid_size >= data.len() {
        return Err(TrainError::Invalid(format!(
            "{} training and {} validation molecules leave no test set of {}",
            job.train_size,
            job.valid_size,
            data.len()
        )));
    }
    let split = random_split_sizes(data.len(), job.train_size, job.valid_size, job.split_seed);
    let mut train = split.train.clone();
    if let Some(n) = job.max_train {
        train.truncate(n);
    }
    let test: Vec<usize> = split.test.iter().copied().take(job.test_size).collect();
    let valid = split.valid.len().min(job.config.eval_size);
    eprintln!(
        "pre-training on {} molecules (split seed {}), validating on {valid}, testing on {}",
        train.len(),
        job.split_seed,
        test.len()
    );
    let identity = RunIdentity::new()
        .with("data", data.fingerprint())
        .with("split-seed", job.split_seed)
        .with("train-size", job.train_size)
        .with("valid-size", job.valid_size)
        .with("max-rows", job.max_rows)
        .with("max-train", job.max_train)
        .with_fields("config", &job.config, job.config.optim.resumable_settings());
    let seed = eval_seed(job.config.optim.seed);
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
        |model| evaluate_blend(model, &job.config, &data, &test, seed, device),
        |run, resume| {
            let trained = pretrain_blend(
                &job.config,
                &data,
                &train,
                &split.valid,
                device,
                run,
                resume,
            )?;
            Ok((trained.model, trained.history))
        },
    )?;
    let report = BlendReport {
        data: job.data.display().to_string(),
        loaded: data.len(),
        skipped: data.skipped.len(),
        split_seed: job.split_seed,
        outcome,
    };
    write_report(&out, &report, &report.markdown())?;
    Ok(report)
}

impl BlendReport {
    /// The report as Markdown: held-out scores trained against untrained, then per epoch.
    pub fn markdown(&self) -> String {
        let o = &self.outcome;
        let mut md = String::new();
        let _ = writeln!(
            md,
            "# Blend pre-training\n\n{} — {} molecules pre-trained on (QM9 split seed {}), \
             {} validation, {} test; {:.0} s of training.\n",
            self.data, o.train, self.split_seed, o.valid, o.test, o.train_seconds
        );
        md.push_str("## Held-out test molecules (same blends)\n\n");
        md.push_str(&o.held_out_table(
            "model",
            "pre-trained",
            &[
                "SPD CE",
                "edge CE",
                "direction 1−cos",
                "denoise 1−cos",
                "total",
                "SPD acc. where SPD hidden",
                "direction error (°) where only 2D",
            ],
            |e| {
                let mut cells = losses_cells(&e.losses);
                cells.push(fmt_opt(e.hidden_spd_accuracy, 4));
                cells.push(fmt_opt(e.hidden_direction_error_deg, 1));
                cells
            },
        ));
        md.push_str("\n## Per epoch (validation)\n\n");
        md.push_str(&o.epoch_table(
            &[
                "epoch",
                "train total",
                "valid SPD",
                "valid edge",
                "valid direction",
                "valid denoise",
                "valid total",
                "SPD acc. hidden",
                "dir. error (°) 2D-only",
                "mol/s",
            ],
            |e| {
                let mut cells = vec![e.epoch.to_string(), format!("{:.4}", e.train.total)];
                cells.extend(losses_cells(&e.valid.losses));
                cells.push(fmt_opt(e.valid.hidden_spd_accuracy, 4));
                cells.push(fmt_opt(e.valid.hidden_direction_error_deg, 1));
                cells.push(format!("{:.0}", e.molecules_per_s));
                cells
            },
        ));
        md
    }
}

/// The four losses and their weighted total, as table cells.
fn losses_cells(l: &super::blend::BlendLossValues) -> Vec<String> {
    [l.spd, l.edge, l.direction, l.denoise, l.total]
        .iter()
        .map(|v| format!("{v:.4}"))
        .collect()
}
