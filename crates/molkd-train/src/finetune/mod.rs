//! Fine-tuning a student on molecule properties, optionally distilling a frozen reaction
//! teacher (MolKD's reaction-to-molecule distillation): `loss = task + λ · KD`.
//!
//! The protocol follows pretrain-gnns (Hu et al. 2020), under which the baselines were
//! published: scaffold split 80/10/10, batch 32, Adam 1e-3, 100 epochs, GIN 5 × 300 with
//! dropout 0.5, masked BCE over the labelled entries; after every epoch the validation and
//! test sets are scored, and a run reports test at the best-validation epoch and at the last.

use std::time::Instant;

use burn::config::Config;
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Device;
use molkd_distill::{KdConfig, KdInputs, masked_bce_with_logits, masked_mse};
use molkd_graph::random::{Generator, init_seeded};
use molkd_graph::{Featurizer, MolGraph, MoleculeCollate};
use molkd_models::{
    Checkpointed, RelationEncoderConfig, RelationModality, RelationTransformerConfig, StudentModel,
    StudentModelConfig,
};
use serde::{Deserialize, Serialize};

mod checks;
mod init;
mod predict;
mod targets;
mod teacher;

pub use checks::check_trainable;
pub use init::{
    PretrainedEncoder, checkpoint_dir, init_encoder, pretrained_encoder, pretrained_transformer,
    pretraining_dir, pretraining_split_seed,
};
pub use predict::predict;
pub use targets::{TargetScaler, TaskMetric, label_tensors};
pub use teacher::TeacherEmbeddings;

use crate::data::{MoleculeDataset, TaskType};
use crate::error::{Result, TrainError};
use crate::fmt::fmt_opt;
use crate::optim::{OptimConfig, epoch_order, epoch_seed};
use crate::progress::EpochProgress;
use crate::run_dir::RunDir;
use crate::split::Split;

/// Directory (inside a [`RunDir`]) of the best-validation model.
pub const BEST_DIR: &str = "best";

/// Everything a fine-tuning run needs besides the data.
#[derive(Config, Debug)]
pub struct FinetuneConfig {
    /// The student (defaults: GIN 5 × 300, dropout 0.5, mean readout). With distillation its
    /// `projection_dim` must equal the teacher's width.
    pub model: StudentModelConfig,
    /// Optimisation (the protocol: 100 epochs, batch 32, Adam 1e-3).
    pub optim: OptimConfig,
    /// Distillation from a frozen teacher; `None` trains on the task alone.
    #[config(default = "None")]
    pub kd: Option<KdConfig>,
    /// Molecules per batch at evaluation.
    #[config(default = 256)]
    pub eval_batch_size: usize,
    /// Score for model selection and reports; `None`: the task type's (ROC-AUC for
    /// classification, RMSE for regression).
    #[config(default = "None")]
    pub metric: Option<TaskMetric>,
    /// Crop training molecules of more atoms to their first `cut_length` (relation encoders
    /// only; MoleBLEND's `--cut-length`, 128 in its SIDER fine-tuning); validation and test
    /// molecules are scored whole. Bounds the `n²` cost and memory of a padded training batch.
    /// `None`: no crop.
    #[config(default = "None")]
    pub cut_length: Option<usize>,
    /// Start the encoder from pre-trained weights: a blend pre-training checkpoint
    /// (`molkd pretrain-blend`'s output or its `model/`), of the same architecture; the
    /// readout and head start fresh. `None`: random initialisation.
    #[config(default = "None")]
    pub init: Option<std::path::PathBuf>,
}

impl FinetuneConfig {
    /// The pretrain-gnns protocol for a data set with `num_tasks` tasks featurised by
    /// `featurizer`: GIN 5 × 300, dropout 0.5, 100 epochs, batch 32, Adam 1e-3.
    pub fn protocol(featurizer: &dyn Featurizer, num_tasks: usize) -> Self {
        let encoder = molkd_models::GnnEncoderConfig::new(
            featurizer.atom_vocab_sizes().to_vec(),
            featurizer.bond_vocab_sizes().to_vec(),
        );
        Self::new(
            StudentModelConfig::new(encoder.into(), num_tasks),
            OptimConfig::new().with_epochs(100).with_batch_size(32),
        )
    }

