//! Pre-train a reaction teacher on USPTO reactions with yields and compare it with the same
//! encoder untrained on the test split (product retrieval, yield Spearman).
//!
//! ```text
//! MOLKD_DATA_DIR=../shared/data cargo run --release --example pretrain_teacher -- [--loss yield-weighted] [--epochs 3] [--out results/teacher]
//! ```
//!
//! Takes the flags of `molkd pretrain-teacher` (`--help`).

use clap::Parser;
use molkd::cli::PretrainTeacherArgs;
use molkd::train::pretrain::job::run_pretrain_job;

molkd::use_mimalloc!();

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: PretrainTeacherArgs,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    molkd::keep_freed_memory();
    let cli = Cli::parse();
    let device = cli.args.device.device()?.autodiff();
    let report = run_pretrain_job(&cli.args.job()?, &device)?;
    println!("{}", report.markdown());
    Ok(())
}
