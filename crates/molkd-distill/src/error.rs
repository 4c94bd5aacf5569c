//! Errors of the loss functions.

use thiserror::Error;

/// What can go wrong computing a loss: every loss checks its inputs and parameters and returns
/// one of these instead of panicking inside a tensor operation.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DistillError {
    /// An input has the wrong shape, or two inputs that must agree do not.
    #[error("{what}: expected shape {expected:?}, got {got:?}")]
    ShapeMismatch {
        /// Which input (and which constraint).
        what: String,
        /// The shape it must have.
        expected: Vec<usize>,
        /// The shape it has.
        got: Vec<usize>,
    },
    /// A scalar parameter (margin, temperature, slack, weight) is out of range.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The allowed range.
        reason: &'static str,
    },
    /// The batch is too small for the loss (in-batch negatives need at least two rows).
    #[error("{what} needs a batch of at least {min} rows, got {got}")]
    BatchTooSmall {
        /// Which loss.
        what: &'static str,
        /// Smallest batch it accepts.
        min: usize,
        /// The batch size given.
        got: usize,
    },
    /// An input's values are out of their domain (e.g. yields outside `[0, 1]`).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which input.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A configured loss form needs an input the caller did not pass.
    #[error("loss form `{form}` needs {input}, which was not given")]
    MissingInput {
        /// The loss form, by its configuration name.
        form: String,
        /// The missing input.
        input: &'static str,
    },
}

/// Result alias of this crate.
pub type Result<T, E = DistillError> = std::result::Result<T, E>;
