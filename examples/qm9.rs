//! QM9 (130,831 molecules with DFT geometries): HOMO, LUMO and gap (others by `--targets`),
//! one model per target, under Transformer-M's protocol: random split 110,000 / 10,000 / rest
//! by seed, targets standardised on the training molecules, test MAE (meV for energies) at
//! the best-validation epoch. The student defaults to the MoleBLEND relation Transformer on 3D
//! relations (`--input 3d|2d|2d3d`; `--encoder gnn` for the GIN on the 2D graph).
//!
//! ```text
//! MOLKD_DATA_DIR=../shared/data cargo run --release --example qm9 -- [--targets gap] [--input 2d] [--seeds 0..2] [--epochs N]
//! ```
//!
//! Writes `results/qm9-<target>.json` (resumable), `.md` and `.svg` per target.

molkd::use_mimalloc!();

fn main() -> std::process::ExitCode {
    molkd::cli::qm9_main()
}
