//! Checkpoints: a model's parameters as a burnpack record (`model.bpk`, burn 0.22's record
//! format) and its configuration as JSON (`config.json`) beside it, so a checkpoint reloads
//! without knowing its architecture in advance, and `checksums.json`, the SHA-256 of each
//! (and of any companion file saved with them), which loading verifies: a flipped bit in the
//! weights or an edit of the configuration is an error, not a silently different model. Every
//! file is written atomically, the checksums last.

use std::collections::BTreeMap;
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
/// File of the checksums of a checkpoint's other files.
pub const CHECKSUMS_FILE: &str = "checksums.json";

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
    /// A file's contents are not what the checkpoint recorded when it was saved.
    #[error(
        "{path}: checksum mismatch (the file changed or is corrupt since it was saved: \
         expected SHA-256 {expected}, found {found})"
    )]
    Corrupt {
        path: PathBuf,
        expected: String,
        found: String,
    },
    /// The checkpoint has no checksums, or they do not cover its files.
    #[error("{path}: {message}")]
    Checksums { path: PathBuf, message: String },
    /// The configuration builds no model.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// SHA-256 of `bytes`, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    to_hex(&Sha256::digest(bytes))
}

/// `bytes` (a digest) as lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn file_sha256(path: &Path) -> Result<String, CheckpointError> {
    let bytes = fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(sha256_hex(&bytes))
}

/// Writes `checksums.json` in `dir` for `files` (names inside `dir`).
fn write_checksums(dir: &Path, files: &[&str]) -> Result<(), CheckpointError> {
    let mut sums = BTreeMap::new();
    for &name in files {
        sums.insert(name.to_string(), file_sha256(&dir.join(name))?);
    }
    let json = serde_json::to_vec_pretty(&sums).map_err(|e| CheckpointError::Checksums {
        path: dir.join(CHECKSUMS_FILE),
        message: e.to_string(),
    })?;
    write_atomic(&dir.join(CHECKSUMS_FILE), &json)
}

/// A fingerprint of the checkpoint in `dir`: the SHA-256 of its `checksums.json`, which covers
/// every file of it. Two checkpoints with the same fingerprint hold the same model.
pub fn checkpoint_fingerprint(dir: &Path) -> Result<String, CheckpointError> {
    verify_checksums(dir, &[MODEL_FILE, CONFIG_FILE])?;
    file_sha256(&dir.join(CHECKSUMS_FILE))
}

/// Checks every file `checksums.json` names in `dir` against its recorded SHA-256; `required`
/// files must be among them.
pub fn verify_checksums(dir: &Path, required: &[&str]) -> Result<(), CheckpointError> {
    let path = dir.join(CHECKSUMS_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CheckpointError::Checksums {
                path,
                message: "missing: a checkpoint records the checksums of its files since molkd \
                          0.1 verifies them; this one was saved without (by an older molkd, or \
                          copied incompletely), so its files cannot be trusted: save it again"
                    .into(),
            });
        }
        Err(source) => return Err(CheckpointError::Io { path, source }),
    };
    let sums: BTreeMap<String, String> =
        serde_json::from_str(&text).map_err(|e| CheckpointError::Checksums {
            path: path.clone(),
            message: format!("not valid JSON: {e}"),
        })?;
    if let Some(missing) = required.iter().find(|f| !sums.contains_key(**f)) {
        return Err(CheckpointError::Checksums {
            path,
            message: format!("no checksum for `{missing}`"),
        });
    }
    for (name, expected) in &sums {
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(CheckpointError::Checksums {
                path,
                message: format!("`{name}` is not a file of the checkpoint"),
            });
        }
        let file = dir.join(name);
        let found = file_sha256(&file)?;
        if &found != expected {
            return Err(CheckpointError::Corrupt {
                path: file,
                expected: expected.clone(),
                found,
            });
        }
    }
    Ok(())
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

/// Saves `model`'s parameters and `config` into `dir` (created if needed), with their
/// checksums.
pub fn save<M: Module + Clone, C: Serialize>(
    model: &M,
    config: &C,
    dir: &Path,
) -> Result<(), CheckpointError> {
    save_with(model, config, dir, &[])
}

/// [`save`] plus companion files (`(name, contents)`, e.g. a model card) that the checksums
/// cover too, so [`Checkpointed::load`] refuses a checkpoint whose companions were edited.
pub fn save_with<M: Module + Clone, C: Serialize>(
    model: &M,
    config: &C,
    dir: &Path,
    companions: &[(&str, &[u8])],
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
    write_atomic(&dir.join(CONFIG_FILE), &json)?;
    let mut files = vec![MODEL_FILE, CONFIG_FILE];
    for &(name, bytes) in companions {
        write_atomic(&dir.join(name), bytes)?;
        files.push(name);
    }
    write_checksums(dir, &files)
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
    load_parameters_renamed(model, dir, None)
}

/// [`load_parameters`], retrying with the record's tensors renamed by `rename` when they do
/// not fit as saved (checkpoints of an older molkd).
fn load_parameters_renamed<M: Module>(
    model: M,
    dir: &Path,
    rename: Option<fn(&str) -> Option<String>>,
) -> Result<M, CheckpointError> {
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
    let Some(rename) = rename else {
        return model.try_load_record(record).map_err(record_error);
    };
    match model.clone().try_load_record(record) {
        Ok(model) => Ok(model),
        Err(error) => {
            // Parameters named as an older molkd named them load under their new names; if
            // that fails too, the first error is the one to report.
            let renamed = load_renamed(&path, rename).map_err(|_| record_error(error))?;
            model
                .try_load_record(renamed.validate(true))
                .map_err(record_error)
        }
    }
}

