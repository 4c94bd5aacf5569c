//! MolKD in a few minutes on 2 CPU cores: pre-train a small reaction teacher on a slice of the
//! USPTO reactions with yields, then fine-tune the GIN student on BBBP twice from the same seed,
//! without and with distillation from the teacher, and print both scores.
//!
//! ```text
//! MOLKD_DATA_DIR=../shared/data cargo run --release --example quickstart -- [OUT]
//! ```
//!
//! Writes into `OUT` (default `results/quickstart`): `teacher/` (checkpoint and report), the
//! two students (`student/`, `student-kd/`, each loadable by `molkd predict --model`) and their
//! validation / test curves (`bbbp.svg`). A second run resumes the teacher's finished run and
//! refuses to overwrite the students. The full-scale runs are the documented commands
//! (docs/benchmarks.md): 5 teacher epochs on every reaction, 100 student epochs, 3–10 seeds.

use std::path::{Path, PathBuf};

use clap::Parser;
use molkd::distill::{KdConfig, KdForm};
use molkd::prelude::*;
use molkd::train::curves::{Curve, write_learning_curves};
use molkd::train::pretrain::job::run_pretrain_job;

molkd::use_mimalloc!();

/// The teacher: MolR's GCN 2 × 256 with InfoNCE on 20,000 reactions, for a quick first look
/// (`molkd pretrain-teacher`'s default, the student's GIN 5 × 300, distils better but trains
/// ~7× slower).
#[derive(Parser)]
struct TeacherCli {
    #[command(flatten)]
    args: molkd::cli::PretrainTeacherArgs,
}

const STUDENT_EPOCHS: usize = 10;

fn main() -> std::process::ExitCode {
    molkd::keep_freed_memory();
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or("results/quickstart".into()),
    );
    let device = molkd::default_cpu_device();
    for name in ["student", "student-kd"] {
        refuse_existing(&out.join(name))?;
    }

    // 1. The reaction teacher (resumed if a finished run is there).
    let teacher_out = out.join("teacher");
    let teacher = TeacherCli::parse_from([
        "pretrain-teacher",
        "--max-train",
        "20000",
        "--max-test",
        "2000",
        "--epochs",
        "2",
        "--conv",
        "gcn",
        "--layers",
        "2",
        "--dim",
        "256",
        "--encoder",
        "plain",
        "--resume",
        "--out",
        &teacher_out.to_string_lossy(),
    ]);
    let report = run_pretrain_job(&teacher.args.job()?, &device)?;
    let o = &report.outcome;
    println!(
        "teacher: {} reactions, {:.0} s; test product retrieval MRR {:.3} (untrained {:.3})",
        o.train, o.train_seconds, o.test_trained.retrieval.mrr, o.test_untrained.retrieval.mrr
    );

    // 2. Two students on BBBP, same seed and split: the task alone, and task + relational KD.
    let scheme = FeatureScheme::PretrainGnns;
    let data = dataset_spec("bbbp")?.load(&data_dir(None)?, scheme.featurizer())?;
    let split = scaffold_split(&data.smiles, SplitFractions::default())?;
    let mut curves = Vec::new();
    for (name, distil) in [("student", false), ("student-kd", true)] {
        let mut config = FinetuneConfig::protocol(scheme.featurizer(), data.num_tasks());
        config.optim = config.optim.with_epochs(STUDENT_EPOCHS).with_seed(0);
        if distil {
            config.kd = Some(KdConfig::new().with_form(KdForm::Relational));
        }
        let teacher_dir = distil.then(|| teacher_out.join("teacher"));
        let embeddings = config.fit_to(&data, scheme, teacher_dir.as_deref(), &device)?;
        let trained = Finetune::new(&config, &data, &split)
            .teacher(embeddings.as_ref())
            .progress_bar(true)
            .run(&device)?;
        let s = &trained.state;
        println!(
            "{name}: test ROC-AUC {:.1} at the best-validation epoch {}, {:.1} at the last",
            100.0 * s.test_at_best().unwrap_or(f64::NAN),
            s.best_epoch.unwrap_or(0),
            100.0 * s.test_at_last().unwrap_or(f64::NAN)
        );
        let card = ModelCard::for_data(scheme, &data, s.scaler.clone());
        trained.predictor(card)?.save(&out.join(name))?;
        for (split_name, test) in [("valid", false), ("test", true)] {
            curves.push(Curve {
                label: format!("{name} {split_name}"),
                points: s
                    .history
                    .iter()
                    .filter_map(|e| {
                        let v = if test { e.test } else { e.valid };
                        v.map(|v| (e.epoch as f64, v))
                    })
                    .collect(),
                colour: usize::from(distil),
                emphasis: test,
            });
        }
    }
    write_learning_curves(&out.join("bbbp.svg"), "BBBP", "ROC-AUC", &curves)?;
    println!(
        "(one seed, {STUDENT_EPOCHS} epochs, a teacher of 2 epochs on 20,000 reactions: a \
         demonstration of the method, not its benchmark; see docs/benchmarks.md)"
    );
    println!(
        "models: {0}/student, {0}/student-kd (molkd predict --model DIR); teacher: {0}/teacher; \
         curves: {0}/bbbp.svg",
        out.display()
    );
    Ok(())
}

/// Refuses `dir` when it already holds something: a run never overwrites a user's model.
fn refuse_existing(dir: &Path) -> Result<(), String> {
    let empty = std::fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none());
    if empty {
        Ok(())
    } else {
        Err(format!(
            "{} is not empty: remove it or give another output directory",
            dir.display()
        ))
    }
}
