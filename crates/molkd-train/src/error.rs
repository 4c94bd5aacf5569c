//! Errors of datasets, splits and training.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong loading data or training.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A CSV file is malformed beyond skipping a row (bad header, truncated compression).
    #[error("{path}: {message}")]
    Csv { path: PathBuf, message: String },
    /// A column the caller asked for is not in the file.
    #[error("{path}: no column `{column}` (columns: {available})")]
    MissingColumn {
        path: PathBuf,
        column: String,
        available: String,
    },
    /// An unknown registry data set.
    #[error("unknown dataset `{0}` (known: {1})")]
    UnknownDataset(String, String),
    /// No data directory was given and `MOLKD_DATA_DIR` is not set.
    #[error("no data directory: pass one or set MOLKD_DATA_DIR")]
    NoDataDir,
    /// A data set file is not where it should be.
    #[error("dataset file `{file}` not found under {dir} (looked in {dir}/moleculenet and {dir})")]
    DatasetFileNotFound { file: String, dir: PathBuf },
    /// A data set has no usable rows; `detail` says what was skipped and why.
    #[error("{path}: no usable rows: {detail}")]
    NoUsableRows { path: PathBuf, detail: String },
    /// Invalid arguments (split fractions, ...).
    #[error("{0}")]
    Invalid(String),
    /// A metric cannot be computed from its inputs (length mismatch, NaN, too few values).
    #[error("metric: {0}")]
    Metric(String),
    /// A tensor could not be read back to the host.
    #[error("reading a tensor back failed: {0}")]
    TensorRead(String),
    /// A training checkpoint or report could not be written or read.
    #[error("{path}: {message}")]
    Checkpoint { path: PathBuf, message: String },
    /// The loss became NaN or infinite.
    #[error("training diverged in epoch {epoch}: loss {loss}")]
    Diverged { epoch: usize, loss: f64 },
    /// A model could not be built, or does not fit a batch.
    #[error(transparent)]
    Model(#[from] molkd_models::ModelError),
    /// A model checkpoint could not be saved or loaded.
    #[error(transparent)]
    ModelCheckpoint(#[from] molkd_models::CheckpointError),
    /// A loss rejected its inputs.
    #[error(transparent)]
    Loss(#[from] molkd_distill::DistillError),
    /// An error from the graph layer.
    #[error(transparent)]
    Graph(#[from] molkd_graph::GraphError),
}

/// Result alias of this crate.
pub type Result<T, E = TrainError> = std::result::Result<T, E>;
