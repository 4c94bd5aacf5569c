//! A trained model ready to predict: the student, its configuration and its [`ModelCard`]
//! (feature scheme, tasks, target scaling). One checkpoint format serves every path: a
//! [`Predictor`] saved from a user's own loop, `molkd train`'s `OUT/model` and `molkd
//! predict` are the same directory layout.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use molkd_graph::{FeatureScheme, MolGraph, MoleculeCollate};
use molkd_models::{Checkpointed, StudentModel, StudentModelConfig};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{MoleculeDataset, TaskType};
use crate::error::{Result, TrainError};
use crate::finetune::{TargetScaler, predict};
use crate::run_dir::read_json;

/// File of the model card inside a model directory.
pub const CARD_FILE: &str = "card.json";

/// Molecules per inference batch.
const BATCH_SIZE: usize = 256;

/// What a saved model needs besides its parameters to predict (`card.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelCard {
    /// Feature scheme the model reads.
    pub scheme: FeatureScheme,
    /// Task type.
    pub task_type: TaskType,
    /// Task names, the output columns of `predict`.
    pub task_names: Vec<String>,
    /// SMILES column of the training CSV (the default column for `predict` on a CSV).
    pub smiles_column: String,
    /// Regression target scaling.
    pub scaler: TargetScaler,
}

impl ModelCard {
    /// The card of a model trained on `data` (featurised with `scheme`, targets scaled with
    /// `scaler`), whose SMILES column is called `smiles`.
    pub fn for_data(scheme: FeatureScheme, data: &MoleculeDataset, scaler: TargetScaler) -> Self {
        Self {
            scheme,
            task_type: data.task_type,
            task_names: data.task_names.clone(),
            smiles_column: "smiles".into(),
            scaler,
        }
    }

    /// Sets the SMILES column `molkd predict` reads from a CSV by default.
    pub fn with_smiles_column(mut self, column: impl Into<String>) -> Self {
        self.smiles_column = column.into();
        self
    }
}

/// One molecule's prediction: a value per task (probabilities for classification, label
/// units for regression), or why there is none (the SMILES does not parse, the model cannot
/// take the molecule, or its output is not finite).
pub type MoleculePrediction = std::result::Result<Vec<f32>, String>;

/// A trained student with what it needs to predict: load one with [`Predictor::load`] (any
/// directory [`Predictor::save`] or `molkd train` wrote) and call
/// [`Predictor::predict_smiles`].
///
/// ```no_run
/// # fn main() -> molkd_train::Result<()> {
/// use molkd_train::Predictor;
/// let device = burn::tensor::Device::default();
/// let predictor = Predictor::load("results/bbbp/model".as_ref(), &device)?;
/// let smiles = ["CCO", "not a molecule"];
/// for (smiles, p) in smiles.iter().zip(predictor.predict_smiles(&smiles)?) {
///     match p {
///         Ok(values) => println!("{smiles}: {values:?}"),
///         Err(e) => println!("{smiles}: {e}"),
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Predictor {
    model: StudentModel,
    config: StudentModelConfig,
    card: ModelCard,
    device: Device,
}

impl Predictor {
    /// A predictor of `model` (built from `config`) described by `card`. Errors: the card's
    /// tasks, scaling or feature scheme do not fit the model.
    pub fn new(model: StudentModel, config: StudentModelConfig, card: ModelCard) -> Result<Self> {
        check_card(&config, &card, Path::new("the model"))?;
        let device = model.head.weight.val().device().without_autodiff();
        Ok(Self {
            model: model.valid(),
            config,
            card,
            device,
        })
    }

