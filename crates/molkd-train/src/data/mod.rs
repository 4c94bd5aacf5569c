//! Data sets: tables of molecules and labels, the MoleculeNet registry, QM9 with its 3D
//! geometries, and reaction sets.

mod dataset;
mod moleculenet;
pub mod qm9;
pub mod reaction_molecules;
pub mod reactions;
pub mod table;

pub use dataset::{CsvSpec, MoleculeDataset, SkipReport, SkippedRow, TaskType};
pub use moleculenet::{DatasetSpec, MOLECULENET, TaskColumns, data_dir, dataset_spec};
pub use qm9::{Qm9Target, load_qm9};
pub use reaction_molecules::{
    MoleculeSource, ReactionMolecules, SourceCount, load_reaction_molecules,
};
pub use reactions::{
    CacheStatus, ReactionDataset, ReactionFormat, ReactionLoadOptions, ReactionSplit,
    default_cache_dir, load_buchwald_hartwig, load_reactions, load_suzuki_miyaura,
    load_uspto_480k_jin, load_uspto_yields,
};
