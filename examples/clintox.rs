//! ClinTox (FDA approval, clinical-trial toxicity): GIN student under the pretrain-gnns protocol (scaffold split, batch 32, Adam 1e-3,
//! 100 epochs), with or without distillation from a reaction teacher.
//!
//! ```text
//! MOLKD_DATA_DIR=../shared/data cargo run --release --example clintox -- [--distill results/teacher/teacher] [--seeds 0..9] [--epochs N]
//! ```
//!
//! Prints the summary table and writes `results/clintox.json` (resumable), `.md` and `.svg`.

molkd::use_mimalloc!();

fn main() -> std::process::ExitCode {
    molkd::cli::benchmark_main("clintox")
}
