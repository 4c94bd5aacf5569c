//! Benchmark sweeps behind `examples/<dataset>.rs`: one data set (a MoleculeNet registry set
//! under its scaffold split, or a QM9 target under Transformer-M's random split per seed), the
//! fine-tuning protocol over several seeds, with or without distillation.
//!
//! Results go to `OUT/<dataset>.json` after every finished run, so an interrupted sweep
//! resumes where it stopped: runs already recorded (same method, seed and epochs) are
//! skipped, and a run cut off mid-way continues from its last epoch checkpoint in
//! `OUT/runs/<dataset>/`. Sweeps of different methods or seeds on one data set may run at
//! the same time: each run is added to the file under a lock, keeping the others' runs. Each sweep also writes `OUT/<dataset>.md` (the summary table, then
//! every run) and `OUT/<dataset>.svg` (mean validation / test curves per method).
//! [`comparison_table`] puts the data sets of a results directory side by side (`molkd
//! results`); [`paired_table`] sets each method against a baseline on matched seeds (`molkd
//! results --baseline gin`), and [`pooled_table`] pools those differences over the data sets;
//! [`BenchmarkResults::seed_table`] lists every run (`molkd results
//! --per-seed`).

#[cfg(test)]
mod fixtures;
mod paired;
mod record;
mod seeds;
mod set;
mod table;

pub use paired::{paired_table, pooled_table};
pub use set::{BenchmarkSet, QM9_FILE, Qm9Benchmark};
pub use table::{ScoreAt, comparison_table, load_results};

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use molkd_graph::FeatureScheme;
use serde::{Deserialize, Serialize};

use crate::curves::{Curve, write_learning_curves};
use crate::error::{Result, TrainError};
use crate::finetune::{Finetune, FinetuneConfig, RunOutcome, TaskMetric};
use crate::run_dir::{RunDir, RunIdentity, read_json};

/// A sweep over seeds of one method on one data set.
#[derive(Debug, Clone)]
pub struct BenchmarkJob {
    /// The data set.
    pub dataset: BenchmarkSet,
    /// Data directory holding `moleculenet/` (and `3d/` for QM9).
    pub data_dir: PathBuf,
    /// Results directory.
    pub out: PathBuf,
    /// Student feature scheme.
    pub scheme: FeatureScheme,
    /// Protocol; the task count is set from the data, `optim.seed` by each seed, and with a
    /// teacher the projection width to the teacher's.
    pub config: FinetuneConfig,
    /// Seeds (initialisation, data order, dropout; the scaffold split is deterministic, QM9's
    /// random split is drawn by the seed).
    pub seeds: Vec<u64>,
    /// Teacher checkpoint directory; required when `config.kd` is set.
    pub teacher: Option<PathBuf>,
}

/// One finished run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchmarkRun {
    /// Method label, e.g. `gin` or `gin+kd-mse(λ=1,τ=0.1)`.
    pub method: String,
    /// Run seed.
    pub seed: u64,
    /// Epochs trained.
    pub epochs: usize,
    /// Teacher checkpoint, when distilling.
    pub teacher: Option<String>,
    /// Scores and history.
    #[serde(flatten)]
    pub outcome: RunOutcome,
    /// Wall time of the process that finished the run, seconds: after a resume, only its part
    /// ([`wall_seconds`](Self::wall_seconds) has the whole run's).
    pub seconds: f64,
}

impl BenchmarkRun {
    /// Wall time of the whole run, seconds: its epochs' times summed across resumes, or, in
    /// records from before epochs kept their time, the finishing process's
    /// [`seconds`](Self::seconds).
    pub fn wall_seconds(&self) -> f64 {
        self.outcome.epoch_seconds().unwrap_or(self.seconds)
    }
}

/// Everything measured on one data set (`OUT/<dataset>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchmarkResults {
    /// Registry name.
    pub dataset: String,
    /// The score.
    pub metric: TaskMetric,
    /// Molecules kept / rows skipped by the loader.
    pub molecules: usize,
    /// Rows skipped by the loader.
    pub skipped: usize,
    /// Scaffold split sizes: train, valid, test.
    pub split: [usize; 3],
    /// Finished runs, in the order they finished.
    pub runs: Vec<BenchmarkRun>,
}

/// Mean and sample standard deviation over seeds of one method.
#[derive(Debug, Clone, Serialize)]
pub struct MethodSummary {
    /// Method label.
    pub method: String,
    /// Epochs.
    pub epochs: usize,
    /// Runs recorded, scored or not.
    pub runs: usize,
    /// Test at the best-validation epoch.
    pub test_at_best: SeedScores,
    /// Test after the last epoch.
    pub test_at_last: SeedScores,
}

