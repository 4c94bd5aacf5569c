//! Self-supervised pre-training of the GNN student on molecules alone (Hu et al. 2020,
//! pretrain-gnns): attribute masking and context prediction, trained by the shared loop
//! ([`super::pretrain`]). The encoder then starts fine-tuning (`--init`).

use std::fmt;
use std::str::FromStr;

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use molkd_distill::self_supervised::{attribute_masking_loss, context_prediction_loss};
use molkd_graph::context::{ContextSampling, SubstructContext};
use molkd_graph::masking::{AttributeMasking, MaskedGraph};
use molkd_graph::random::Generator;
use molkd_graph::{Collate, Featurizer};
use molkd_models::{GnnEncoderConfig, GnnPretrainMethod, GnnPretrainModel, GnnPretrainModelConfig};
use serde::{Deserialize, Serialize};

use super::{EpochTraining, PretrainHistory, PretrainObjective, StepOutput, pretrain};
use crate::data::MoleculeDataset;
use crate::error::{Result, TrainError};
use crate::optim::{OptimConfig, epoch_seed};
use crate::run_dir::RunDir;

/// The student pre-trainings on molecules, by their CLI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StudentPretext {
    /// Attribute masking.
    AttrMasking,
    /// Context prediction.
    ContextPred,
}

impl fmt::Display for StudentPretext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StudentPretext::AttrMasking => "attr-masking",
            StudentPretext::ContextPred => "context-pred",
        })
    }
}

impl FromStr for StudentPretext {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "attr-masking" => Ok(StudentPretext::AttrMasking),
            "context-pred" => Ok(StudentPretext::ContextPred),
            other => Err(format!(
                "unknown pre-training `{other}` (attr-masking, context-pred)"
            )),
        }
    }
}

/// Atom-type classes predicted by attribute masking: the 119 real categories of the
/// pretrain-gnns scheme (118 elements and its "other" slot), not the mask category.
pub const MASKED_ATOM_CLASSES: usize = 119;
/// Bond-type classes predicted by attribute masking: single, double, triple, aromatic.
pub const MASKED_BOND_CLASSES: usize = 4;

/// Everything a student pre-training run needs besides the data.
#[derive(Config, Debug)]
pub struct StudentPretrainConfig {
    /// The encoder and the pre-training's heads.
    pub model: GnnPretrainModelConfig,
    /// Attribute masking: share of atoms masked.
    #[config(default = 0.15)]
    pub mask_rate: f64,
    /// Context prediction: hops of the context ring (`r2 − r1`).
    #[config(default = 3)]
    pub context_size: usize,
    /// Context prediction: negative contexts per substructure.
    #[config(default = 1)]
    pub negatives: usize,
    /// Optimisation.
    pub optim: OptimConfig,
    /// Validation molecules scored after every epoch.
    #[config(default = 2000)]
    pub eval_size: usize,
}

impl StudentPretrainConfig {
    /// pretrain-gnns' settings for `pretext` on the GIN 5 × 300 student over molecules of
    /// `featurizer`: no dropout in pre-training, Adam at 1e-3, batch 256, mask rate 0.15
    /// (bonds masked with `mask_bonds`), context ring 3 hops with 1 negative; `epochs`
    /// epochs (theirs: 100 over ZINC-2M).
    pub fn pretrain_gnns(
        featurizer: &dyn Featurizer,
        pretext: StudentPretext,
        mask_bonds: bool,
        epochs: usize,
    ) -> Self {
        let encoder = GnnEncoderConfig::new(
            featurizer.atom_vocab_sizes().to_vec(),
            featurizer.bond_vocab_sizes().to_vec(),
        )
        .with_dropout(0.0);
        let context_size = 3;
        let method = match pretext {
            StudentPretext::AttrMasking => GnnPretrainMethod::AttrMasking {
                atom_classes: MASKED_ATOM_CLASSES,
                bond_classes: mask_bonds.then_some(MASKED_BOND_CLASSES),
            },
            StudentPretext::ContextPred => GnnPretrainMethod::ContextPred {
                context_layers: context_size,
            },
        };
        Self::new(
            GnnPretrainModelConfig::new(encoder, method),
            OptimConfig::new()
                .with_epochs(epochs)
                .with_batch_size(256)
                .with_lr(1e-3),
        )
        .with_context_size(context_size)
    }

    /// Which pre-training the model's heads are for.
    pub fn pretext(&self) -> StudentPretext {
        match self.model.method {
            GnnPretrainMethod::AttrMasking { .. } => StudentPretext::AttrMasking,
            GnnPretrainMethod::ContextPred { .. } => StudentPretext::ContextPred,
        }
    }