    /// The relation Transformer (MoleBLEND's encoder) trained from scratch on `input`
    /// relations, CPU-sized ([`RelationTransformerConfig::cpu`]: 4 × 128, 8 heads), with
    /// MoleBLEND's fine-tuning recipe scaled to a small model (`shared/docs/moleblend.md` §6.1,
    /// §9.3): AdamW with weight decay 5e-5, peak rate 1e-4 after a linear warm-up of a tenth
    /// of the epochs (the sweep's `ceil(epochs / 10)`), cosine decay to 1e-9, gradient
    /// clipping at norm 5 (per parameter tensor: burn clips each tensor, fairseq the global
    /// norm), attention dropout 0.1, batch 32, 100 epochs.
    pub fn relation_protocol(
        featurizer: &dyn Featurizer,
        num_tasks: usize,
        input: RelationModality,
    ) -> Self {
        let transformer = RelationTransformerConfig::cpu(
            featurizer.atom_vocab_sizes().to_vec(),
            featurizer.bond_vocab_sizes().to_vec(),
        );
        let encoder = RelationEncoderConfig::new(transformer).with_input(input);
        let epochs = 100;
        Self::new(
            StudentModelConfig::new(encoder.into(), num_tasks),
            OptimConfig::new()
                .with_epochs(epochs)
                .with_batch_size(32)
                .with_lr(1e-4)
                .with_optimizer(crate::optim::OptimizerKind::AdamW)
                .with_weight_decay(5e-5)
                .with_schedule(crate::optim::LrSchedule::Cosine)
                .with_warmup_epochs(relation_warmup_epochs(epochs))
                .with_grad_clip(Some(5.0)),
        )
    }

    /// The score runs are selected and reported by, for data of `task_type`.
    pub fn metric_for(&self, task_type: TaskType) -> TaskMetric {
        self.metric.unwrap_or(TaskMetric::of(task_type))
    }

    /// Fits the configuration to `data` (featurised with `scheme`): sets the task count and,
    /// when distilling, embeds `data` with the teacher in `teacher_dir` and sets the projection
    /// width to the teacher's. Errors: distillation configured without a teacher checkpoint,
    /// or a teacher that does not load (see [`TeacherEmbeddings::compute`]).
    pub fn fit_to(
        &mut self,
        data: &MoleculeDataset,
        scheme: molkd_graph::FeatureScheme,
        teacher_dir: Option<&std::path::Path>,
        device: &Device,
    ) -> Result<Option<TeacherEmbeddings>> {
        self.model.num_tasks = data.num_tasks();
        match (&self.kd, teacher_dir) {
            (Some(_), Some(dir)) => {
                let teacher = TeacherEmbeddings::compute(dir, data, scheme, device)?;
                self.model.projection_dim = Some(teacher.dim());
                Ok(Some(teacher))
            }
            (Some(_), None) => Err(TrainError::Invalid(
                "distillation is configured but no teacher checkpoint was given".into(),
            )),
            (None, _) => Ok(None),
        }
    }
}

/// The relation protocol's warm-up for a run of `epochs`: a tenth of them, rounded up (the
/// MoleBLEND sweep's `ceil(epochs / 10)`), leaving at least one epoch after it.
pub fn relation_warmup_epochs(epochs: usize) -> usize {
    epochs.div_ceil(10).min(epochs.saturating_sub(1))
}

/// What one epoch did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinetuneEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean task loss over the epoch's batches.
    pub train_loss: f64,
    /// Mean weighted distillation term (`λ · KD`), when distilling.
    pub kd_loss: Option<f64>,
    /// Validation score (`None` when it cannot be computed, e.g. one class only).
    pub valid: Option<f64>,
    /// Test score.
    pub test: Option<f64>,
    /// Training molecules per second (evaluation not counted).
    pub molecules_per_s: f64,
    /// Wall time of the epoch, training and evaluation, seconds. Kept in the checkpoints, so
    /// a resumed run still knows its whole time; `None` in records written before it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

/// The loop state saved with every checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinetuneState {
    /// Epochs so far, oldest first.
    pub history: Vec<FinetuneEpoch>,
    /// The epoch with the best validation score so far.
    pub best_epoch: Option<usize>,
    /// Regression target scaling, fitted on the training molecules.
    pub scaler: TargetScaler,
}

