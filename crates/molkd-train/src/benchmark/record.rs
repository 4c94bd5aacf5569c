//! Appending a finished run to `OUT/<dataset>.json` when several sweeps share the file.
//!
//! Two sweeps on one data set (say the baseline in one terminal and a distillation form in
//! another) each hold the results they read at start. Writing that copy back after a run
//! would drop whatever the other sweep recorded meanwhile, so each record re-reads the file
//! under an exclusive lock (`<dataset>.json.lock`, held only for the read–append–write).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use super::{BenchmarkResults, BenchmarkRun};
use crate::error::{Result, TrainError};
use crate::run_dir::{read_json, write_json};

/// Adds `run` to the results file at `path`.
///
/// `results` is this sweep's view: it becomes the file's content plus `run`. A run of the
/// same method, seed and epochs already in the file (another sweep finished it first) is
/// kept and `run` is dropped, so the file never holds a run twice.
pub(crate) fn record_run(
    path: &Path,
    results: &mut BenchmarkResults,
    run: BenchmarkRun,
) -> Result<()> {
    let lock_path = PathBuf::from(format!("{}.lock", path.display()));
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| TrainError::Io {
            path: lock_path.clone(),
            source,
        })?;
    lock.lock().map_err(|source| TrainError::Io {
        path: lock_path.clone(),
        source,
    })?;
    if path.exists() {
        let on_disk: BenchmarkResults = read_json(path)?;
        results.runs = on_disk.runs;
    }
    let recorded = results
        .runs
        .iter()
        .any(|r| r.method == run.method && r.seed == run.seed && r.epochs == run.epochs);
    if !recorded {
        results.runs.push(run);
    }
    let written = write_json(path, results);
    // Dropping the file releases the lock; the lock file itself stays (removing it could
    // race with a sweep that has just opened it).
    drop(lock);
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::fixtures::{results, run};

    #[test]
    fn runs_recorded_by_another_sweep_meanwhile_are_kept() {
        let dir = std::env::temp_dir().join(format!("molkd-record-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tox21.json");
        // Both sweeps start from the same file with one baseline run.
        write_json(
            &path,
            &results("tox21", vec![run("gin", 0, 100, 0.74, 0.73)]),
        )
        .unwrap();
        let mut baseline: BenchmarkResults = read_json(&path).unwrap();
        let mut distill: BenchmarkResults = read_json(&path).unwrap();

        record_run(&path, &mut baseline, run("gin", 1, 100, 0.75, 0.74)).unwrap();
        record_run(&path, &mut distill, run("gin+kd", 0, 100, 0.76, 0.75)).unwrap();
        // The same run finished twice is written once.
        record_run(&path, &mut baseline, run("gin", 1, 100, 0.70, 0.70)).unwrap();

        let on_disk: BenchmarkResults = read_json(&path).unwrap();
        let keys: Vec<(&str, u64, f64)> = on_disk
            .runs
            .iter()
            .map(|r| (r.method.as_str(), r.seed, r.outcome.test_at_best.unwrap()))
            .collect();
        assert_eq!(
            keys,
            [("gin", 0, 0.74), ("gin", 1, 0.75), ("gin+kd", 0, 0.76)]
        );
        assert_eq!(baseline.runs.len(), 3, "the sweep's view follows the file");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
