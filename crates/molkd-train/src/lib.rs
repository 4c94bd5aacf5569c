//! # molkd-train
//!
//! Data sets (MoleculeNet registry and any user CSV), splits, and — as the project grows —
//! metrics, training loops and checkpoints.

pub mod data;
pub mod error;
pub mod featurize_file;
pub mod split;

pub use data::{
    CsvSpec, DatasetSpec, MOLECULENET, MoleculeDataset, SkippedRow, TaskType, dataset_spec,
};
pub use error::{Result, TrainError};
pub use split::{
    Split, SplitFractions, SplitKind, random_scaffold_split, random_split, scaffold_split,
};