/// The record in `path` with its tensors renamed by `rename` (`None`: unchanged).
fn load_renamed(
    path: &Path,
    rename: fn(&str) -> Option<String>,
) -> Result<ModuleRecord, burn::store::RecordError> {
    let pack_error = |e: burn_pack::Error| burn::store::RecordError::Io(e.to_string());
    let tensors = burn_pack::Reader::from_file(path)
        .map_err(pack_error)?
        .into_tensors()
        .map_err(pack_error)?
        .into_iter()
        .map(|t| {
            let (name, dtype, shape, id, bytes) = t.into_parts().map_err(pack_error)?;
            let name = rename(&name).unwrap_or(name);
            Ok(burn_pack::Tensor::new(name, dtype, shape, id, bytes))
        })
        .collect::<Result<Vec<_>, burn::store::RecordError>>()?;
    let bytes = burn_pack::Writer::new(tensors)
        .into_bytes()
        .map_err(pack_error)?;
    ModuleRecord::from_bytes(bytes)
}

/// A model that checkpoints as its parameters plus the configuration that builds it.
pub trait Checkpointed: Module + Clone + Sized {
    /// The configuration type, saved as `config.json`.
    type Config: Serialize + DeserializeOwned;

    /// Builds a freshly initialised model from its configuration.
    fn build(config: &Self::Config, device: &Device) -> Result<Self, ModelError>;

    /// The current name of a parameter an older molkd saved as `name`, if it was renamed
    /// (tried when a record does not load as saved).
    fn renamed_parameter(_name: &str) -> Option<String> {
        None
    }

    /// Saves the model and its configuration into `dir`.
    fn save(&self, config: &Self::Config, dir: &Path) -> Result<(), CheckpointError> {
        save(self, config, dir)
    }

    /// [`Checkpointed::save`] plus companion files under the same checksums ([`save_with`]).
    fn save_with(
        &self,
        config: &Self::Config,
        dir: &Path,
        companions: &[(&str, &[u8])],
    ) -> Result<(), CheckpointError> {
        save_with(self, config, dir, companions)
    }

    /// Loads a model saved with [`Checkpointed::save`], whatever its architecture, after
    /// verifying the checksums of its files.
    fn load(dir: &Path, device: &Device) -> Result<(Self, Self::Config), CheckpointError> {
        Self::load_with(dir, device, &[])
    }

    /// [`Checkpointed::load`] of a checkpoint saved with companion files
    /// ([`Checkpointed::save_with`]): `companions` must be among the files its checksums
    /// cover, and are verified with them.
    fn load_with(
        dir: &Path,
        device: &Device,
        companions: &[&str],
    ) -> Result<(Self, Self::Config), CheckpointError> {
        if !dir.join(CONFIG_FILE).is_file() {
            // Say what is missing before complaining about checksums.
            return Err(CheckpointError::Io {
                path: dir.join(CONFIG_FILE),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file (not a molkd checkpoint directory?)",
                ),
            });
        }
        let required: Vec<&str> = [MODEL_FILE, CONFIG_FILE]
            .into_iter()
            .chain(companions.iter().copied())
            .collect();
        verify_checksums(dir, &required)?;
        let config: Self::Config = load_config(dir)?;
        // Whatever the fresh model would draw stays clear of other runs' seeded draws.
        let model = molkd_graph::random::with_device_generator(|| {
            load_parameters_renamed(
                Self::build(&config, device)?,
                dir,
                Some(Self::renamed_parameter),
            )
        })?;
        Ok((model, config))
    }
}

impl Checkpointed for StudentModel {
    type Config = StudentModelConfig;

    fn build(config: &StudentModelConfig, device: &Device) -> Result<Self, ModelError> {
        config.init(device)
    }

    /// Before the relation encoder, the student's encoder was a GNN, not an enum of families.
    fn renamed_parameter(name: &str) -> Option<String> {
        name.strip_prefix("encoder.")
            .map(|rest| format!("encoder.Gnn.{rest}"))
    }
}

impl Checkpointed for crate::BlendModel {
    type Config = crate::BlendModelConfig;

    fn build(config: &crate::BlendModelConfig, device: &Device) -> Result<Self, ModelError> {
        config.init(device)
    }
}

impl Checkpointed for TeacherModel {
    type Config = TeacherModelConfig;

    fn build(config: &TeacherModelConfig, device: &Device) -> Result<Self, ModelError> {
        config.init(device)
    }

    /// Before the student-form encoder, the teacher's embedding and layers were its own fields.
    fn renamed_parameter(name: &str) -> Option<String> {
        (name.starts_with("atom_embedding.") || name.starts_with("layers."))
            .then(|| format!("encoder.Plain.{name}"))
    }
}

impl Checkpointed for crate::GnnPretrainModel {
    type Config = crate::GnnPretrainModelConfig;

    fn build(config: &crate::GnnPretrainModelConfig, device: &Device) -> Result<Self, ModelError> {
        config.init(device)
    }
}