/// Mean ± sample std of one score over the seeds that have it. A run can lack a score (no
/// task with both classes in its split), so `seeds` may be below the runs recorded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SeedScores {
    /// Mean over seeds (0 when none).
    pub mean: f64,
    /// Sample standard deviation (0 for fewer than two seeds).
    pub std: f64,
    /// Seeds with a score.
    pub seeds: usize,
}

impl SeedScores {
    pub(crate) fn of(values: &[f64]) -> Self {
        let (mean, std) = mean_std(values);
        Self {
            mean,
            std,
            seeds: values.len(),
        }
    }
}

/// The method label of a configuration: the encoder (a GNN's layer kind, or `moleblend-2d`
/// etc.), the pre-training it starts from, and the distillation loss with its teacher.
///
/// The teacher is named by its pre-training's output directory, except the default one
/// (`molkd pretrain-teacher`'s `results/teacher`, named `teacher`), which earlier records
/// leave unnamed: `gin+kd-relational(λ=1,τ=0.1)` is that teacher,
/// `gin+kd-relational(λ=1,τ=0.1,teacher=gin-teacher)` the one in `gin-teacher/`. So runs
/// from teachers in differently named directories never share a label, and a results file
/// does not take one such teacher's run for another's.
///
/// ```
/// use std::path::Path;
///
/// use molkd_distill::{KdConfig, KdForm};
/// use molkd_graph::PretrainGnnFeaturizer;
/// use molkd_train::benchmark::method_label;
/// use molkd_train::finetune::FinetuneConfig;
///
/// let mut config = FinetuneConfig::protocol(&PretrainGnnFeaturizer, 12);
/// assert_eq!(method_label(&config, None), "gin");
/// config.kd = Some(KdConfig::new().with_form(KdForm::Relational));
/// let default = Path::new("results/teacher/teacher");
/// assert_eq!(method_label(&config, Some(default)), "gin+kd-relational(λ=1,τ=0.1)");
/// let other = Path::new("runs/gin-teacher/teacher");
/// assert_eq!(
///     method_label(&config, Some(other)),
///     "gin+kd-relational(λ=1,τ=0.1,teacher=gin-teacher)"
/// );
/// ```
pub fn method_label(config: &FinetuneConfig, teacher: Option<&std::path::Path>) -> String {
    let mut conv = config.model.encoder.label();
    if let Some(dir) = &config.init {
        conv = format!("{conv}+init-{}", init_name(dir));
    }
    match &config.kd {
        None => conv,
        Some(kd) => {
            let teacher = teacher
                .map(init_name)
                .filter(|name| Some(name.as_str()) != default_teacher_name())
                .map_or_else(String::new, |name| format!(",teacher={name}"));
            format!(
                "{conv}+kd-{}(λ={},τ={}{teacher})",
                kd.form, kd.lambda, kd.temperature
            )
        }
    }
}

/// The directory name of the default teacher pre-training
/// ([`crate::pretrain::DEFAULT_TEACHER_DIR`]), which method labels leave unnamed.
fn default_teacher_name() -> Option<&'static str> {
    std::path::Path::new(crate::pretrain::DEFAULT_TEACHER_DIR)
        .file_name()
        .and_then(|name| name.to_str())
}

