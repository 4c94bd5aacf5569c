//! Errors of the model layer.

use thiserror::Error;

/// What can go wrong building or running a model.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ModelError {
    /// A batch's categorical features do not fit an embedding's vocabulary.
    #[error(
        "{what}: feature column {column} has value {value}, the embedding has {vocab} categories"
    )]
    VocabularyExceeded {
        what: &'static str,
        column: usize,
        value: i64,
        vocab: usize,
    },
    /// A batch has a different number of feature columns than the embedding.
    #[error("{what}: batch has {got} feature columns, the embedding expects {expected}")]
    FeatureWidth {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    /// A layer needs a batch collated with self-loops.
    #[error("{0} needs a batch collated with self-loops (Collate::with_self_loops(true))")]
    NeedsSelfLoops(&'static str),
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

/// Result alias of this crate.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