    fn validate(&self, featurizer: &dyn Featurizer) -> Result<()> {
        self.optim.validate()?;
        match self.model.method {
            GnnPretrainMethod::AttrMasking { .. } => {
                self.masking(featurizer)?;
            }
            GnnPretrainMethod::ContextPred { context_layers } => {
                self.sampling()?;
                if context_layers != self.context_size {
                    return Err(TrainError::Invalid(format!(
                        "the context encoder has {context_layers} layers but the context ring \
                         {} hops (pretrain-gnns makes them equal)",
                        self.context_size
                    )));
                }
                if self.negatives == 0 || self.negatives >= self.optim.batch_size {
                    return Err(TrainError::Invalid(format!(
                        "{} negatives per substructure: need 1 to batch size − 1 ({})",
                        self.negatives,
                        self.optim.batch_size.saturating_sub(1)
                    )));
                }
            }
        }
        Ok(())
    }

    fn masking(&self, featurizer: &dyn Featurizer) -> Result<AttributeMasking> {
        let mask_bonds = matches!(
            self.model.method,
            GnnPretrainMethod::AttrMasking {
                bond_classes: Some(_),
                ..
            }
        );
        Ok(AttributeMasking::pretrain_gnns(
            featurizer,
            self.mask_rate,
            mask_bonds,
        )?)
    }

    fn sampling(&self) -> Result<ContextSampling> {
        let layers = self.model.encoder.num_layers;
        Ok(ContextSampling::pretrain_gnns(layers, self.context_size)?)
    }
}

/// Right and scored predictions, summed over steps: pooled, so every prediction weighs the
/// same whatever its batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PretextCounts {
    /// Correct predictions: masked atoms' types, or true context pairs scored positive.
    pub hits: usize,
    /// Predictions scored: masked atoms, or true context pairs.
    pub scored: usize,
    /// Correct masked bond types.
    pub bond_hits: usize,
    /// Masked bonds scored.
    pub bond_scored: usize,
    /// Negative context pairs scored negative.
    pub negative_hits: usize,
    /// Negative context pairs scored.
    pub negative_scored: usize,
}

impl PretextCounts {
    fn add(&mut self, o: &Self) {
        self.hits += o.hits;
        self.scored += o.scored;
        self.bond_hits += o.bond_hits;
        self.bond_scored += o.bond_scored;
        self.negative_hits += o.negative_hits;
        self.negative_scored += o.negative_scored;
    }

    /// The accuracies, next to the mean `loss` they were measured with. Context prediction's
    /// accuracy is balanced, `(acc_pos + acc_neg) / 2`, as pretrain-gnns reports it.
    pub fn scores(&self, loss: f64) -> PretextScores {
        let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
        let accuracy = match ratio(self.negative_hits, self.negative_scored) {
            Some(negative) => ratio(self.hits, self.scored).map(|p| 0.5 * (p + negative)),
            None => ratio(self.hits, self.scored),
        };
        PretextScores {
            loss,
            accuracy,
            bond_accuracy: ratio(self.bond_hits, self.bond_scored),
        }
    }
}

/// Mean loss and accuracies over an epoch or a held-out set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PretextScores {
    /// Mean loss (attribute masking: atom + bond cross-entropy; context prediction: the
    /// balanced `ℓ_pos + ℓ_neg` pretrain-gnns reports).
    pub loss: f64,
    /// Masked-atom type accuracy, or context prediction's balanced accuracy
    /// `(acc_pos + acc_neg) / 2`.
    pub accuracy: Option<f64>,
    /// Masked-bond type accuracy (attribute masking with bonds).
    pub bond_accuracy: Option<f64>,
}

/// What one epoch did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudentPretrainEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Training scores (under the epoch's masks and contexts).
    pub train: PretextScores,
    /// Held-out scores (under fixed masks and contexts).
    pub valid: PretextScores,
    /// Training molecules per second.
    pub molecules_per_s: f64,
    /// Wall time of the epoch, seconds.
    pub seconds: f64,
}

impl super::held_out::TimedEpoch for StudentPretrainEpoch {
    fn seconds(&self) -> Option<f64> {
        Some(self.seconds)
    }
}

/// The loop state saved in every checkpoint.
pub type StudentPretrainState = PretrainHistory<StudentPretrainEpoch>;

/// Outcome of [`pretrain_student`].
#[derive(Debug)]
pub struct StudentPretrained {
    /// The trained encoder and heads.
    pub model: GnnPretrainModel,
    /// Per-epoch history, including epochs before a resume.
    pub history: Vec<StudentPretrainEpoch>,
}

/// The student's pre-training as a [`PretrainObjective`].
struct StudentObjective<'a> {
    config: &'a StudentPretrainConfig,
    data: &'a MoleculeDataset,
    collate: Collate,
    masking: Option<AttributeMasking>,
    sampling: Option<ContextSampling>,
    valid: Vec<usize>,
}

/// Row indices as an Int tensor `[n]`.
fn index_tensor(values: Vec<i64>, device: &Device) -> Tensor<1, Int> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

