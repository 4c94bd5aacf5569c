//! The whole teacher pre-training job behind `molkd pretrain-teacher` and
//! `examples/pretrain_teacher.rs`: load and featurise reactions, split, train with per-epoch
//! checkpoints, score the trained teacher and the same architecture untrained on the test
//! split, and write the teacher checkpoint plus a JSON and a Markdown report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use molkd_graph::FeatureScheme;
use molkd_models::Checkpointed;
use serde::{Deserialize, Serialize};

use super::held_out::{HeldOutRun, PretrainOutcome, write_report};
use super::{
    PretrainEpoch, TeacherEval, TeacherPretrainConfig, evaluate_teacher, pretrain_teacher,
};
use crate::data::{ReactionFormat, ReactionLoadOptions, ReactionSplit, load_reactions};
use crate::error::{Result, TrainError};
use crate::fmt::fmt_opt;
use crate::optim::epoch_order;
use crate::run_dir::{ExistingRun, OutputDir, RunIdentity};

/// A teacher pre-training job.
#[derive(Debug, Clone)]
pub struct PretrainJob {
    /// Reaction file.
    pub data: PathBuf,
    /// Its layout.
    pub format: ReactionFormat,
    /// Feature scheme of the teacher's molecules.
    pub scheme: FeatureScheme,
    /// Output directory: `run/` (checkpoints), `teacher/` (final model), `report.{json,md}`.
    pub out: PathBuf,
    /// Model, loss and optimisation.
    pub config: TeacherPretrainConfig,
    /// Use at most this many training reactions (after holding out validation ones).
    pub max_train: Option<usize>,
    /// Score at most this many test reactions (retrieval among them).
    pub max_test: Option<usize>,
    /// What to do with an earlier run in `out`: refuse it, resume it (from `out/run`), or
    /// overwrite it.
    pub existing: ExistingRun,
    /// Options of the reaction loader (cache directory, dropping unchanged reactants).
    pub load: ReactionLoadOptions,
}

/// What a job measured, written as `report.json` (and `report.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PretrainReport {
    /// Reaction file.
    pub data: String,
    /// Reactions loaded and rows skipped.
    pub loaded: usize,
    /// Rows skipped by the loader.
    pub skipped: usize,
    /// Feature scheme.
    pub scheme: String,
    /// Reaction counts, configuration, epochs and the held-out comparison.
    #[serde(flatten)]
    pub outcome: PretrainOutcome<PretrainEpoch, TeacherEval>,
}

/// Train / validation / test indices: the file's split where it has one (validation = a
/// seeded sample of `eval_size` of its training reactions), else a seeded 80/10/10 split.
fn split_indices(
    splits: &[Option<ReactionSplit>],
    eval_size: usize,
    seed: u64,
) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let all: Vec<usize> = (0..splits.len()).collect();
    let has_split = splits.iter().any(|s| s.is_some());
    let (train_pool, test): (Vec<usize>, Vec<usize>) = if has_split {
        let test = all
            .iter()
            .copied()
            .filter(|&i| splits[i] == Some(ReactionSplit::Test))
            .collect();
        let train = all
            .iter()
            .copied()
            .filter(|&i| splits[i] != Some(ReactionSplit::Test))
            .collect();
        (train, test)
    } else {
        let order = epoch_order(&all, seed ^ 0x7e57);
        let cut = order.len() * 9 / 10;
        (order[..cut].to_vec(), order[cut..].to_vec())
    };
    let shuffled = epoch_order(&train_pool, seed ^ 0x7a11d);
    let n_valid = eval_size
        .min(shuffled.len() / 10)
        .max(1)
        .min(shuffled.len());
    let mut valid = shuffled[..n_valid].to_vec();
    let mut train = shuffled[n_valid..].to_vec();
    valid.sort_unstable();
    train.sort_unstable();
    (train, valid, test)
}

/// What `pretrain-teacher` writes into its output directory (and `--overwrite` removes).
pub const PRETRAIN_OUTPUTS: [&str; 4] = ["run", "teacher", "report.json", "report.md"];

