//! Teacher pre-training on reactions (MolR-style reaction equivalence, optionally yield-aware).

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use molkd_distill::ReactionLossConfig;
use molkd_graph::random::Generator;
use molkd_graph::{Collate, Featurizer, ReactionGraph};
use molkd_models::{TeacherModel, TeacherModelConfig};
use serde::{Deserialize, Serialize};

pub mod blend;
pub mod blend_job;
pub mod driver;
pub mod held_out;
pub mod job;
pub mod student;
pub mod student_job;

pub use driver::{EpochTraining, PretrainHistory, PretrainObjective, StepOutput, pretrain};
pub use held_out::{PretrainOutcome, TimedEpoch};

use crate::data::ReactionDataset;
use crate::error::{Result, TrainError};
use crate::metrics::{RetrievalMetrics, RetrievalOptions, product_retrieval, spearman};
use crate::optim::OptimConfig;
use crate::run_dir::RunDir;

/// Where `molkd pretrain-teacher` writes by default (its `--out`); distillation results
/// leave the teacher in this directory unnamed in their method labels
/// ([`crate::benchmark::method_label`]).
pub const DEFAULT_TEACHER_DIR: &str = "results/teacher";

/// Everything a teacher pre-training run needs besides the data.
#[derive(Config, Debug)]
pub struct TeacherPretrainConfig {
    /// The teacher's architecture.
    pub model: TeacherModelConfig,
    /// The pre-training loss (MolR margin, a yield-aware form, or InfoNCE).
    pub loss: ReactionLossConfig,
    /// Optimisation: epochs, batch size, learning rate, seed, gradient clipping.
    pub optim: OptimConfig,
    /// Reactions of the validation subset scored after every epoch (retrieval among them).
    #[config(default = 2000)]
    pub eval_size: usize,
}

/// What one epoch did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PretrainEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Validation scores after the epoch.
    pub valid: TeacherEval,
    /// Reactions per second during training (not counting evaluation).
    pub reactions_per_s: f64,
    /// Wall time of the epoch, training and validation, seconds. Kept in the checkpoints, so
    /// a resumed run still knows how long its earlier epochs took; `None` in checkpoints
    /// written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

impl held_out::TimedEpoch for PretrainEpoch {
    fn seconds(&self) -> Option<f64> {
        self.seconds
    }
}

/// The loop state saved in every checkpoint: the epochs finished so far, oldest first.
pub type PretrainState = PretrainHistory<PretrainEpoch>;

/// Scores of a teacher on a set of reactions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeacherEval {
    /// Product retrieval among the set (MolR protocol).
    pub retrieval: RetrievalMetrics,
    /// Spearman correlation between `−‖h_R − h_P‖` and yield, over reactions with a yield.
    pub yield_spearman: Option<f64>,
}

/// `(Σ reactants, Σ products)` embeddings of `indices`, computed in batches on `device`
/// (inference, no autodiff). Shapes: `[n, d]` each.
pub fn embed_reactions(
    model: &TeacherModel,
    collate: &Collate,
    reactions: &[ReactionGraph],
    indices: &[usize],
    batch_size: usize,
    device: &Device,
) -> Result<(Tensor<2>, Tensor<2>)> {
    let model = model.valid();
    let device = device.clone().without_autodiff();
    let mut reactants = Vec::new();
    let mut products = Vec::new();
    for chunk in indices.chunks(batch_size.max(1)) {
        let batch: Vec<&ReactionGraph> = chunk.iter().map(|&i| &reactions[i]).collect();
        let batch = collate.collate_reactions(&batch, &device)?;
        model.check(&batch.reactants)?;
        model.check(&batch.products)?;
        let (r, p) = model.embed_reaction(&batch);
        reactants.push(r);
        products.push(p);
    }
    if reactants.is_empty() {
        return Err(TrainError::Invalid("no reactions to embed".into()));
    }
    Ok((Tensor::cat(reactants, 0), Tensor::cat(products, 0)))
}

/// Product retrieval among `indices` and the yield Spearman correlation.
pub fn evaluate_teacher(
    model: &TeacherModel,
    collate: &Collate,
    data: &ReactionDataset,
    indices: &[usize],
    device: &Device,
) -> Result<TeacherEval> {
    let (reactants, products) =
        embed_reactions(model, collate, &data.reactions, indices, 512, device)?;
    let distance: Vec<f32> = (reactants.clone() - products.clone())
        .powi_scalar(2)
        .sum_dim(1)
        .sqrt()
        .try_to_vec_as::<f32>()
        .map_err(|e| TrainError::TensorRead(format!("{e:?}")))?;
    let retrieval = product_retrieval(reactants, products, &RetrievalOptions::default())?;
    let (closeness, yields): (Vec<f64>, Vec<f64>) = indices
        .iter()
        .zip(&distance)
        .filter_map(|(&i, &d)| data.yields[i].map(|y| (-(d as f64), y as f64)))
        .unzip();
    let yield_spearman = if closeness.len() >= 3 {
        spearman(&closeness, &yields)?
    } else {
        None
    };
    Ok(TeacherEval {
        retrieval,
        yield_spearman,
    })
}

