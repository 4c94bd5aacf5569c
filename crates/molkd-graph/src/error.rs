//! Errors of the chemistry and graph layer.

use thiserror::Error;

/// Everything that can go wrong turning text into graphs and graphs into tensors.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum GraphError {
    /// The SMILES text could not be parsed; `position` is the byte offset the parser reported
    /// (the message says it too).
    #[error("invalid SMILES `{smiles}`: {message}")]
    InvalidSmiles {
        smiles: String,
        message: String,
        position: Option<usize>,
    },
    /// The SMILES parsed but chemistry perception (valence, kekulisation) rejects it, as RDKit would.
    #[error("SMILES `{smiles}` fails sanitisation: {message}")]
    Sanitization { smiles: String, message: String },
    /// An atom or bond has a property the feature scheme cannot encode.
    #[error("SMILES `{smiles}`: {what} cannot be encoded by the {scheme} featurizer")]
    Unencodable {
        smiles: String,
        scheme: &'static str,
        what: String,
    },
    /// A reaction SMILES is malformed.
    #[error("invalid reaction SMILES `{reaction}`: {message}")]
    InvalidReaction { reaction: String, message: String },
    /// A batch cannot be built as requested.
    #[error("cannot collate batch: {0}")]
    Collate(String),
    /// 3D positions that do not fit a molecule.
    #[error("3D coordinates: {0}")]
    Coordinates(String),
    /// A setting of a graph transform (masking, context sampling) that cannot work.
    #[error("{0}")]
    InvalidSetting(String),
}

/// Result alias of this crate.
pub type Result<T, E = GraphError> = std::result::Result<T, E>;