/// Runs `job` on `device` (training on its autodiff twin).
pub fn run_pretrain_job(job: &PretrainJob, device: &Device) -> Result<PretrainReport> {
    // A missing or unreadable input fails before the output directory is touched.
    crate::data::table::open_text(&job.data)?;
    let out = OutputDir::open(&job.out, job.existing, &PRETRAIN_OUTPUTS)?;
    let featurizer = job.scheme.featurizer();
    let start = Instant::now();
    let data = load_reactions(job.format, &job.data, featurizer, &job.load)?;
    eprintln!("{} ({:.1?})", data.skip_report(), start.elapsed());
    let (mut train, valid, mut test) =
        split_indices(&data.splits, job.config.eval_size, job.config.optim.seed);
    if let Some(n) = job.max_train {
        train = epoch_order(&train, job.config.optim.seed ^ 0x5u64);
        train.truncate(n);
        train.sort_unstable();
    }
    if let Some(n) = job.max_test {
        test.truncate(n);
    }
    if test.len() < 2 {
        return Err(TrainError::Invalid(format!(
            "{}: fewer than 2 test reactions",
            job.data.display()
        )));
    }
    eprintln!(
        "train {} / valid {} / test {} reactions",
        train.len(),
        valid.len(),
        test.len()
    );
    let identity = RunIdentity::new()
        .with("data", data.fingerprint())
        .with("format", job.format)
        .with("scheme", job.scheme)
        .with("max-train", job.max_train)
        .with("max-test", job.max_test)
        .with(
            "drop-unchanged-reactants",
            job.load.drop_unchanged_reactants,
        )
        .with_fields("config", &job.config, job.config.optim.resumable_settings());
    let collate = molkd_graph::Collate::new(featurizer);
    let outcome = HeldOutRun {
        out: &out,
        model_dir: "teacher",
        identity,
        existing: job.existing,
        config: &job.config,
        seed: job.config.optim.seed,
        sizes: [train.len(), valid.len(), test.len()],
    }
    .run(
        &job.config.model,
        device,
        |model| evaluate_teacher(model, &collate, &data, &test, device),
        |run, resume| {
            let trained = pretrain_teacher(
                &job.config,
                featurizer,
                &data,
                &train,
                &valid,
                device,
                run,
                resume,
            )?;
            Ok((trained.model, trained.history))
        },
    )?;
    let report = PretrainReport {
        data: job.data.display().to_string(),
        loaded: data.len(),
        skipped: data.skipped.len(),
        scheme: job.scheme.to_string(),
        outcome,
    };
    write_report(&out, &report, &report.markdown())?;
    Ok(report)
}

/// Scores a saved teacher (a `teacher/` checkpoint directory) on the reactions of a file:
/// product retrieval among them and, where the file has yields, the yield Spearman. The
/// feature scheme is read off the checkpoint's vocabularies. Returns the scores and how many
/// reactions were scored.
pub fn evaluate_teacher_file(
    model_dir: &Path,
    format: ReactionFormat,
    path: &Path,
    max: Option<usize>,
    load: &ReactionLoadOptions,
    device: &Device,
) -> Result<(TeacherEval, usize)> {
    let (model, config) = molkd_models::TeacherModel::load(model_dir, device)?;
    let scheme = FeatureScheme::of_vocab(&config.atom_vocab_sizes, &config.bond_vocab_sizes)
        .ok_or_else(|| {
            TrainError::Invalid(format!(
                "{}: its vocabularies match no feature scheme",
                model_dir.display()
            ))
        })?;
    let featurizer = scheme.featurizer();
    let data = load_reactions(format, path, featurizer, load)?;
    eprintln!("{}", data.skip_report());
    let mut indices: Vec<usize> = (0..data.len()).collect();
    if let Some(n) = max {
        indices.truncate(n);
    }
    if indices.len() < 2 {
        return Err(TrainError::Invalid(format!(
            "{}: fewer than 2 reactions to score",
            path.display()
        )));
    }
    let collate = molkd_graph::Collate::new(featurizer);
    let eval = evaluate_teacher(&model, &collate, &data, &indices, device)?;
    Ok((eval, indices.len()))
}

impl PretrainReport {
    /// The report as Markdown: data, per-epoch history and the test comparison.
    pub fn markdown(&self) -> String {
        let o = &self.outcome;
        let mut s = String::new();
        let _ = writeln!(s, "# Teacher pre-training\n");
        let _ = writeln!(
            s,
            "Data `{}`: {} reactions loaded, {} rows skipped; train {}, valid {}, test {}; features `{}`; training {:.0} s.\n",
            Path::new(&self.data)
                .file_name()
                .map(|f| f.to_string_lossy())
                .unwrap_or_default(),
            self.loaded,
            self.skipped,
            o.train,
            o.valid,
            o.test,
            self.scheme,
            o.train_seconds
        );
        s.push_str(&o.epoch_table(
            &[
                "epoch",
                "train loss",
                "valid MRR",
                "valid Hit@1",
                "valid Hit@10",
                "yield Spearman",
                "reactions/s",
            ],
            |e| {
                let r = &e.valid.retrieval;
                vec![
                    e.epoch.to_string(),
                    format!("{:.4}", e.train_loss),
                    format!("{:.4}", r.mrr),
                    format!("{:.4}", r.hit_at_1),
                    format!("{:.4}", r.hit_at_10),
                    fmt_opt(e.valid.yield_spearman, 4),
                    format!("{:.0}", e.reactions_per_s),
                ]
            },
        ));
        s.push('\n');
        s.push_str(&o.held_out_table(
            &format!("test ({} reactions)", o.test),
            "trained",
            &["MRR", "Hit@1", "Hit@3", "Hit@5", "Hit@10", "yield Spearman"],
            |e| {
                let r = &e.retrieval;
                let mut cells: Vec<String> =
                    [r.mrr, r.hit_at_1, r.hit_at_3, r.hit_at_5, r.hit_at_10]
                        .iter()
                        .map(|v| format!("{v:.4}"))
                        .collect();
                cells.push(fmt_opt(e.yield_spearman, 4));
                cells
            },
        ));
        s
    }
}
