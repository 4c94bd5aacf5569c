//! Data sets: tables of molecules and labels, and the MoleculeNet registry.

mod dataset;
mod moleculenet;
pub mod table;

pub use dataset::{CsvSpec, MoleculeDataset, SkipReport, SkippedRow, TaskType};
pub use moleculenet::{DatasetSpec, MOLECULENET, TaskColumns, data_dir, dataset_spec};