/// The name a pre-training goes by in method labels: its output directory's name (the
/// directory above `model/` when `--init` names that).
fn init_name(dir: &std::path::Path) -> String {
    let dir = crate::finetune::pretraining_dir(dir);
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// ROC-AUC is shown in percent, as papers report it; RMSE in label units.
pub(crate) fn display_scale(metric: TaskMetric) -> f64 {
    if metric == TaskMetric::RocAuc {
        100.0
    } else {
        1.0
    }
}

/// `mean ± std` with `decimals` digits, or just the mean for a single seed (no spread).
pub(crate) fn mean_pm_std(mean: f64, std: f64, seeds: usize, decimals: usize) -> String {
    if seeds == 1 {
        format!("{mean:.decimals$}")
    } else {
        format!("{mean:.decimals$} ± {std:.decimals$}")
    }
}

pub(crate) fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n.max(1.0);
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

impl BenchmarkResults {
    /// Runs grouped by (method, epochs), in label order.
    pub(crate) fn by_method(&self) -> BTreeMap<(String, usize), Vec<&BenchmarkRun>> {
        let mut groups: BTreeMap<(String, usize), Vec<&BenchmarkRun>> = BTreeMap::new();
        for run in &self.runs {
            groups
                .entry((run.method.clone(), run.epochs))
                .or_default()
                .push(run);
        }
        groups
    }

    /// Per (method, epochs): mean ± std of the test scores over seeds (runs without a score
    /// are left out).
    pub fn summary(&self) -> Vec<MethodSummary> {
        self.by_method()
            .into_iter()
            .map(|((method, epochs), runs)| {
                let best: Vec<f64> = runs.iter().filter_map(|r| r.outcome.test_at_best).collect();
                let last: Vec<f64> = runs.iter().filter_map(|r| r.outcome.test_at_last).collect();
                MethodSummary {
                    method,
                    epochs,
                    runs: runs.len(),
                    test_at_best: SeedScores::of(&best),
                    test_at_last: SeedScores::of(&last),
                }
            })
            .collect()
    }

    /// The summary as a Markdown table (ROC-AUC in percent, as papers report it), then
    /// every run ([`seed_table`](Self::seed_table)).
    pub fn markdown(&self) -> String {
        let scale = display_scale(self.metric);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "## {} — train / valid / test {} / {} / {} ({} molecules, {} rows skipped)\n",
            self.dataset, self.split[0], self.split[1], self.split[2], self.molecules, self.skipped
        );
        let m = self.metric.name();
        let _ = writeln!(
            s,
            "| method | epochs | seeds | test {m} at best valid | test {m} at last epoch |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|");
        for g in self.summary() {
            // The count is shown only where some run has no such score.
            let show = |v: SeedScores| match v.seeds {
                0 => "–".to_string(),
                n if n == g.runs => mean_pm_std(v.mean * scale, v.std * scale, n, 2),
                n => format!(
                    "{} (n={n})",
                    mean_pm_std(v.mean * scale, v.std * scale, n, 2)
                ),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                g.method,
                g.epochs,
                g.runs,
                show(g.test_at_best),
                show(g.test_at_last)
            );
        }
        s.push_str("\nPer run:\n\n");
        s.push_str(&self.seed_table());
        s
    }

    /// Mean validation (thin) and test (thick) curves per method over its seeds.
    pub fn curves(&self) -> Vec<Curve> {
        let mut curves = Vec::new();
        for (colour, ((method, _), runs)) in self.by_method().into_iter().enumerate() {
            for (which, emphasis) in [("valid", false), ("test", true)] {
                let epochs = runs
                    .iter()
                    .map(|r| r.outcome.history.len())
                    .min()
                    .unwrap_or(0);
                let points = (0..epochs)
                    .filter_map(|e| {
                        let values: Vec<f64> = runs
                            .iter()
                            .filter_map(|r| {
                                let h = &r.outcome.history[e];
                                if which == "valid" { h.valid } else { h.test }
                            })
                            .collect();
                        (!values.is_empty()).then(|| ((e + 1) as f64, mean_std(&values).0))
                    })
                    .collect();
                curves.push(Curve {
                    label: format!("{method} {which} (n={})", runs.len()),
                    points,
                    colour,
                    emphasis,
                });
            }
        }
        curves
    }
}

/// A file-system-safe name of a run directory.
fn slug(method: &str, epochs: usize, seed: u64) -> String {
    let clean: String = method
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{clean}-e{epochs}-seed{seed}")
}

