//! # molkd-train
//!
//! Data sets (MoleculeNet registry, any user CSV, and reaction sets), splits, evaluation
//! metrics, teacher pre-training, student fine-tuning with distillation, benchmark sweeps, and
//! checkpoints.
//!
//! Train a small GIN on a CSV, keep the best-validation model with its card, and predict:
//!
//! ```
//! use burn::tensor::Device;
//! use molkd_graph::FeatureScheme;
//! use molkd_train::split::{SplitFractions, scaffold_split};
//! use molkd_train::{CsvSpec, Finetune, FinetuneConfig, ModelCard};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let csv = dir.path().join("amines.csv");
//! let rows: String = ["CCN,1", "CCO,0", "c1ccccc1N,1", "c1ccccc1O,0", "CCCN,1", "CCCC,0",
//!     "NCCN,1", "OCCO,0", "C1CCNCC1,1", "C1CCOCC1,0"]
//!     .iter().map(|r| format!("{r}\n")).collect();
//! std::fs::write(&csv, format!("smiles,amine\n{rows}"))?;
//! let scheme = FeatureScheme::PretrainGnns;
//! let data = CsvSpec::new("smiles", ["amine"]).load(&csv, scheme.featurizer())?;
//! let split = scaffold_split(&data.smiles, SplitFractions::default())?;
//!
//! let mut config = FinetuneConfig::protocol(scheme.featurizer(), data.num_tasks());
//! if let molkd_models::EncoderConfig::Gnn(gin) = &mut config.model.encoder {
//!     *gin = gin.clone().with_num_layers(2).with_d_model(16); // small, for the example
//! }
//! config.optim = config.optim.with_epochs(2).with_batch_size(4);
//! let trained = Finetune::new(&config, &data, &split).run(&Device::default())?;
//! assert_eq!(trained.state.history.len(), 2);
//!
//! let card = ModelCard::for_data(scheme, &data, trained.state.scaler.clone());
//! let predictor = trained.predictor(card)?;
//! let predictions = predictor.predict_smiles(&["CCCCN", "C1CC"])?;
//! assert!((0.0..=1.0).contains(&predictions[0].as_ref().unwrap()[0]));
//! assert!(predictions[1].is_err()); // an unclosed ring: this molecule's error, not the call's
//! # Ok(())
//! # }
//! ```

pub mod benchmark;
pub mod curves;
pub mod data;
pub mod error;
pub mod featurize_file;
pub mod finetune;
mod fmt;
pub mod metrics;
pub mod optim;
pub mod output;
pub mod predictor;
pub mod pretrain;
pub mod progress;
pub mod run_dir;
pub mod split;
pub mod train_job;

pub use data::{
    CacheStatus, CsvSpec, DatasetSpec, MOLECULENET, MoleculeDataset, ReactionDataset,
    ReactionFormat, ReactionLoadOptions, ReactionSplit, SkippedRow, TaskType, data_dir,
    dataset_spec, default_cache_dir, load_buchwald_hartwig, load_reactions, load_suzuki_miyaura,
    load_uspto_480k_jin, load_uspto_yields,
};
pub use error::{Result, TrainError};
pub use finetune::{
    Finetune, FinetuneConfig, FinetuneEpoch, Finetuned, TargetScaler, TaskMetric, TeacherEmbeddings,
};
pub use metrics::{
    MeanRocAuc, RetrievalMetrics, RetrievalOptions, mae, mean_roc_auc, product_retrieval,
    product_retrieval_ranks, rmse, roc_auc, spearman,
};
pub use optim::{LrSchedule, OptimConfig, OptimizerKind};
pub use predictor::{ModelCard, MoleculePrediction, Predictor};
pub use run_dir::{ExistingRun, RunDir};
pub use split::{
    Split, SplitFractions, SplitKind, random_scaffold_split, random_split, scaffold_split,
};
pub use train_job::{TrainJob, TrainReport, predict_file, run_train_job};