/// Outcome of [`Finetune::run`].
pub struct Finetuned {
    /// The model after the last epoch.
    pub last: StudentModel,
    /// The model at the best-validation epoch (the last one if validation never scored), as
    /// an inference copy (`valid()`: its own BatchNorm statistics, no autodiff).
    pub best: StudentModel,
    /// History, scaler and best epoch.
    pub state: FinetuneState,
    /// The score used for selection and reporting.
    pub metric: TaskMetric,
    /// The models' configuration.
    pub model_config: StudentModelConfig,
}

impl Finetuned {
    /// The best-validation model as a [`Predictor`](crate::Predictor) described by `card`
    /// (see [`ModelCard::for_data`](crate::ModelCard::for_data)), ready to predict or to save.
    pub fn predictor(&self, card: crate::ModelCard) -> Result<crate::Predictor> {
        crate::Predictor::new(self.best.clone(), self.model_config.clone(), card)
    }
}

impl FinetuneState {
    /// Test score at the best-validation epoch.
    pub fn test_at_best(&self) -> Option<f64> {
        let best = self.best_epoch?;
        self.history.iter().find(|e| e.epoch == best)?.test
    }

    /// Validation score at the best-validation epoch.
    pub fn valid_at_best(&self) -> Option<f64> {
        let best = self.best_epoch?;
        self.history.iter().find(|e| e.epoch == best)?.valid
    }

    /// Test score after the last epoch.
    pub fn test_at_last(&self) -> Option<f64> {
        self.history.last()?.test
    }
}

/// What a finished run reports: the selected epoch, its scores, the last epoch's test score
/// and the per-epoch history. Benchmark runs and `molkd train` reports embed it (flattened in
/// their JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunOutcome {
    /// Best-validation epoch.
    pub best_epoch: Option<usize>,
    /// Validation score there.
    pub valid_at_best: Option<f64>,
    /// Test score there.
    pub test_at_best: Option<f64>,
    /// Test score after the last epoch.
    pub test_at_last: Option<f64>,
    /// Per-epoch history.
    pub history: Vec<FinetuneEpoch>,
}

impl RunOutcome {
    /// Wall time of all epochs, summed across resumes; `None` without epochs or if an epoch's
    /// time is unknown.
    pub fn epoch_seconds(&self) -> Option<f64> {
        crate::run_dir::run_seconds(self.history.iter().map(|e| e.seconds))
    }

    /// One line for a terminal: best epoch, its validation and test `metric`, the last
    /// epoch's test score (dashes where a split is empty).
    pub fn summary(&self, metric: TaskMetric) -> String {
        let m = metric.name();
        format!(
            "best epoch {}: valid {m} {}, test {m} {} (last epoch: {})",
            self.best_epoch
                .map_or_else(|| "–".into(), |e| e.to_string()),
            fmt_opt(self.valid_at_best, 4),
            fmt_opt(self.test_at_best, 4),
            fmt_opt(self.test_at_last, 4),
        )
    }
}

impl From<FinetuneState> for RunOutcome {
    fn from(state: FinetuneState) -> Self {
        RunOutcome {
            best_epoch: state.best_epoch,
            valid_at_best: state.valid_at_best(),
            test_at_best: state.test_at_best(),
            test_at_last: state.test_at_last(),
            history: state.history,
        }
    }
}