/// How many rows of `logits` `[N, C]` have their largest logit at `targets` `[N]`.
fn hits(logits: Tensor<2>, targets: Tensor<1, Int>) -> usize {
    let n = targets.dims()[0];
    if n == 0 {
        return 0;
    }
    let guess = logits.argmax(1).reshape([n]);
    guess.equal(targets).int().sum().into_scalar::<i64>() as usize
}

/// One step's loss `[1]`, its value, and its counts.
type StepValues = (Tensor<1>, f64, PretextCounts);

impl StudentObjective<'_> {
    /// One step of the pre-training on `indices`: the loss to minimise, the loss value
    /// reported, and the counts (`None` when the batch has too few molecules with a context
    /// for the negatives).
    fn forward(
        &self,
        model: &GnnPretrainModel,
        indices: &[usize],
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Option<StepValues>> {
        let graphs = indices.iter().map(|&i| &self.data.graphs[i]);
        if let Some(masking) = &self.masking {
            let masked: Vec<MaskedGraph> = graphs.map(|g| masking.mask(g, rng)).collect();
            let batch = self
                .collate
                .collate(masked.iter().map(|m| &m.graph), device)?;
            model.check(&batch)?;
            let offsets = &batch.node_offsets;
            let mut atoms = Vec::new();
            let (mut atom_types, mut ends_u, mut ends_v, mut bond_types) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for (k, m) in masked.iter().enumerate() {
                let at = offsets[k] as i64;
                atoms.extend(m.atoms.iter().map(|&a| at + a as i64));
                atom_types.extend(&m.atom_labels);
                for &j in &m.bonds {
                    let [u, v] = m.graph.bond_atoms(j);
                    ends_u.push(at + u as i64);
                    ends_v.push(at + v as i64);
                }
                bond_types.extend(&m.bond_labels);
            }
            let with_bonds = model.bond_head.is_some() && !bond_types.is_empty();
            let ends =
                with_bonds.then(|| (index_tensor(ends_u, device), index_tensor(ends_v, device)));
            let logits = model.masked_logits(&batch, index_tensor(atoms, device), ends, rng)?;
            let atom_types = index_tensor(atom_types, device);
            let bond_types = index_tensor(bond_types, device);
            let mut counts = PretextCounts {
                hits: hits(logits.atoms.clone(), atom_types.clone()),
                scored: atom_types.dims()[0],
                ..Default::default()
            };
            if let Some(bonds) = &logits.bonds {
                counts.bond_hits = hits(bonds.clone(), bond_types.clone());
                counts.bond_scored = bond_types.dims()[0];
            }
            let (loss, _, _) = attribute_masking_loss(
                logits.atoms,
                atom_types,
                logits.bonds.map(|b| (b, bond_types)),
            )?;
            let value = loss.clone().into_scalar::<f32>() as f64;
            return Ok(Some((loss, value, counts)));
        }
        let sampling = self.sampling.as_ref().expect("context prediction samples");
        let pairs: Vec<SubstructContext> = graphs.filter_map(|g| sampling.sample(g, rng)).collect();
        if pairs.len() <= self.config.negatives {
            return Ok(None);
        }
        let substructs = self
            .collate
            .collate(pairs.iter().map(|p| &p.substruct), device)?;
        let contexts = self
            .collate
            .collate(pairs.iter().map(|p| &p.context), device)?;
        model.check(&substructs)?;
        model.check(&contexts)?;
        let centers: Vec<i64> = pairs
            .iter()
            .enumerate()
            .map(|(k, p)| (substructs.node_offsets[k] + p.center) as i64)
            .collect();
        let (mut anchors, mut anchor_graph) = (Vec::new(), Vec::new());
        for (k, p) in pairs.iter().enumerate() {
            for &a in &p.anchors {
                anchors.push((contexts.node_offsets[k] + a) as i64);
                anchor_graph.push(k as i64);
            }
        }
        let (s, c) = model.context_embeddings(
            &substructs,
            index_tensor(centers, device),
            &contexts,
            index_tensor(anchors, device),
            index_tensor(anchor_graph, device),
            rng,
        )?;
        let loss = context_prediction_loss(s, c, self.config.negatives)?;
        let count = |t: Tensor<1>, positive: bool| {
            let right = if positive {
                t.greater_elem(0.0)
            } else {
                t.lower_elem(0.0)
            };
            right.int().sum().into_scalar::<i64>() as usize
        };
        let counts = PretextCounts {
            hits: count(loss.positive, true),
            scored: pairs.len(),
            negative_hits: count(loss.negative, false),
            negative_scored: pairs.len() * self.config.negatives,
            ..Default::default()
        };
        let value = loss.balanced.into_scalar::<f32>() as f64;
        Ok(Some((loss.total, value, counts)))
    }
}

