//! The one pre-training loop behind every objective (reaction equivalence for the teacher,
//! MoleBLEND's blend-then-predict, the student's attribute masking and context prediction):
//! seeded epoch order and generator, gradient steps under the learning-rate schedule, a
//! held-out evaluation after each epoch, and an atomic checkpoint per epoch that `resume`
//! continues from, ending where an uninterrupted run would.
//!
//! An objective says what differs ([`PretrainObjective`]); the loop owns the rest.

use std::time::Instant;

use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use molkd_graph::random::{Generator, init_seeded};
use molkd_models::Checkpointed;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::optim::{OptimConfig, epoch_order, epoch_seed};
use crate::progress::EpochProgress;
use crate::run_dir::RunDir;

/// What one training step returns: the loss to minimise and the values the epoch sums.
pub struct StepOutput<V> {
    /// Scalar loss `[1]` on the autodiff device.
    pub loss: Tensor<1>,
    /// The step's loss value (read once, for the progress bar and divergence check).
    pub value: f64,
    /// Anything else the objective averages over the epoch (loss terms, accuracies).
    pub values: V,
}

/// What the loop hands an objective after an epoch's training steps.
pub struct EpochTraining<V> {
    /// 1-based epoch.
    pub epoch: usize,
    /// Sum of the steps' values.
    pub sums: V,
    /// Sum of the steps' loss values.
    pub loss_sum: f64,
    /// Number of steps taken (batches with nothing to learn from are not counted).
    pub steps: usize,
    /// Items (molecules, reactions) trained on.
    pub items: usize,
    /// Seconds of training (without evaluation).
    pub train_seconds: f64,
    /// When the epoch started (for a wall time that includes evaluation).
    pub started: Instant,
}

impl<V> EpochTraining<V> {
    /// Mean loss over the epoch's steps.
    pub fn mean_loss(&self) -> f64 {
        self.loss_sum / self.steps.max(1) as f64
    }

    /// Training items per second.
    pub fn items_per_s(&self) -> f64 {
        self.items as f64 / self.train_seconds.max(1e-9)
    }
}

/// One pre-training objective: its model, one step's loss, and what an epoch records.
pub trait PretrainObjective {
    /// The model trained (saved in every checkpoint).
    type Model: Checkpointed;
    /// Per-step values summed over an epoch (loss terms, counts); `()` for none.
    type Values: Default;
    /// What an epoch records in the run's state and report.
    type Epoch: Serialize + DeserializeOwned + Clone;

    /// The model's configuration (saved with it, and compared on resume).
    fn model_config(&self) -> &<Self::Model as Checkpointed>::Config;

    /// Epochs, batch size, learning rate and schedule, seed, clipping.
    fn optim(&self) -> &OptimConfig;

    /// A freshly initialised model on `device` (drawn from the run's seed by the loop).
    fn init(&self, device: &Device) -> Result<Self::Model> {
        Ok(Self::Model::build(self.model_config(), device)?)
    }

    /// The batches of an epoch, from its shuffled `order`: consecutive chunks of the batch
    /// size by default.
    fn batches<'a>(&self, order: &'a [usize]) -> Vec<&'a [usize]> {
        order.chunks(self.optim().batch_size.max(1)).collect()
    }

    /// Adds `step` into `sums`.
    fn accumulate(&self, sums: &mut Self::Values, step: Self::Values);

    /// One training step on the items `batch` (training mode, autodiff `device`); random
    /// draws (masks, noise, dropout) come from `rng`, the epoch's generator. `None`: the
    /// batch holds nothing to learn from (no step is taken).
    fn step(
        &self,
        model: &Self::Model,
        batch: &[usize],
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Option<StepOutput<Self::Values>>>;

    /// The epoch's record: `training` summarised, plus held-out scores of `model`.
    fn finish_epoch(
        &self,
        model: &Self::Model,
        training: EpochTraining<Self::Values>,
        device: &Device,
    ) -> Result<Self::Epoch>;
}

/// The loop state saved in every checkpoint: the epochs so far, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(deserialize = "E: DeserializeOwned"))]
pub struct PretrainHistory<E> {
    /// One record per finished epoch.
    pub history: Vec<E>,
}

impl<E> Default for PretrainHistory<E> {
    fn default() -> Self {
        Self {
            history: Vec::new(),
        }
    }
}

/// Trains `objective` on the items `train` for its configured epochs, writing a checkpoint
/// to `run` after every epoch. With `resume`, continues from the run's latest checkpoint
/// (refused when its model configuration differs); the data order and random draws are
/// seeded per epoch and the optimiser moments restored, so a resumed run ends where an
/// uninterrupted one would. Trains on the autodiff twin of `device` (any device will do).
///
/// Returns the trained model and every epoch's record, including those before a resume.
pub fn pretrain<O: PretrainObjective>(
    objective: &O,
    train: &[usize],
    device: &Device,
    run: &RunDir,
    resume: bool,
) -> Result<(O::Model, Vec<O::Epoch>)> {
    let device = &device.clone().autodiff();
    let optim = objective.optim();
    optim.validate()?;
    let restored = run.resume_matching::<O::Model, PretrainHistory<O::Epoch>>(
        resume,
        objective.model_config(),
        device,
        optim.optimizer(),
    )?;
    let (mut model, mut optimizer, mut state) = match restored {
        Some(r) => (r.model, r.optimizer, r.state),
        None => (
            init_seeded(device, optim.seed, || objective.init(device))?,
            optim.optimizer(),
            PretrainHistory::default(),
        ),
    };
    for epoch in state.history.len() + 1..=optim.epochs {
        let seed = epoch_seed(optim.seed, epoch);
        let mut rng = Generator::new(seed);
        let order = epoch_order(train, seed);
        let batches = objective.batches(&order);
        let progress = EpochProgress::new(epoch, optim.epochs, order.len());
        let started = Instant::now();
        let mut sums = O::Values::default();
        let (mut loss_sum, mut steps) = (0.0, 0);
        for (step, batch) in batches.iter().enumerate() {
            let Some(out) = objective.step(&model, batch, &mut rng, device)? else {
                progress.skip(batch.len());
                continue;
            };
            if !out.value.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    loss: out.value,
                });
            }
            loss_sum += out.value;
            steps += 1;
            objective.accumulate(&mut sums, out.values);
            let grads = GradientsParams::from_grads(out.loss.backward(), &model);
            let lr = optim.lr_at(epoch, step, batches.len());
            model = optimizer.step(lr, model, grads);
            progress.advance(batch.len(), out.value);
        }
        let train_seconds = started.elapsed().as_secs_f64();
        progress.finish();
        let training = EpochTraining {
            epoch,
            sums,
            loss_sum,
            steps,
            items: batches.iter().map(|b| b.len()).sum(),
            train_seconds,
            started,
        };
        let record = objective.finish_epoch(&model, training, device)?;
        state.history.push(record);
        run.save(epoch, &model, objective.model_config(), &optimizer, &state)?;
    }
    Ok((model, state.history))
}
