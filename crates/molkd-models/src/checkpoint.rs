//! Checkpoints: a model's parameters as a burnpack record (`model.bpk`, burn 0.22's record
//! format) and its configuration as JSON (`config.json`) beside it, so a checkpoint reloads
//! without knowing its architecture in advance. Both files are written atomically.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Device;
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::error::ModelError;
use crate::student::{StudentModel, StudentModelConfig};
use crate::teacher::{TeacherModel, TeacherModelConfig};

/// File of the parameters inside a checkpoint directory.
pub const MODEL_FILE: &str = "model.bpk";
/// File of the configuration inside a checkpoint directory.
pub const CONFIG_FILE: &str = "config.json";

/// What can go wrong saving or loading a checkpoint.
#[derive(Debug, Error)]
pub enum CheckpointError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The configuration file is not valid JSON of the expected model.
    #[error("{path}: not a valid model configuration: {message}")]
    Config { path: PathBuf, message: String },
    /// The parameter file is corrupt or does not match the configured architecture.
    #[error("{path}: cannot load parameters: {message}")]
    Record { path: PathBuf, message: String },
    /// The configuration builds no model.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// crash leaves either the old file or the new one, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Saves `model`'s parameters and `config` into `dir` (created if needed).
pub fn save<M: Module + Clone, C: Serialize>(
    model: &M,
    config: &C,
    dir: &Path,
) -> Result<(), CheckpointError> {
    fs::create_dir_all(dir).map_err(|source| CheckpointError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let model_path = dir.join(MODEL_FILE);
    let record_error = |e: burn::store::RecordError| CheckpointError::Record {
        path: model_path.clone(),
        message: e.to_string(),
    };
    // The record is written next to its final name, then renamed over it.
    let tmp = tempfile::Builder::new()
        .suffix(".bpk")
        .tempfile_in(dir)
        .map_err(|source| CheckpointError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    model
        .clone()
        .into_record()
        .save(tmp.path())
        .map_err(record_error)?;
    tmp.persist(&model_path).map_err(|e| CheckpointError::Io {
        path: model_path.clone(),
        source: e.error,
    })?;
    let json = serde_json::to_vec_pretty(config).map_err(|e| CheckpointError::Config {
        path: dir.join(CONFIG_FILE),
        message: e.to_string(),
    })?;
    write_atomic(&dir.join(CONFIG_FILE), &json)
}

/// Reads the configuration of the checkpoint in `dir`.
pub fn load_config<C: DeserializeOwned>(dir: &Path) -> Result<C, CheckpointError> {
    let path = dir.join(CONFIG_FILE);
    let text = fs::read_to_string(&path).map_err(|source| CheckpointError::Io {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| CheckpointError::Config {
        path,
        message: e.to_string(),
    })
}

/// Loads the parameters of the checkpoint in `dir` into `model` (built from its config),
/// validating names and shapes: a record of another architecture is an error.
pub fn load_parameters<M: Module>(model: M, dir: &Path) -> Result<M, CheckpointError> {
    let path = dir.join(MODEL_FILE);
    if !path.is_file() {
        return Err(CheckpointError::Io {
            path,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let record_error = |e: burn::store::RecordError| CheckpointError::Record {
        path: path.clone(),
        message: e.to_string(),
    };
    let record = ModuleRecord::load(&path)
        .map_err(record_error)?
        .validate(true);
    model.try_load_record(record).map_err(record_error)
}

/// A model that checkpoints as its parameters plus the configuration that builds it.
pub trait Checkpointed: Module + Clone + Sized {
    /// The configuration type, saved as `config.json`.
    type Config: Serialize + DeserializeOwned;

    /// Builds a freshly initialised model from its configuration.
    fn build(config: &Self::Config, device: &Device) -> Result<Self, ModelError>;

    /// Saves the model and its configuration into `dir`.
    fn save(&self, config: &Self::Config, dir: &Path) -> Result<(), CheckpointError> {
        save(self, config, dir)
    }

    /// Loads a model saved with [`Checkpointed::save`], whatever its architecture.
    fn load(dir: &Path, device: &Device) -> Result<(Self, Self::Config), CheckpointError> {
        let config: Self::Config = load_config(dir)?;
        let model = load_parameters(Self::build(&config, device)?, dir)?;
        Ok((model, config))
    }
}

impl Checkpointed for StudentModel {
    type Config = StudentModelConfig;

    fn build(config: &StudentModelConfig, device: &Device) -> Result<Self, ModelError> {
        config.init(device)
    }
}

impl Checkpointed for TeacherModel {
    type Config = TeacherModelConfig;

    fn build(config: &TeacherModelConfig, device: &Device) -> Result<Self, ModelError> {
        config.init(device)
    }
}