    /// Loads the model saved in `dir` (a [`Predictor::save`] directory, or `molkd train`'s
    /// `OUT` or `OUT/model`) onto `device` for inference, after verifying its checksums.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let dir = model_dir(dir);
        if !dir.join(CARD_FILE).is_file() && dir.join("model.bpk").is_file() {
            return Err(TrainError::Invalid(format!(
                "{}: a model without `{CARD_FILE}` (its feature scheme, tasks and target \
                 scaling): save models to predict with through `Predictor::save`, or train \
                 them with `molkd train`",
                dir.display()
            )));
        }
        let device = device.clone().without_autodiff();
        let (model, config) = StudentModel::load_with(&dir, &device, &[CARD_FILE])?;
        let card: ModelCard = read_json(&dir.join(CARD_FILE))?;
        check_card(&config, &card, &dir)?;
        Ok(Self {
            model,
            config,
            card,
            device,
        })
    }

    /// Saves the model, its configuration and its card into `dir` (created; each file
    /// written atomically, with checksums), where [`Predictor::load`] and `molkd predict`
    /// read them.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let card = serde_json::to_vec_pretty(&self.card).map_err(|e| TrainError::Checkpoint {
            path: dir.join(CARD_FILE),
            message: e.to_string(),
        })?;
        self.model
            .save_with(&self.config, dir, &[(CARD_FILE, &card)])?;
        Ok(())
    }

    /// The model card: feature scheme, task type and names, target scaling.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// The model (an inference copy: dropout off, BatchNorm on its running statistics).
    pub fn model(&self) -> &StudentModel {
        &self.model
    }

    /// The model's configuration.
    pub fn config(&self) -> &StudentModelConfig {
        &self.config
    }

    /// Task names, one per output value.
    pub fn task_names(&self) -> &[String] {
        &self.card.task_names
    }

    /// Predicts each SMILES: one entry per input, in input order (see
    /// [`MoleculePrediction`]). Errors only for failures that are not any one molecule's
    /// (reading tensors back from the device).
    pub fn predict_smiles<S: AsRef<str> + Sync>(
        &self,
        smiles: &[S],
    ) -> Result<Vec<MoleculePrediction>> {
        let featurizer = self.card.scheme.featurizer();
        let graphs: Vec<std::result::Result<MolGraph, String>> = smiles
            .par_iter()
            .map(|s| featurizer.featurize(s.as_ref()).map_err(|e| e.to_string()))
            .collect();
        self.predict_graphs(graphs)
    }

    /// Predicts molecules already featurised with the card's scheme, passing through the
    /// errors of those that could not be; one entry per input, in input order.
    pub fn predict_graphs(
        &self,
        graphs: Vec<std::result::Result<MolGraph, String>>,
    ) -> Result<Vec<MoleculePrediction>> {
        let collate = self.collate();
        // Molecules the model cannot take (too large, no coordinates for a 3D model) get
        // their own error, like SMILES that do not parse.
        let graphs: Vec<std::result::Result<MolGraph, String>> = graphs
            .into_iter()
            .map(|g| {
                g.and_then(|g| {
                    collate
                        .check_molecule(&g)
                        .map(|()| g)
                        .map_err(|e| format!("the molecule {e}"))
                })
            })
            .collect();
        let ok: Vec<&MolGraph> = graphs.iter().filter_map(|g| g.as_ref().ok()).collect();
        let outputs = if ok.is_empty() {
            Vec::new()
        } else {
            predict(
                &self.model,
                &collate,
                &ok,
                self.card.task_type,
                &self.card.scaler,
                BATCH_SIZE,
                &self.device,
            )?
        };
        let t = self.card.task_names.len();
        let mut next = 0;
        Ok(graphs
            .into_iter()
            .map(|g| {
                g.and_then(|_| {
                    let values = &outputs[next * t..(next + 1) * t];
                    next += 1;
                    if values.iter().all(|v| v.is_finite()) {
                        Ok(values.to_vec())
                    } else {
                        Err("the model's output is not finite (NaN or infinite)".to_string())
                    }
                })
            })
            .collect())
    }

    /// The collator of the model's batches for the card's feature scheme.
    pub fn collate(&self) -> MoleculeCollate {
        self.model.collate(self.card.scheme.featurizer())
    }
}

/// The model directory inside `dir`: `dir/model` when `dir` is a `train` output, else `dir`.
fn model_dir(dir: &Path) -> PathBuf {
    let nested = dir.join("model");
    if nested.join(CARD_FILE).is_file() {
        nested
    } else {
        dir.to_path_buf()
    }
}

/// Checks that `card` describes a model of `config` (`what` names it in errors).
fn check_card(config: &StudentModelConfig, card: &ModelCard, what: &Path) -> Result<()> {
    if config.num_tasks != card.task_names.len() || card.scaler.mean.len() != card.task_names.len()
    {
        return Err(TrainError::Invalid(format!(
            "{}: the model has {} outputs but its card names {} tasks",
            what.display(),
            config.num_tasks,
            card.task_names.len()
        )));
    }
    let (atom, bond) = config.encoder.vocab_sizes();
    if FeatureScheme::of_vocab(atom, bond) != Some(card.scheme) {
        return Err(TrainError::Invalid(format!(
            "{}: the card's feature scheme `{}` is not the one the model's encoder embeds",
            what.display(),
            card.scheme
        )));
    }
    Ok(())
}