/// Checks a run's inputs before any work: tasks, split, and the distillation set-up.
fn check_inputs(
    config: &FinetuneConfig,
    data: &MoleculeDataset,
    split: &Split,
    teacher: Option<&TeacherEmbeddings>,
) -> Result<()> {
    config.optim.validate()?;
    match (config.cut_length, &config.model.encoder) {
        (Some(0), _) => {
            return Err(TrainError::Invalid(
                "the cut length must be at least 1 atom".into(),
            ));
        }
        (Some(_), molkd_models::EncoderConfig::Gnn(_)) => {
            return Err(TrainError::Invalid(
                "a cut length applies to relation encoders only; message passing takes \
                 molecules of any size"
                    .into(),
            ));
        }
        _ => {}
    }
    if config.model.num_tasks != data.num_tasks() {
        return Err(TrainError::Invalid(format!(
            "the model has {} tasks but {} has {}",
            config.model.num_tasks,
            data.name,
            data.num_tasks()
        )));
    }
    if split.train.is_empty() {
        return Err(TrainError::Invalid(format!(
            "{}: empty training split",
            data.name
        )));
    }
    if let Some(&i) = split
        .train
        .iter()
        .chain(&split.valid)
        .chain(&split.test)
        .find(|&&i| i >= data.len())
    {
        return Err(TrainError::Invalid(format!(
            "split position {i} is out of range for {} molecules",
            data.len()
        )));
    }
    match (&config.kd, teacher) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(TrainError::Invalid(
            "distillation is configured but no teacher embeddings were given".into(),
        )),
        (Some(kd), Some(teacher)) => {
            if kd.form.needs_logits() {
                return Err(TrainError::Invalid(
                    "logit distillation needs a teacher with a task head; the reaction teacher \
                     has none (use mse, cosine, contrastive or relational)"
                        .into(),
                ));
            }
            if config.model.projection_dim != Some(teacher.dim()) {
                return Err(TrainError::Invalid(format!(
                    "the student's projection width {:?} must equal the teacher's width {}",
                    config.model.projection_dim,
                    teacher.dim()
                )));
            }
            if teacher.len() != data.len() {
                return Err(TrainError::Invalid(format!(
                    "{} teacher embeddings for {} molecules",
                    teacher.len(),
                    data.len()
                )));
            }
            Ok(())
        }
    }
}

/// Scores `model` by `metric` on the molecules `indices` of `data`.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_student(
    metric: TaskMetric,
    model: &StudentModel,
    collate: &MoleculeCollate,
    data: &MoleculeDataset,
    indices: &[usize],
    scaler: &TargetScaler,
    batch_size: usize,
    device: &Device,
) -> Result<Option<f64>> {
    if indices.is_empty() {
        return Ok(None);
    }
    let graphs: Vec<&MolGraph> = indices.iter().map(|&i| &data.graphs[i]).collect();
    let outputs = predict(
        model,
        collate,
        &graphs,
        data.task_type,
        scaler,
        batch_size,
        device,
    )?;
    let labels: Vec<Option<f32>> = indices
        .iter()
        .flat_map(|&i| data.labels_of(i).iter().copied())
        .collect();
    metric.score(&labels, &outputs, data.num_tasks())
}

/// A fine-tuning run, set up step by step and started with [`Finetune::run`]: trains a
/// student on `split.train` of `data`, scoring `split.valid` and `split.test` after every
/// epoch, optionally distilling a frozen teacher, checkpointing every epoch and reporting each
/// epoch to an observer.
///
/// ```no_run
/// use molkd_graph::FeatureScheme;
/// use molkd_train::finetune::{Finetune, FinetuneConfig};
/// use molkd_train::split::{SplitFractions, scaffold_split};
///
/// # fn main() -> molkd_train::Result<()> {
/// let scheme = FeatureScheme::PretrainGnns;
/// let data = molkd_train::dataset_spec("bbbp")?
///     .load(&molkd_train::data::data_dir(None)?, scheme.featurizer())?;
/// let split = scaffold_split(&data.smiles, SplitFractions::default())?;
/// let config = FinetuneConfig::protocol(scheme.featurizer(), data.num_tasks());
/// let device = burn::tensor::Device::default();
/// let trained = Finetune::new(&config, &data, &split)
///     .on_epoch(|e| println!("epoch {}: valid {:?}", e.epoch, e.valid))
///     .run(&device)?;
/// println!("test ROC-AUC at the best epoch: {:?}", trained.state.test_at_best());
/// # Ok(())
/// # }
/// ```
pub struct Finetune<'a> {
    config: &'a FinetuneConfig,
    data: &'a MoleculeDataset,
    split: &'a Split,
    featurizer: Option<&'a dyn Featurizer>,
    teacher: Option<&'a TeacherEmbeddings>,
    run: Option<&'a RunDir>,
    resume: bool,
    progress_bar: bool,
    observer: Option<EpochObserver<'a>>,
}

/// What [`Finetune::on_epoch`] calls after every epoch.
type EpochObserver<'a> = Box<dyn FnMut(&FinetuneEpoch) + 'a>;

impl<'a> Finetune<'a> {
    /// A run of `config` on `data` split by `split`: no teacher, no checkpoints, no progress
    /// bar, no observer.
    pub fn new(config: &'a FinetuneConfig, data: &'a MoleculeDataset, split: &'a Split) -> Self {
        Self {
            config,
            data,
            split,
            featurizer: None,
            teacher: None,
            run: None,
            resume: false,
            progress_bar: false,
            observer: None,
        }
    }

