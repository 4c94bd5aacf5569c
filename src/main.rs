//! The `molkd` command line: a thin shell over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use molkd::cli::{
    DeviceArgs, PretrainBlendArgs, PretrainStudentArgs, PretrainTeacherArgs, TrainArgs,
};
use molkd::cli_student::StudentPretrainRun;
use molkd::graph::{FeatureScheme, OgbFeaturizer};
use molkd::train::TrainError;
use molkd::train::benchmark::{
    ScoreAt, comparison_table, load_results, paired_table, pooled_table,
};
use molkd::train::data::{data_dir, dataset_spec};
use molkd::train::featurize_file::{featurize_file, relations_file};
use molkd::train::output::write_output;
use molkd::train::pretrain::job::{evaluate_teacher_file, run_pretrain_job};
use molkd::train::train_job::{predict_file, run_train_job};
use molkd::train::{ReactionFormat, ReactionLoadOptions, default_cache_dir};
use molkd::train::{SplitFractions, SplitKind};

molkd::use_mimalloc!();

#[derive(Parser)]
#[command(
    name = "molkd",
    version,
    about = "Molecular property prediction with reaction-to-molecule distillation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Featurise molecules into JSON lines (one object per input molecule, in input order).
    Featurize {
        /// Feature scheme: `ogb` or `pretrain-gnns`.
        #[arg(long, default_value = "ogb")]
        scheme: FeatureScheme,
        /// Input: one SMILES per line, or a CSV with --smiles-column (gzip accepted).
        #[arg(long)]
        input: PathBuf,
        /// Read SMILES from this column of a CSV.
        #[arg(long)]
        smiles_column: Option<String>,
        /// Output JSON-lines file.
        #[arg(long)]
        output: PathBuf,
    },
    /// Atom-pair relations a relation Transformer sees, as JSON lines (one object per input
    /// row, in input order): `{"smiles", "spd": [[...]], "paths": [[[hop bond features]]]}`
    /// (`-1` = different fragments) or `{"smiles", "error"}`.
    Relations {
        /// Input: one SMILES per line, or a CSV with --smiles-column (gzip accepted).
        #[arg(long)]
        input: PathBuf,
        /// Read SMILES from this column of a CSV.
        #[arg(long)]
        smiles_column: Option<String>,
        /// Feature scheme of the bond features along the paths: `ogb` or `pretrain-gnns`.
        #[arg(long, default_value = "ogb")]
        scheme: FeatureScheme,
        /// Hops of each shortest path to list.
        #[arg(long, default_value_t = 5)]
        max_hops: usize,
        /// Output JSON-lines file.
        #[arg(long)]
        output: PathBuf,
    },
    /// Split a registry data set; writes `{"train": [...], "valid": [...], "test": [...]}` of
    /// 0-based data-row numbers (header not counted, unparsable rows excluded).
    Split {
        /// Registry data set (bbbp, tox21, toxcast, sider, clintox, muv, hiv, bace, esol, freesolv, lipo).
        #[arg(long)]
        dataset: String,
        /// Data directory (default: $MOLKD_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// scaffold, random-scaffold or random.
        #[arg(long, default_value = "scaffold")]
        kind: SplitKind,
        /// Seed of the random kinds.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output JSON file.
        #[arg(long)]
        output: PathBuf,
    },
    /// Pre-train a reaction teacher (MolR-style, optionally yield-aware) and write its
    /// checkpoint and a report.
    PretrainTeacher(PretrainTeacherArgs),
    /// Pre-train the moleblend encoder by blend-then-predict (MoleBLEND) on QM9 with its DFT
    /// geometries; fine-tune from it with `train --init OUT` or the examples' `--init OUT`.
    PretrainBlend(PretrainBlendArgs),
    /// Pre-train the GIN student on molecules alone (pretrain-gnns' attribute masking or
    /// context prediction, over the distinct molecules of reaction files); fine-tune from it
    /// with `train --init OUT` or the examples' `--init OUT`.
    PretrainStudent(PretrainStudentArgs),
    /// Score a saved teacher on a reaction file: product retrieval among its reactions (MRR,
    /// Hit@k) and the yield Spearman where it has yields; prints JSON.
    EvaluateTeacher {
        /// Teacher checkpoint directory (`OUT/teacher` of pretrain-teacher).
        #[arg(long)]
        model: PathBuf,
        /// Reaction file.
        #[arg(long)]
        data: PathBuf,
        /// Its layout: uspto-yields, buchwald-hartwig, suzuki-miyaura or jin.
        #[arg(long, default_value = "jin")]
        format: ReactionFormat,
        /// Score at most this many reactions (the first ones).
        #[arg(long)]
        max: Option<usize>,
        /// Backend.
        #[command(flatten)]
        device: DeviceArgs,
    },
    /// Train a student on any CSV (chemprop-style), optionally distilling a teacher; writes
    /// OUT/model (best-validation model), OUT/report.json and OUT/learning_curve.svg.
    Train(TrainArgs),
    /// Print the benchmark results of a directory (`<dataset>.json` written by the examples)
    /// as one Markdown table: a row per method, a column per data set, mean ± std over seeds.
    Results {
        /// Results directory.
        #[arg(long, default_value = "results")]
        dir: PathBuf,
        /// Report the test score after the last epoch instead of at the best-validation epoch.
        #[arg(long)]
        last_epoch: bool,
        /// Also print, per data set, every method against this one (e.g. `gin`) on the seeds
        /// both ran: mean and per-seed differences; then, over the data sets, the differences
        /// pooled (mean ± standard error, how many better, sign test).
        #[arg(long, value_name = "METHOD")]
        baseline: Option<String>,
        /// Also print, per data set, every run: seed, best-validation epoch, its scores, the
        /// last-epoch test score and the wall time.
        #[arg(long)]
        per_seed: bool,
        /// Only these data sets, by name (comma-separated, e.g. `bbbp,tox21`), so a pooled
        /// comparison can be kept to the sets every method has run; default every
        /// `<dataset>.json` in the directory.
        #[arg(long, value_delimiter = ',', value_name = "SET,...")]
        sets: Vec<String>,
    },
    /// Predict with a model from `molkd train`: writes a CSV `smiles,<task>...,error`
    /// (probabilities for classification).
    Predict {
        /// `OUT` (or `OUT/model`) of `molkd train`.
        #[arg(long)]
        model: PathBuf,
        /// One SMILES per line, or a CSV (then --smiles-column, default the training column).
        #[arg(long)]
        input: PathBuf,
        /// SMILES column of a CSV input.
        #[arg(long)]
        smiles_column: Option<String>,
        /// Output CSV.
        #[arg(long)]
        output: PathBuf,
        /// Backend.
        #[command(flatten)]
        device: DeviceArgs,
    },
}

