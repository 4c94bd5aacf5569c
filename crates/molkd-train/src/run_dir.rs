//! A training run's directory: one complete checkpoint per epoch (model, optimizer, loop
//! state) and a `latest.json` pointer that is replaced atomically only after the checkpoint it
//! names is fully on disk. A crash at any moment leaves the previous checkpoint usable.
//!
//! ```text
//! run/
//!   latest.json            {"epoch": 3, "dir": "epoch-0003"}
//!   epoch-0003/
//!     model.bpk config.json      (molkd_models::Checkpointed)
//!     optimizer.bpk              (burn ModuleOptimizer record)
//!     state.json                 (epoch, seed, history: what the loop needs to go on)
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use molkd_models::Checkpointed;
use molkd_models::checkpoint::write_atomic;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

const LATEST: &str = "latest.json";
const OPTIMIZER: &str = "optimizer.bpk";
const STATE: &str = "state.json";

#[derive(Debug, Serialize, Deserialize)]
struct Latest {
    epoch: usize,
    dir: String,
}

/// A restored checkpoint: model, its configuration, optimizer state and loop state.
pub struct Restored<M: Checkpointed, S> {
    /// The model.
    pub model: M,
    /// Its configuration.
    pub config: M::Config,
    /// The optimizer with its moments restored.
    pub optimizer: ModuleOptimizer,
    /// The loop state saved with it.
    pub state: S,
}

/// Checkpoints of one training run, see the module docs.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl RunDir {
    /// Uses (and creates) `root`.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(io(&root))?;
        Ok(Self { root })
    }

    /// The run's directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Writes the checkpoint of `epoch` (1-based: epochs finished), then points `latest.json`
    /// at it and removes older epoch directories.
    pub fn save<M: Checkpointed, S: Serialize>(
        &self,
        epoch: usize,
        model: &M,
        config: &M::Config,
        optimizer: &ModuleOptimizer,
        state: &S,
    ) -> Result<()> {
        let name = format!("epoch-{epoch:04}");
        let dir = self.root.join(&name);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        model.save(config, &dir)?;
        let optimizer_path = dir.join(OPTIMIZER);
        let tmp = dir.join(format!("{OPTIMIZER}.tmp"));
        optimizer.save(&tmp).map_err(|e| TrainError::Checkpoint {
            path: optimizer_path.clone(),
            message: e.to_string(),
        })?;
        fs::rename(&tmp, &optimizer_path).map_err(io(&optimizer_path))?;
        write_json(&dir.join(STATE), state)?;
        write_json(
            &self.root.join(LATEST),
            &Latest {
                epoch,
                dir: name.clone(),
            },
        )?;
        // Older checkpoints are only removed once the new one is the latest.
        for entry in fs::read_dir(&self.root).map_err(io(&self.root))? {
            let entry = entry.map_err(io(&self.root))?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with("epoch-") && file_name != name {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        Ok(())
    }

    /// The number of epochs of the latest complete checkpoint, if any.
    pub fn latest_epoch(&self) -> Result<Option<usize>> {
        Ok(self.latest()?.map(|l| l.epoch))
    }

    fn latest(&self) -> Result<Option<Latest>> {
        let path = self.root.join(LATEST);
        if !path.exists() {
            return Ok(None);
        }
        read_json(&path).map(Some)
    }

    /// Loads the latest checkpoint onto `device`; `optimizer` is a fresh optimizer of the
    /// run's kind, into which the saved moments are loaded.
    pub fn restore<M: Checkpointed, S: DeserializeOwned>(
        &self,
        device: &Device,
        optimizer: ModuleOptimizer,
    ) -> Result<Option<Restored<M, S>>> {
        let Some(latest) = self.latest()? else {
            return Ok(None);
        };
        let dir = self.root.join(&latest.dir);
        let (model, config) = M::load(&dir, device)?;
        let optimizer_path = dir.join(OPTIMIZER);
        let optimizer = optimizer
            .load(&optimizer_path)
            .map_err(|e| TrainError::Checkpoint {
                path: optimizer_path.clone(),
                message: e.to_string(),
            })?;
        let state = read_json(&dir.join(STATE))?;
        Ok(Some(Restored {
            model,
            config,
            optimizer,
            state,
        }))
    }
}

/// Writes `value` as pretty JSON to `path` atomically.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(write_atomic(path, &json)?)
}

/// Reads JSON from `path`, naming the file in errors.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    serde_json::from_str(&text).map_err(|e| TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Wall time of a whole run from its epochs' recorded times, which checkpoints carry across
/// resumes; `None` without epochs or if any epoch's time is unknown (checkpoints written
/// before times were recorded), so callers fall back to their own process's time.
///
/// ```
/// use molkd_train::run_dir::run_seconds;
/// assert_eq!(run_seconds([Some(1.5), Some(2.0)]), Some(3.5));
/// assert_eq!(run_seconds([Some(1.5), None]), None);
/// assert_eq!(run_seconds(std::iter::empty()), None);
/// ```
pub fn run_seconds(epoch_seconds: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let mut times = epoch_seconds.into_iter().peekable();
    times.peek()?;
    times.sum()
}