/// Scores of `model` on the molecules `indices`, under draws fixed by the run's seed (the
/// same every epoch, and for the untrained model).
fn evaluate(
    objective: &StudentObjective<'_>,
    model: &GnnPretrainModel,
    indices: &[usize],
    device: &Device,
) -> Result<PretextScores> {
    let model = model.valid();
    let device = device.clone().without_autodiff();
    let mut rng = Generator::new(student_eval_seed(objective.config.optim.seed));
    let (mut counts, mut loss_sum, mut steps) = (PretextCounts::default(), 0.0, 0);
    for chunk in indices.chunks(objective.config.optim.batch_size.max(1)) {
        if let Some((_, value, step)) = objective.forward(&model, chunk, &mut rng, &device)? {
            counts.add(&step);
            loss_sum += value;
            steps += 1;
        }
    }
    Ok(counts.scores(loss_sum / steps.max(1) as f64))
}

/// The evaluation seed of a student pre-training: fixed per run.
pub fn student_eval_seed(run_seed: u64) -> u64 {
    epoch_seed(run_seed ^ 0x5E1F_5A4E, 0)
}

impl PretrainObjective for StudentObjective<'_> {
    type Model = GnnPretrainModel;
    type Values = PretextCounts;
    type Epoch = StudentPretrainEpoch;

    fn model_config(&self) -> &GnnPretrainModelConfig {
        &self.config.model
    }

    fn optim(&self) -> &OptimConfig {
        &self.config.optim
    }

    fn accumulate(&self, sums: &mut PretextCounts, step: PretextCounts) {
        sums.add(&step);
    }

    fn step(
        &self,
        model: &GnnPretrainModel,
        batch: &[usize],
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Option<StepOutput<PretextCounts>>> {
        Ok(self
            .forward(model, batch, rng, device)?
            .map(|(loss, value, values)| StepOutput {
                loss,
                value,
                values,
            }))
    }

    fn finish_epoch(
        &self,
        model: &GnnPretrainModel,
        training: EpochTraining<PretextCounts>,
        device: &Device,
    ) -> Result<StudentPretrainEpoch> {
        let valid = evaluate(self, model, &self.valid, device)?;
        Ok(StudentPretrainEpoch {
            epoch: training.epoch,
            train: training.sums.scores(training.mean_loss()),
            valid,
            molecules_per_s: training.items_per_s(),
            seconds: training.started.elapsed().as_secs_f64(),
        })
    }
}

/// Builds the objective after checking the configuration and the molecules.
fn objective<'a>(
    config: &'a StudentPretrainConfig,
    featurizer: &dyn Featurizer,
    data: &'a MoleculeDataset,
    valid: &[usize],
) -> Result<StudentObjective<'a>> {
    config.validate(featurizer)?;
    let (masking, sampling) = match config.pretext() {
        StudentPretext::AttrMasking => (Some(config.masking(featurizer)?), None),
        StudentPretext::ContextPred => (None, Some(config.sampling()?)),
    };
    Ok(StudentObjective {
        config,
        data,
        collate: Collate::new(featurizer),
        masking,
        sampling,
        valid: valid.iter().copied().take(config.eval_size).collect(),
    })
}

/// Scores `model` (trained or not) on the molecules `indices` of `data` as the run with
/// `config` scores its validation molecules after every epoch.
pub fn evaluate_student_pretext(
    model: &GnnPretrainModel,
    config: &StudentPretrainConfig,
    featurizer: &dyn Featurizer,
    data: &MoleculeDataset,
    indices: &[usize],
    device: &Device,
) -> Result<PretextScores> {
    let objective = objective(config, featurizer, data, &[])?;
    evaluate(&objective, model, indices, device)
}

/// Pre-trains the student's encoder on the molecules `train` of `data` (featurised by
/// `featurizer`, which must be the pretrain-gnns scheme for attribute masking), scoring the
/// first `eval_size` of `valid` after every epoch and checkpointing every epoch to `run`;
/// `resume` continues from the latest checkpoint, ending where an uninterrupted run would.
/// Trains on the autodiff twin of `device`.
#[allow(clippy::too_many_arguments)]
pub fn pretrain_student(
    config: &StudentPretrainConfig,
    featurizer: &dyn Featurizer,
    data: &MoleculeDataset,
    train: &[usize],
    valid: &[usize],
    device: &Device,
    run: &RunDir,
    resume: bool,
) -> Result<StudentPretrained> {
    if train.len() <= config.negatives {
        return Err(TrainError::Invalid(format!(
            "{}: {} training molecules are too few",
            data.name,
            train.len()
        )));
    }
    let objective = objective(config, featurizer, data, valid)?;
    let (model, history) = pretrain(&objective, train, device, run, resume)?;
    Ok(StudentPretrained { model, history })
}