fn main() -> ExitCode {
    molkd::keep_freed_memory();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Featurize {
            scheme,
            input,
            smiles_column,
            output,
        } => {
            let start = std::time::Instant::now();
            let report = featurize_file(&input, smiles_column.as_deref(), scheme, &output)?;
            eprintln!(
                "featurized {} rows ({} with errors, {} blank lines skipped) in {:.2?}",
                report.molecules,
                report.errors,
                report.empty_skipped,
                start.elapsed()
            );
        }
        Command::Relations {
            input,
            smiles_column,
            scheme,
            max_hops,
            output,
        } => {
            let start = std::time::Instant::now();
            let report =
                relations_file(&input, smiles_column.as_deref(), scheme, max_hops, &output)?;
            eprintln!(
                "wrote relations of {} rows ({} with errors, {} blank lines skipped) in {:.2?}",
                report.molecules,
                report.errors,
                report.empty_skipped,
                start.elapsed()
            );
        }
        Command::Split {
            dataset,
            data_dir: dir,
            kind,
            seed,
            output,
        } => {
            let spec = dataset_spec(&dataset)?;
            let dir = data_dir(dir.as_deref())?;
            let file = spec.path_in(&dir)?;
            let data = spec.load(&dir, &OgbFeaturizer)?;
            eprintln!("{}", data.skip_report());
            let split = kind.split(&data.smiles, SplitFractions::default(), seed)?;
            let rows = split.map(&data.rows);
            write_output(&output, &[&file], |out| {
                serde_json::to_writer(out, &rows).map_err(|e| TrainError::Invalid(e.to_string()))
            })?;
            eprintln!(
                "{kind} split of {}: train {}, valid {}, test {}",
                spec.name,
                rows.train.len(),
                rows.valid.len(),
                rows.test.len()
            );
        }
        Command::EvaluateTeacher {
            model,
            data,
            format,
            max,
            device,
        } => {
            let device = device.device()?;
            let load = ReactionLoadOptions::default().cache_in(default_cache_dir());
            let (eval, n) = evaluate_teacher_file(&model, format, &data, max, &load, &device)?;
            println!(
                "{}",
                serde_json::json!({ "reactions": n, "retrieval": eval.retrieval, "yield_spearman": eval.yield_spearman })
            );
        }
        Command::Train(args) => {
            let device = args.device.device()?.autodiff();
            let report = run_train_job(&args.job()?, &device)?;
            println!(
                "{}; model in {}",
                report.outcome.summary(report.metric),
                args.out.join("model").display()
            );
        }
        Command::Predict {
            model,
            input,
            smiles_column,
            output,
            device,
        } => {
            let device = device.device()?;
            let report = predict_file(&model, &input, smiles_column.as_deref(), &output, &device)?;
            eprintln!(
                "predicted {} rows ({} without predictions: see their `error` column) into {}",
                report.molecules,
                report.failed,
                output.display()
            );
        }
        Command::Results {
            dir,
            last_epoch,
            baseline,
            per_seed,
            sets,
        } => {
            let mut results = load_results(&dir)?;
            if results.is_empty() {
                return Err(format!("{}: no <dataset>.json results in it", dir.display()).into());
            }
            if let Some(missing) = sets
                .iter()
                .find(|s| !results.iter().any(|r| &r.dataset == *s))
            {
                return Err(format!("--sets: no {missing}.json in {}", dir.display()).into());
            }
            if !sets.is_empty() {
                results.retain(|r| sets.contains(&r.dataset));
            }
            let at = if last_epoch {
                ScoreAt::LastEpoch
            } else {
                ScoreAt::BestValid
            };
            print!("{}", comparison_table(&results, at));
            if let Some(baseline) = baseline {
                for set in &results {
                    match paired_table(set, &baseline, at) {
                        Some(table) => print!("\n{}, against {baseline}:\n\n{table}", set.dataset),
                        None => println!("\n{}: no {baseline} runs to pair with", set.dataset),
                    }
                }
                if let Some(table) = pooled_table(&results, &baseline, at) {
                    print!("\n{table}");
                }
            }
            if per_seed {
                for set in &results {
                    print!("\n{}, per run:\n\n{}", set.dataset, set.seed_table());
                }
            }
        }
        Command::PretrainBlend(args) => {
            let device = args.device.device()?.autodiff();
            let report = molkd::train::pretrain::blend_job::run_blend_job(&args.job()?, &device)?;
            println!("{}", report.markdown());
        }
        Command::PretrainStudent(args) => {
            let device = args.device.device()?.autodiff();
            let markdown = match args.job()? {
                StudentPretrainRun::Pretext(job) => {
                    molkd::train::pretrain::student_job::run_student_pretrain_job(&job, &device)?
                        .markdown()
                }
                StudentPretrainRun::Reaction(job) => run_pretrain_job(&job, &device)?.markdown(),
            };
            println!("{markdown}");
        }
        Command::PretrainTeacher(args) => {
            let device = args.device.device()?.autodiff();
            let report = run_pretrain_job(&args.job()?, &device)?;
            println!("{}", report.markdown());
        }
    }
    Ok(())
}
