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
//!   identity.json          the run's settings and data fingerprint (`--resume` checks them)
//! ```
//!
//! A job's output directory (`molkd train --out DIR`) is held through [`OutputDir`]: one
//! process at a time, and never over an earlier run's files unless asked to resume or replace
//! them.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use molkd_models::Checkpointed;
use molkd_models::checkpoint::write_atomic;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

const LATEST: &str = "latest.json";
const IDENTITY: &str = "identity.json";
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

    /// Uses `root`, creating it only when something is written there.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
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
        fs::create_dir_all(&self.root).map_err(io(&self.root))?;
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

impl RunDir {
    /// The latest checkpoint of the run when `resume` asks for it and there is one (see
    /// [`RunDir::restore`]), refused when its model configuration is not `config`: how every
    /// training loop decides between resuming and starting fresh.
    pub fn resume_matching<M: Checkpointed, S: DeserializeOwned>(
        &self,
        resume: bool,
        config: &M::Config,
        device: &Device,
        optimizer: ModuleOptimizer,
    ) -> Result<Option<Restored<M, S>>> {
        if !resume {
            return Ok(None);
        }
        let Some(restored) = self.restore::<M, S>(device, optimizer)? else {
            return Ok(None);
        };
        if serde_json::to_value(&restored.config).ok() != serde_json::to_value(config).ok() {
            return Err(TrainError::Invalid(format!(
                "cannot resume {}: its model configuration differs from this run's",
                self.root.display()
            )));
        }
        Ok(Some(restored))
    }
}

/// What identifies a run: its settings and a fingerprint of its data, by name (the flag
/// names of the CLI where there are any). `--resume` continues a run only with the same
/// identity, so one history never mixes two runs. Settings that may change between sessions
/// (epochs to run, device) are left out by the jobs that build it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity(BTreeMap<String, serde_json::Value>);

impl RunIdentity {
    /// An empty identity.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds setting `name` with `value` (anything serialisable).
    pub fn with(mut self, name: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.0.insert(name.to_string(), value);
        self
    }

    /// Adds every leaf of `value` (a configuration struct) as `prefix.path.to.leaf`, except
    /// the leaves whose path is in `except`.
    pub fn with_fields(mut self, prefix: &str, value: impl Serialize, except: &[&str]) -> Self {
        fn walk(
            out: &mut BTreeMap<String, serde_json::Value>,
            path: String,
            value: serde_json::Value,
            except: &[&str],
        ) {
            if except.contains(&path.as_str()) {
                return;
            }
            match value {
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        walk(out, format!("{path}.{k}"), v, except);
                    }
                }
                leaf => {
                    out.insert(path, leaf);
                }
            }
        }
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        walk(&mut self.0, prefix.to_string(), value, except);
        self
    }

    /// The first setting that differs from `earlier`, as `(name, earlier, now)`.
    pub fn first_difference(&self, earlier: &RunIdentity) -> Option<(String, String, String)> {
        let show = |v: Option<&serde_json::Value>| v.map_or("(none)".into(), |v| v.to_string());
        let names: std::collections::BTreeSet<&String> =
            self.0.keys().chain(earlier.0.keys()).collect();
        names.into_iter().find_map(|name| {
            let (was, now) = (earlier.0.get(name), self.0.get(name));
            let same =
                was == now || (was.is_none() && now.is_some_and(|v| is_added_default(name, v)));
            (!same).then(|| (name.clone(), show(was), show(now)))
        })
    }
}

