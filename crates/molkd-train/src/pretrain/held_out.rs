//! What every pre-training job (teacher, blend, student) does once its data is loaded and
//! split: refuse a run directory that holds another run, score the architecture untrained,
//! pre-train with per-epoch checkpoints, score the trained model on the same held-out items,
//! save it, and write the report as JSON and Markdown. Each job keeps only what differs: its
//! data, its split and its report's data fields.

use std::time::Instant;

use burn::tensor::Device;
use molkd_graph::random::init_seeded;
use molkd_models::Checkpointed;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fmt::markdown_table;
use crate::run_dir::{ExistingRun, OutputDir, RunDir, RunIdentity, run_seconds, write_json};

/// An epoch record that knows its wall time (`None` in checkpoints that predate it).
pub trait TimedEpoch {
    /// Wall time of the epoch, training and validation, seconds.
    fn seconds(&self) -> Option<f64>;
}

/// What every pre-training report holds: the item counts, the configuration, the epochs and
/// the held-out comparison of the trained model with the same architecture untrained.
/// Each job's report flattens it next to its data fields, so its JSON keeps one level.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PretrainOutcome<E, S> {
    /// Items (molecules, reactions) pre-trained on.
    pub train: usize,
    /// Validation items scored after every epoch.
    pub valid: usize,
    /// Test items scored at the end, trained and untrained.
    pub test: usize,
    /// The configuration, as JSON.
    pub config: serde_json::Value,
    /// Per-epoch history, including epochs before a resume.
    pub history: Vec<E>,
    /// The trained model on the test items.
    pub test_trained: S,
    /// The same architecture untrained (same seed), on the same items and random draws.
    pub test_untrained: S,
    /// Wall time of training the whole run, seconds: its epochs' times summed across resumes,
    /// or, for a run resumed from checkpoints that predate epoch times, `process_seconds`.
    pub train_seconds: f64,
    /// Wall time of training in this process, seconds: after a resume, only its part;
    /// `None` when read from a report written before it was recorded.
    #[serde(default)]
    pub process_seconds: Option<f64>,
}

impl<E, S> PretrainOutcome<E, S> {
    /// The held-out comparison as a Markdown table: one row for the untrained architecture and
    /// one for the trained model (`trained_label`), `cells` giving a score's columns after
    /// `first` (the row label's header).
    pub(crate) fn held_out_table(
        &self,
        first: &str,
        trained_label: &str,
        columns: &[&str],
        cells: impl Fn(&S) -> Vec<String>,
    ) -> String {
        let header: Vec<&str> = std::iter::once(first)
            .chain(columns.iter().copied())
            .collect();
        markdown_table(
            &header,
            [
                ("untrained", &self.test_untrained),
                (trained_label, &self.test_trained),
            ]
            .into_iter()
            .map(|(name, scores)| std::iter::once(name.to_string()).chain(cells(scores))),
        )
    }

    /// The per-epoch history as a Markdown table with `columns`, one row per epoch.
    pub(crate) fn epoch_table(
        &self,
        columns: &[&str],
        cells: impl Fn(&E) -> Vec<String>,
    ) -> String {
        markdown_table(columns, self.history.iter().map(cells))
    }
}

/// A pre-training job's run once its items are chosen: where it writes, what identifies it,
/// and how its model is built and scored.
pub(crate) struct HeldOutRun<'a, C: Serialize> {
    /// The job's output directory (already opened under the job's [`ExistingRun`]).
    pub out: &'a OutputDir,
    /// Sub-directory of `out` the trained model is saved in.
    pub model_dir: &'a str,
    /// Everything that fixes the run except how long it goes on: `--resume` must not mix
    /// two runs in one history. Checked before any work, recorded once training starts.
    pub identity: RunIdentity,
    /// What to do with an earlier run.
    pub existing: ExistingRun,
    /// The job's configuration (recorded in the report).
    pub config: &'a C,
    /// Seed of the model's initialisation (the untrained baseline draws the same).
    pub seed: u64,
    /// Items trained on, validated on (per epoch) and tested on.
    pub sizes: [usize; 3],
}

impl<C: Serialize> HeldOutRun<'_, C> {
    /// Scores the untrained architecture with `evaluate`, pre-trains with `train` (given the
    /// run directory and whether to resume), scores the trained model, saves it under
    /// `model_dir` and returns the outcome.
    pub fn run<M, E, S>(
        self,
        model_config: &M::Config,
        device: &Device,
        evaluate: impl Fn(&M) -> Result<S>,
        train: impl FnOnce(&RunDir, bool) -> Result<(M, Vec<E>)>,
    ) -> Result<PretrainOutcome<E, S>>
    where
        M: Checkpointed,
        E: TimedEpoch,
    {
        let run = RunDir::at(self.out.path().join("run"));
        run.check_identity(&self.identity)?;
        let untrained = init_seeded(device, self.seed, || M::build(model_config, device))?;
        let test_untrained = evaluate(&untrained)?;
        drop(untrained);

        run.claim(&self.identity)?;
        let start = Instant::now();
        let (model, history) = train(&run, self.existing == ExistingRun::Resume)?;
        let process_seconds = start.elapsed().as_secs_f64();
        let test_trained = evaluate(&model)?;
        model.save(model_config, &self.out.path().join(self.model_dir))?;
        let [train, valid, test] = self.sizes;
        Ok(PretrainOutcome {
            train,
            valid,
            test,
            config: serde_json::to_value(self.config).unwrap_or_default(),
            train_seconds: run_seconds(history.iter().map(TimedEpoch::seconds))
                .unwrap_or(process_seconds),
            process_seconds: Some(process_seconds),
            history,
            test_trained,
            test_untrained,
        })
    }
}

/// Writes `report` as `report.json` and its Markdown form as `report.md` into `out`,
/// each atomically.
pub(crate) fn write_report(out: &OutputDir, report: &impl Serialize, markdown: &str) -> Result<()> {
    write_json(&out.path().join("report.json"), report)?;
    molkd_models::checkpoint::write_atomic(&out.path().join("report.md"), markdown.as_bytes())?;
    Ok(())
}