    /// The featuriser `data` was made with. By default the [`molkd_graph::FeatureScheme`]
    /// whose vocabularies the model's encoder has; set it for a featuriser of your own.
    pub fn featurizer(mut self, featurizer: &'a dyn Featurizer) -> Self {
        self.featurizer = Some(featurizer);
        self
    }

    /// Distils `teacher`'s embeddings of `data` (needs `config.kd`; see
    /// [`FinetuneConfig::fit_to`]).
    pub fn teacher(mut self, teacher: impl Into<Option<&'a TeacherEmbeddings>>) -> Self {
        self.teacher = teacher.into();
        self
    }

    /// Writes a checkpoint into `run` after every epoch (and the best model to `run/best`);
    /// with `resume`, continues from the latest one, ending exactly where an uninterrupted run
    /// would.
    pub fn checkpoints(mut self, run: &'a RunDir, resume: bool) -> Self {
        self.run = Some(run);
        self.resume = resume;
        self
    }

    /// Shows a per-epoch progress bar on stderr when it is a terminal (off by default).
    pub fn progress_bar(mut self, show: bool) -> Self {
        self.progress_bar = show;
        self
    }

    /// Calls `observer` after every epoch with what it did (scores, loss, time).
    pub fn on_epoch(mut self, observer: impl FnMut(&FinetuneEpoch) + 'a) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    /// Trains on the autodiff twin of `device` (any device will do) and returns the last and
    /// the best-validation model with the history.
    ///
    /// Errors: inputs that do not fit (task count, split positions, molecules the encoder
    /// cannot take, a distillation set-up without a matching teacher), a checkpoint directory
    /// holding another run, and a loss that is no longer finite.
    pub fn run(self, device: &Device) -> Result<Finetuned> {
        let device = &device.clone().autodiff();
        let scheme;
        let featurizer = match self.featurizer {
            Some(f) => f,
            None => {
                let (atom, bond) = self.config.model.encoder.vocab_sizes();
                scheme = molkd_graph::FeatureScheme::of_vocab(atom, bond).ok_or_else(|| {
                    TrainError::Invalid(
                        "the encoder's vocabularies match no feature scheme: pass the \
                         featuriser the data was made with (`Finetune::featurizer`)"
                            .into(),
                    )
                })?;
                scheme.featurizer()
            }
        };
        let mut observer = self.observer;
        train(
            self.config,
            featurizer,
            self.data,
            self.split,
            self.teacher,
            device,
            self.run,
            self.resume,
            self.progress_bar,
            |epoch| {
                if let Some(observe) = observer.as_mut() {
                    observe(epoch);
                }
            },
        )
    }
}

/// The training loop behind [`Finetune::run`].
#[allow(clippy::too_many_arguments)]
fn train(
    config: &FinetuneConfig,
    featurizer: &dyn Featurizer,
    data: &MoleculeDataset,
    split: &Split,
    teacher: Option<&TeacherEmbeddings>,
    device: &Device,
    run: Option<&RunDir>,
    resume: bool,
    progress_bar: bool,
    mut observe: impl FnMut(&FinetuneEpoch),
) -> Result<Finetuned> {
    check_inputs(config, data, split, teacher)?;
    let metric = config.metric_for(data.task_type);
    let restored = match run {
        Some(run) => run.resume_matching::<StudentModel, FinetuneState>(
            resume,
            &config.model,
            device,
            config.optim.optimizer(),
        )?,
        None => None,
    };
    let (mut model, mut optimizer, mut state, mut best) = match restored {
        Some(r) => {
            let best = match (r.state.best_epoch, run) {
                (Some(_), Some(run)) => StudentModel::load(&run.path().join(BEST_DIR), device)?.0,
                _ => r.model.valid(),
            };
            (r.model, r.optimizer, r.state, best)
        }
        None => {
            let model = init_seeded(device, config.optim.seed, || config.model.init(device))?;
            let model = match &config.init {
                Some(dir) => init_encoder(model, &config.model, dir, device)?,
                None => model,
            };
            let state = FinetuneState {
                history: Vec::new(),
                best_epoch: None,
                scaler: TargetScaler::fit(data, &split.train),
            };
            (
                model.clone(),
                config.optim.optimizer(),
                state,
                model.valid(),
            )
        }
    };
    let collate = model.collate(featurizer);
    let train_collate = collate.clone().with_cut_length(config.cut_length);
    // Training molecules as the (possibly cropping) training batches take them, the others
    // as evaluation does.
    data.check_molecules(split.train.iter().copied(), |g| {
        train_collate.check_molecule(g)
    })?;
    data.check_molecules(split.valid.iter().chain(&split.test).copied(), |g| {
        collate.check_molecule(g)
    })?;
    let steps_per_epoch = split.train.len().div_ceil(config.optim.batch_size);

    for epoch in state.history.len() + 1..=config.optim.epochs {
        // Each epoch draws from its own stream, so a resumed run draws what an uninterrupted
        // one would.
        let seed = epoch_seed(config.optim.seed, epoch);
        let mut rng = Generator::new(seed);
        let order = epoch_order(&split.train, seed);
        let progress =
            progress_bar.then(|| EpochProgress::new(epoch, config.optim.epochs, order.len()));
        let start = Instant::now();
        let (mut task_sum, mut kd_sum, mut steps) = (0.0, 0.0, 0usize);
        for (step, indices) in order.chunks(config.optim.batch_size).enumerate() {
            let batch = train_collate.collate(indices.iter().map(|&i| &data.graphs[i]), device)?;
            model.check(&batch)?;
            let output = model.forward(&batch, &mut rng);
            let (labels, mask) = label_tensors(data, indices, &state.scaler, device);
            let task = match data.task_type {
                TaskType::Classification => {
                    masked_bce_with_logits(output.predictions, labels, mask)?
                }
                TaskType::Regression => masked_mse(output.predictions, labels, mask)?,
            };
            let task_value = task.clone().into_scalar::<f32>() as f64;
            let mut loss = task;
            // The batch-relative forms need a second molecule; a last batch of one skips KD.
            if let (Some(kd), Some(teacher), Some(student)) =
                (&config.kd, teacher, output.projection)
                && indices.len() >= 2
            {
                let term = kd.weighted_loss(KdInputs::embeddings(
                    student,
                    teacher.batch(indices, device),
                ))?;
                kd_sum += term.clone().into_scalar::<f32>() as f64;
                loss = loss + term;
            }
            if !task_value.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    loss: task_value,
                });
            }
            task_sum += task_value;
            steps += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let lr = config.optim.lr_at(epoch, step, steps_per_epoch);
            model = optimizer.step(lr, model, grads);
            if let Some(p) = &progress {
                p.advance(indices.len(), task_value);
            }
        }
        let train_seconds = start.elapsed().as_secs_f64();
        if let Some(p) = &progress {
            p.finish();
        }
        let evaluate = |indices: &[usize]| {
            evaluate_student(
                metric,
                &model,
                &collate,
                data,
                indices,
                &state.scaler,
                config.eval_batch_size,
                device,
            )
        };
        let valid = evaluate(&split.valid)?;
        let test = evaluate(&split.test)?;
        let improved = match (valid, state.valid_at_best()) {
            (Some(v), Some(b)) => metric.better(v, b),
            (Some(_), None) => true,
            (None, _) => false,
        };
        if improved {
            state.best_epoch = Some(epoch);
            // A copy detached from the live model: `clone()` would share BatchNorm's running
            // statistics (state, not parameters), which later epochs go on updating.
            best = model.valid();
            if let Some(run) = run {
                best.save(&config.model, &run.path().join(BEST_DIR))?;
            }
        }
        let record = FinetuneEpoch {
            epoch,
            train_loss: task_sum / steps.max(1) as f64,
            kd_loss: config.kd.is_some().then(|| kd_sum / steps.max(1) as f64),
            valid,
            test,
            molecules_per_s: order.len() as f64 / train_seconds.max(1e-9),
            seconds: Some(start.elapsed().as_secs_f64()),
        };
        state.history.push(record);
        if let Some(run) = run {
            run.save(epoch, &model, &config.model, &optimizer, &state)?;
        }
        if let Some(record) = state.history.last() {
            observe(record);
        }
    }
    if state.best_epoch.is_none() {
        best = model.valid();
    }
    Ok(Finetuned {
        last: model,
        best,
        state,
        metric,
        model_config: config.model.clone(),
    })
}
