//! # molkd-train
//!
//! Data sets (MoleculeNet registry, any user CSV, and reaction sets), splits, evaluation
//! metrics, teacher pre-training, student fine-tuning with distillation, benchmark sweeps, and
//! checkpoints.

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