/// Settings added after runs had been recorded, with the value that does what runs did before
/// them: a run recorded without the setting resumes when it has that value.
const ADDED_SETTINGS: &[(&str, &str)] = &[
    ("config.model.encoder.family", r#""gnn""#),
    // The teacher's encoder form (None: MolR's plain stack).
    ("config.model.encoder", "null"),
    ("config.optim.optimizer", r#""adam""#),
    ("config.optim.weight_decay", "0.0"),
    ("config.optim.schedule", r#""constant""#),
    ("config.optim.warmup_epochs", "0"),
    ("config.optim.min_lr", "1e-9"),
    ("config.metric", "null"),
    ("config.cut_length", "null"),
    ("config.init", "null"),
    ("init", "null"),
    ("split-seed", "null"),
];

fn is_added_default(name: &str, value: &serde_json::Value) -> bool {
    ADDED_SETTINGS.iter().any(|&(added, old)| {
        name == added && serde_json::from_str::<serde_json::Value>(old).ok().as_ref() == Some(value)
    })
}

/// SHA-256 fingerprint of a data set's content, fed piece by piece (e.g. each molecule's SMILES
/// and labels): two runs on the same rows agree, any changed row or label changes it.
#[derive(Default)]
pub struct Fingerprint(sha2::Sha256);

impl Fingerprint {
    /// An empty fingerprint.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one piece (length-prefixed, so pieces cannot run into each other).
    pub fn add(&mut self, bytes: &[u8]) -> &mut Self {
        use sha2::Digest;
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// The fingerprint as lowercase hex.
    pub fn finish(self) -> String {
        use sha2::Digest;
        molkd_models::checkpoint::to_hex(&self.0.finalize())
    }
}

impl RunDir {
    /// Checks `identity` against the run's, without writing anything: a run with checkpoints
    /// continues only with the same identity (the error names the first setting that
    /// differs); a run without is free to start.
    pub fn check_identity(&self, identity: &RunIdentity) -> Result<()> {
        if self.latest_epoch()?.is_none() {
            return Ok(());
        }
        let path = self.root.join(IDENTITY);
        if !path.is_file() {
            return Err(TrainError::Invalid(format!(
                "cannot resume {}: it has no {IDENTITY} (made by an older molkd), so its \
                 settings cannot be checked; start a new run",
                self.root.display()
            )));
        }
        let earlier: RunIdentity = read_json(&path)?;
        match identity.first_difference(&earlier) {
            Some((name, was, now)) => Err(TrainError::Invalid(format!(
                "cannot resume {}: `{name}` was {was} in that run and is {now} now; resume \
                 with the same settings and data, or start a new run",
                self.root.display()
            ))),
            None => Ok(()),
        }
    }

    /// [`RunDir::check_identity`], then records `identity` for a run that has no checkpoint
    /// yet (call it once the run is about to start).
    pub fn claim(&self, identity: &RunIdentity) -> Result<()> {
        self.check_identity(identity)?;
        if self.latest_epoch()?.is_none() {
            fs::create_dir_all(&self.root).map_err(io(&self.root))?;
            write_json(&self.root.join(IDENTITY), identity)?;
        }
        Ok(())
    }
}

/// File that holds a job's output directory (`DIR/.molkd.lock`).
pub const LOCK_FILE: &str = ".molkd.lock";

/// What to do with the outputs of an earlier run in a job's output directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingRun {
    /// Refuse a directory that holds anything (the default).
    Refuse,
    /// Continue the run in it (`--resume`).
    Resume,
    /// Remove its outputs first (`--overwrite`); other files are left alone.
    Overwrite,
}

/// A job's output directory, held by this process: an advisory lock on `DIR/.molkd.lock`,
/// released when this value drops or the process ends, even by a crash. Opening it refuses a
/// directory in use by another process (naming it) and, unless told to resume or overwrite, a
/// directory that holds anything.
#[derive(Debug)]
pub struct OutputDir {
    root: PathBuf,
    // Held for the lock.
    _lock: fs::File,
}

impl OutputDir {
    /// Creates (if needed) and locks `root`. `outputs` names the files and folders the job
    /// writes there, which [`ExistingRun::Overwrite`] removes.
    pub fn open(root: &Path, existing: ExistingRun, outputs: &[&str]) -> Result<Self> {
        fs::create_dir_all(root).map_err(io(root))?;
        let lock_path = root.join(LOCK_FILE);
        let mut lock = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = lock.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(TrainError::Invalid(format!(
                    "{} is in use by process {}: wait for it to finish, or choose another \
                     output directory",
                    root.display(),
                    if holder.is_empty() {
                        "(unknown)"
                    } else {
                        holder
                    }
                )));
            }
            Err(fs::TryLockError::Error(source)) => {
                return Err(TrainError::Io {
                    path: lock_path,
                    source,
                });
            }
        }
        let pid = std::process::id().to_string();
        lock.set_len(0)
            .and_then(|()| lock.rewind())
            .and_then(|()| lock.write_all(pid.as_bytes()))
            .and_then(|()| lock.flush())
            .map_err(io(&lock_path))?;
        let mut present = Vec::new();
        for entry in fs::read_dir(root).map_err(io(root))? {
            let name = entry.map_err(io(root))?.file_name();
            if name != LOCK_FILE {
                present.push(name.to_string_lossy().into_owned());
            }
        }
        present.sort();
        match existing {
            ExistingRun::Resume => {}
            ExistingRun::Refuse if !present.is_empty() => {
                let shown: Vec<&str> = present.iter().take(6).map(String::as_str).collect();
                return Err(TrainError::Invalid(format!(
                    "{} is not empty (it holds {}{}): pass --resume to continue the run in it, \
                     --overwrite to replace its outputs, or choose another directory",
                    root.display(),
                    shown.join(", "),
                    if present.len() > shown.len() {
                        ", ..."
                    } else {
                        ""
                    }
                )));
            }
            ExistingRun::Refuse => {}
            ExistingRun::Overwrite => {
                for name in outputs.iter().filter(|n| present.iter().any(|p| p == *n)) {
                    let path = root.join(name);
                    let removed = if path.is_dir() {
                        fs::remove_dir_all(&path)
                    } else {
                        fs::remove_file(&path)
                    };
                    removed.map_err(io(&path))?;
                }
            }
        }
        Ok(Self {
            root: root.to_path_buf(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
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