/// Outcome of [`pretrain_teacher`].
pub struct Pretrained {
    /// The trained teacher (on the training device).
    pub model: TeacherModel,
    /// Per-epoch history, including epochs from before a resume.
    pub history: Vec<PretrainEpoch>,
}

/// Reaction-equivalence pre-training as a [`PretrainObjective`].
struct TeacherObjective<'a> {
    config: &'a TeacherPretrainConfig,
    data: &'a ReactionDataset,
    collate: Collate,
    valid: Vec<usize>,
    needs_yield: bool,
}

impl PretrainObjective for TeacherObjective<'_> {
    type Model = TeacherModel;
    type Values = ();
    type Epoch = PretrainEpoch;

    fn model_config(&self) -> &TeacherModelConfig {
        &self.config.model
    }

    fn optim(&self) -> &OptimConfig {
        &self.config.optim
    }

    fn batches<'o>(&self, order: &'o [usize]) -> Vec<&'o [usize]> {
        order
            .chunks(self.config.optim.batch_size.max(1))
            .filter(|b| b.len() >= 2) // in-batch negatives need a second reaction
            .collect()
    }

    fn accumulate(&self, _: &mut (), _: ()) {}

    fn step(
        &self,
        model: &TeacherModel,
        batch_indices: &[usize],
        _: &mut Generator,
        device: &Device,
    ) -> Result<Option<StepOutput<()>>> {
        let data = self.data;
        let graphs: Vec<&ReactionGraph> =
            batch_indices.iter().map(|&i| &data.reactions[i]).collect();
        let batch = self.collate.collate_reactions(&graphs, device)?;
        model.check(&batch.reactants)?;
        model.check(&batch.products)?;
        let (reactants, products) = model.embed_reaction(&batch);
        let yields = self.needs_yield.then(|| {
            let y: Vec<f32> = batch_indices
                .iter()
                .map(|&i| data.yields[i].unwrap_or(1.0))
                .collect();
            Tensor::<1>::from_data(TensorData::new(y, [batch_indices.len()]), device)
        });
        let predicted = model
            .predict_yield(reactants.clone(), products.clone())
            .map(|p| p.reshape([batch_indices.len()]));
        let loss = self
            .config
            .loss
            .loss(reactants, products, yields, predicted)?;
        let value = loss.clone().into_scalar::<f32>() as f64;
        Ok(Some(StepOutput {
            loss,
            value,
            values: (),
        }))
    }

    fn finish_epoch(
        &self,
        model: &TeacherModel,
        training: EpochTraining<()>,
        device: &Device,
    ) -> Result<PretrainEpoch> {
        let valid = evaluate_teacher(model, &self.collate, self.data, &self.valid, device)?;
        Ok(PretrainEpoch {
            epoch: training.epoch,
            train_loss: training.mean_loss(),
            valid,
            reactions_per_s: training.items_per_s(),
            seconds: Some(training.started.elapsed().as_secs_f64()),
        })
    }
}

/// Trains a teacher on `train` reactions of `data`, scoring `valid` after every epoch and
/// writing a checkpoint to `run` after every epoch. With `resume`, continues from the run's
/// latest checkpoint (a resumed run ends where an uninterrupted one would: the data order is
/// seeded per epoch, and the optimizer moments are restored).
///
/// Trains on the autodiff twin of `device`.
#[allow(clippy::too_many_arguments)]
pub fn pretrain_teacher(
    config: &TeacherPretrainConfig,
    featurizer: &dyn Featurizer,
    data: &ReactionDataset,
    train: &[usize],
    valid: &[usize],
    device: &Device,
    run: &RunDir,
    resume: bool,
) -> Result<Pretrained> {
    config.optim.validate()?;
    let needs_yield = config.loss.form.needs_yields();
    if config.loss.form.needs_predicted_yields() && !config.model.yield_head {
        return Err(TrainError::Invalid(format!(
            "loss `{}` needs the teacher's yield head (model.yield_head = true)",
            config.loss.form
        )));
    }
    if needs_yield && let Some(&i) = train.iter().find(|&&i| data.yields[i].is_none()) {
        return Err(TrainError::Invalid(format!(
            "loss `{}` needs yields, but reaction {} (row {}) has none",
            config.loss.form, i, data.rows[i]
        )));
    }
    if train.len() < 2 {
        return Err(TrainError::Invalid(
            "teacher pre-training needs at least 2 training reactions (in-batch negatives)".into(),
        ));
    }
    let objective = TeacherObjective {
        config,
        data,
        collate: Collate::new(featurizer),
        valid: valid.iter().copied().take(config.eval_size).collect(),
        needs_yield,
    };
    let (model, history) = pretrain(&objective, train, device, run, resume)?;
    Ok(Pretrained { model, history })
}