/// Runs `job` on `device` (training on its autodiff twin), skipping runs already in the results file,
/// and returns all results of the data set (earlier runs included).
pub fn run_benchmark(job: &BenchmarkJob, device: &Device) -> Result<BenchmarkResults> {
    if job.seeds.is_empty() {
        return Err(TrainError::Invalid("no seeds to run".into()));
    }
    let name = job.dataset.name();
    let name = name.as_str();
    let featurizer = job.scheme.featurizer();
    let start = Instant::now();
    let data = job.dataset.load(&job.data_dir, featurizer)?;
    eprintln!("{} ({:.1?})", data.skip_report(), start.elapsed());
    let split = job.dataset.split(&data, job.seeds[0])?;

    let mut config = job.config.clone();
    config.metric = job.dataset.metric();
    let start = Instant::now();
    let teacher = config.fit_to(&data, job.scheme, job.teacher.as_deref(), device)?;
    if let Some(t) = &teacher {
        eprintln!(
            "teacher embeddings {} × {} ({:.1?})",
            t.len(),
            t.dim(),
            start.elapsed()
        );
    }
    let label = method_label(&config, job.teacher.as_deref());
    let method = match job.dataset.fixed_split_seed() {
        Some(s) => format!("{label}@split{s}"),
        None => label,
    };
    // What each run's checkpoints must match to be resumed.
    let fingerprint = data.fingerprint();
    let teacher_checkpoint = job
        .teacher
        .as_deref()
        .filter(|_| config.kd.is_some())
        .map(molkd_models::checkpoint::checkpoint_fingerprint)
        .transpose()?;
    let init_checkpoint = config
        .init
        .as_deref()
        .map(|dir| {
            molkd_models::checkpoint::checkpoint_fingerprint(&crate::finetune::checkpoint_dir(dir))
        })
        .transpose()?;

    std::fs::create_dir_all(&job.out).map_err(|source| TrainError::Io {
        path: job.out.clone(),
        source,
    })?;
    let path = job.out.join(format!("{name}.json"));
    let mut results = if path.exists() {
        let r: BenchmarkResults = read_json(&path)?;
        if r.dataset != name {
            return Err(TrainError::Invalid(format!(
                "{} holds results of `{}`, not `{name}`",
                path.display(),
                r.dataset
            )));
        }
        r
    } else {
        BenchmarkResults {
            dataset: name.to_string(),
            metric: config.metric_for(data.task_type),
            molecules: data.len(),
            skipped: data.skipped.len(),
            split: [split.train.len(), split.valid.len(), split.test.len()],
            runs: Vec::new(),
        }
    };
    let epochs = config.optim.epochs;
    for &seed in &job.seeds {
        if results
            .runs
            .iter()
            .any(|r| r.method == method && r.seed == seed && r.epochs == epochs)
        {
            eprintln!("{name} {method} seed {seed}: already in {}", path.display());
            continue;
        }
        config.optim.seed = seed;
        let split = if job.dataset.split_per_seed() {
            job.dataset.split(&data, seed)?
        } else {
            split.clone()
        };
        let run = RunDir::create(
            job.out
                .join("runs")
                .join(name)
                .join(slug(&method, epochs, seed)),
        )?;
        run.claim(
            &RunIdentity::new()
                .with("data", &fingerprint)
                .with("teacher", &teacher_checkpoint)
                .with("init", &init_checkpoint)
                .with("split-seed", job.dataset.fixed_split_seed())
                .with_fields("config", &config, config.optim.resumable_settings()),
        )?;
        let start = Instant::now();
        let done = Finetune::new(&config, &data, &split)
            .featurizer(featurizer)
            .teacher(teacher.as_ref())
            .checkpoints(&run, true)
            .progress_bar(true)
            .run(device)?;
        let record = BenchmarkRun {
            method: method.clone(),
            seed,
            epochs,
            teacher: job
                .teacher
                .as_ref()
                .filter(|_| config.kd.is_some())
                .map(|t| t.display().to_string()),
            outcome: done.state.into(),
            seconds: start.elapsed().as_secs_f64(),
        };
        eprintln!(
            "{name} {method} seed {seed}: {} ({:.0} s)",
            record.outcome.summary(results.metric),
            record.seconds
        );
        record::record_run(&path, &mut results, record)?;
        // The run is recorded: its checkpoints are no longer needed.
        let _ = std::fs::remove_dir_all(run.path());
    }
    write_reports(&results, &job.out)?;
    Ok(results)
}

/// Writes `OUT/<dataset>.md` and `OUT/<dataset>.svg` from `results`.
pub fn write_reports(results: &BenchmarkResults, out: &Path) -> Result<()> {
    let name = &results.dataset;
    molkd_models::checkpoint::write_atomic(
        &out.join(format!("{name}.md")),
        results.markdown().as_bytes(),
    )?;
    let curves = results.curves();
    if curves.iter().any(|c| !c.points.is_empty()) {
        write_learning_curves(
            &out.join(format!("{name}.svg")),
            &format!("{name}: mean over seeds (thin: valid, thick: test)"),
            results.metric.name(),
            &curves,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::fixtures::{results, run};

    #[test]
    fn a_run_without_a_score_is_left_out_of_that_scores_mean_and_count() {
        let mut unscored = run("gin", 2, 100, 0.9, 0.9);
        unscored.outcome.test_at_best = None;
        let set = results(
            "bbbp",
            vec![
                run("gin", 0, 100, 0.6, 0.7),
                run("gin", 1, 100, 0.8, 0.7),
                unscored,
            ],
        );
        let summary = set.summary();
        assert_eq!(summary.len(), 1);
        let g = &summary[0];
        assert_eq!(g.runs, 3);
        assert_eq!(g.test_at_best.seeds, 2);
        assert!((g.test_at_best.mean - 0.7).abs() < 1e-12);
        assert_eq!(g.test_at_last.seeds, 3);
        assert!((g.test_at_last.mean - 0.7667).abs() < 1e-4);
        let table = set.markdown();
        assert!(
            table.contains("| gin | 100 | 3 | 70.00 ± 14.14 (n=2) | 76.67 ± 11.55 |"),
            "{table}"
        );
    }
}
