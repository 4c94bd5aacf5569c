//! Pre-train the moleblend encoder by blend-then-predict (MoleBLEND) on the training molecules
//! of QM9's random split, and compare it with the same encoder untrained on held-out
//! molecules (every loss, SPD accuracy where SPD was hidden, direction error where only 2D
//! was seen).
//!
//! ```text
//! MOLKD_DATA_DIR=../shared/data cargo run --release --example pretrain_moleblend -- [--objective blend|2d|3d] [--epochs 10] [--out results/pretrain-blend]
//! ```
//!
//! Takes the flags of `molkd pretrain-blend` (`--help`). Fine-tune from the result with
//! `--init OUT` on `molkd train` or any benchmark example.

use clap::Parser;
use molkd::cli::PretrainBlendArgs;
use molkd::train::pretrain::blend_job::run_blend_job;

molkd::use_mimalloc!();

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: PretrainBlendArgs,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    molkd::keep_freed_memory();
    let cli = Cli::parse();
    let device = cli.args.device.device()?.autodiff();
    let report = run_blend_job(&cli.args.job()?, &device)?;
    println!("{}", report.markdown());
    Ok(())
}
