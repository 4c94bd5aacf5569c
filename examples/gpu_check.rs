//! The GPU check behind `scripts/gpu_check.sh`: on a GPU device, (1) correctness — segment
//! sums and gathers, and a GIN student's forward and gradients, against flex (within 1e-4),
//! segment sums bit-identical run to run; (2) throughput — the message-passing micro-bench
//! (gather + sum, forward and backward, E = 10k and 80k edges, D = 300) and training
//! molecules/s of the GIN 5 × 300 student at batch 32, 256 and 1,024 on real molecules, each
//! with burn's `select`/`select_assign` path ("old") and molkd's segment kernels ("new").
//!
//! ```text
//! cargo run --release --features wgpu --example gpu_check -- [--device wgpu|vulkan|cuda]
//!     [--data FILE.csv] [--out report.md]
//! ```
//!
//! Without a GPU it runs on whatever `--device` names (e.g. `wgpu` on Mesa's lavapipe), which
//! checks the code paths but says nothing about speed.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use clap::Parser;
use molkd::graph::message_passing::{
    Segments, gather, gather_segments, scatter_sum, segment_sum, set_segment_kernels,
};
use molkd::graph::random::Generator;
use molkd::graph::{Collate, Featurizer, MolGraph, PretrainGnnFeaturizer};
use molkd::models::{Checkpointed, GnnEncoderConfig, StudentModel, StudentModelConfig};

#[path = "../benches/common.rs"]
mod common;

molkd::use_mimalloc!();

#[derive(Parser)]
struct Cli {
    /// GPU device: wgpu, vulkan (SPIR-V) or cuda, as built.
    #[arg(long, default_value = "wgpu")]
    device: String,
    /// A CSV with a `smiles` column (default: the MoleculeNet sets under $MOLKD_DATA_DIR, or
    /// the committed fixture repeated).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Also write the report here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Timed training steps per batch size.
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// Only the correctness checks (e.g. on a software driver, where timings mean nothing).
    #[arg(long)]
    correctness_only: bool,
}

fn gpu_device(name: &str) -> Result<Device, String> {
    match name {
        "wgpu" => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        #[cfg(feature = "vulkan")]
        "vulkan" => Ok(Device::vulkan(burn::tensor::DeviceKind::DefaultDevice)),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(Device::cuda(0)),
        other => Err(format!(
            "--device {other}: not built (wgpu, vulkan, cuda as features)"
        )),
    }
}

fn floats(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32")
}

/// The largest `|a − b| / (1 + |a|)`: absolute for small values, relative for large ones
/// (the criterion of `crates/molkd-models/tests/backends.rs`).
fn max_scaled_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / (1.0 + x.abs()))
        .fold(0.0, f32::max)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Random destination/source lists of `edges` edges over `nodes` nodes, edges sorted by
/// destination (as collate gives them).
fn random_edges(nodes: usize, edges: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut dst: Vec<usize> = (0..edges).map(|_| next() % nodes).collect();
    dst.sort_unstable();
    let src = (0..edges).map(|_| next() % nodes).collect();
    (dst, src)
}

/// Forward and input gradient of `Σ w ⊙ segment_sum(gather(x))` on `device`.
fn gather_sum(
    x: &[f32],
    nodes: usize,
    width: usize,
    src: &[usize],
    dst: &[usize],
    device: &Device,
) -> (Vec<f32>, Vec<f32>) {
    let x =
        Tensor::<2>::from_data(TensorData::new(x.to_vec(), [nodes, width]), device).require_grad();
    let by_src = Segments::new(src, nodes, device);
    let by_dst = Segments::new(dst, nodes, device);
    let out = segment_sum(gather_segments(x.clone(), &by_src), &by_dst);
    let w = Tensor::<2>::from_data(
        TensorData::new(
            (0..nodes * width)
                .map(|k| ((k % 13) as f32 - 6.0) * 0.1)
                .collect::<Vec<_>>(),
            [nodes, width],
        ),
        device,
    );
    let grads = (out.clone() * w).sum().backward();
    let grad = x.grad(&grads).expect("gradient");
    (
        floats(out),
        grad.into_data().try_to_vec::<f32>().expect("f32"),
    )
}

/// Correctness checks and how many failed.
#[derive(Default)]
struct Checks {
    failures: usize,
}

impl Checks {
    /// A table row: `what` passes when `diff ≤ tol`.
    fn record(&mut self, report: &mut String, what: &str, diff: f32, tol: f32) -> std::fmt::Result {
        let ok = diff <= tol;
        self.failures += usize::from(!ok);
        let shown = if diff.is_finite() {
            format!("{diff:.2e}")
        } else {
            "differs".into()
        };
        writeln!(
            report,
            "| {what} | {shown} | {} |",
            if ok { "ok" } else { "FAILED" }
        )
    }
}

/// The student's predictions and parameter gradients on `device`, from the checkpoint `dir`.
fn student_step(
    dir: &std::path::Path,
    graphs: &[MolGraph],
    device: &Device,
) -> (Vec<f32>, Vec<Vec<f32>>) {
    let batch = Collate::new(&PretrainGnnFeaturizer)
        .collate(graphs, device)
        .expect("batch");
    let (model, _) = StudentModel::load(dir, device).expect("load");
    let out = model.forward(&batch, &mut Generator::new(5)).predictions;
    let grads = out.clone().powi_scalar(2).sum().backward();
    let gradients = molkd::models::parameter_gradients(&model, &grads);
    (floats(out), gradients)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let gpu = gpu_device(&cli.device)?;
    let ad = gpu.clone().autodiff();
    let cpu = Device::flex().autodiff();
    let mut report = String::new();
    let started = Instant::now();
    writeln!(
        report,
        "# molkd GPU check\n\ndevice `{}` ({gpu:?})\n",
        cli.device
    )?;

    // 1. Correctness.
    writeln!(
        report,
        "## Correctness\n\n| check | largest difference | verdict |\n|---|---|---|"
    )?;
    let mut checks = Checks::default();
    for (nodes, edges, width) in [(500usize, 2_000usize, 7usize), (4_000, 10_000, 300)] {
        let (dst, src) = random_edges(nodes, edges, 7);
        let x: Vec<f32> = (0..nodes * width)
            .map(|k| ((k * 31 % 97) as f32 - 48.0) * 0.01)
            .collect();
        let (out_ref, grad_ref) = gather_sum(&x, nodes, width, &src, &dst, &cpu);
        let (out, grad) = gather_sum(&x, nodes, width, &src, &dst, &ad);
        checks.record(
            &mut report,
            &format!("gather + segment sum, E = {edges}, D = {width}: forward"),
            max_abs_diff(&out_ref, &out),
            1e-4,
        )?;
        checks.record(
            &mut report,
            &format!("gather + segment sum, E = {edges}, D = {width}: gradient"),
            max_abs_diff(&grad_ref, &grad),
            1e-4,
        )?;
        let (again, grad_again) = gather_sum(&x, nodes, width, &src, &dst, &ad);
        let identical = again == out && grad_again == grad;
        let differs = if identical { 0.0 } else { f32::INFINITY };
        checks.record(
            &mut report,
            &format!("same inputs twice, E = {edges}: bit-identical"),
            differs,
            0.0,
        )?;
    }
    let f = PretrainGnnFeaturizer;
    let graphs = molecules(&cli, &f)?;
    let encoder =
        GnnEncoderConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
            .with_dropout(0.0);
    let config = StudentModelConfig::new(encoder.clone().into(), 12);
    let tmp = tempfile::tempdir()?;
    config.init(&cpu)?.save(&config, tmp.path())?;
    // The student: the GPU against flex (float sums in another order, so gradients are compared
    // relative to each parameter's largest), and the segment kernels against burn's ops on the
    // same GPU (the same within 1e-4 of each value).
    let (out_flex, grads_flex) = student_step(tmp.path(), &graphs[..64], &cpu);
    set_segment_kernels(false);
    let (out_old, grads_old) = student_step(tmp.path(), &graphs[..64], &ad);
    set_segment_kernels(true);
    let (out, grads) = student_step(tmp.path(), &graphs[..64], &ad);
    checks.record(
        &mut report,
        "GIN 5 × 300 student, 64 molecules: predictions against flex (|Δ| / (1 + |flex|))",
        max_scaled_diff(&out_flex, &out),
        1e-4,
    )?;
    // Information, not a check: burn's own ops differ from flex as much (float sums in
    // another order; biases before a batch norm have a true gradient of 0, so only noise).
    let against_flex = grads_flex
        .iter()
        .zip(&grads)
        .map(|(a, b)| max_scaled_diff(a, b))
        .fold(0.0f32, f32::max);
    writeln!(
        report,
        "| GIN student: parameter gradients against flex (|Δ| / (1 + |flex|); burn's ops on this GPU differ as much) | {against_flex:.2e} | – |"
    )?;
    checks.record(
        &mut report,
        "GIN student: predictions, segment kernels against burn's ops (same GPU)",
        max_scaled_diff(&out_old, &out),
        1e-4,
    )?;
    let same_device = grads_old
        .iter()
        .zip(&grads)
        .map(|(a, b)| max_scaled_diff(a, b))
        .fold(0.0f32, f32::max);
    checks.record(
        &mut report,
        "GIN student: parameter gradients, segment kernels against burn's ops (|Δ| / (1 + |old|))",
        same_device,
        1e-4,
    )?;

    // 2. Throughput.
    if !cli.correctness_only {
        throughput(&cli, &ad, &graphs, &encoder, &mut report)?;
    }
    set_segment_kernels(true);
    writeln!(
        report,
        "\n{} molecules ({}); {} failed checks; {:.0} s.",
        graphs.len(),
        source(&cli),
        checks.failures,
        started.elapsed().as_secs_f64()
    )?;
    print!("{report}");
    if let Some(out) = &cli.out {
        molkd::models::checkpoint::write_atomic(out, report.as_bytes())?;
    }
    if checks.failures > 0 {
        return Err(format!("{} correctness checks failed", checks.failures).into());
    }
    Ok(())
}

/// Old path against new: the message-passing micro-bench and training molecules/s.
fn throughput(
    cli: &Cli,
    ad: &Device,
    graphs: &[MolGraph],
    encoder: &GnnEncoderConfig,
    report: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    writeln!(
        report,
        "\n## Message passing: gather + sum, forward and backward (D = 300)\n\n| edges | old (ms) | new (ms) | speed-up |\n|---|---|---|---|"
    )?;
    for edges in [10_000usize, 80_000] {
        let nodes = edges / 3;
        let (dst, src) = random_edges(nodes, edges, 11);
        let by_src = Segments::new(&src, nodes, ad);
        let by_dst = Segments::new(&dst, nodes, ad);
        let x = Tensor::<2>::random([nodes, 300], Distribution::Normal(0.0, 1.0), ad);
        let time = |kernels: bool| -> Result<f64, Box<dyn std::error::Error>> {
            set_segment_kernels(kernels);
            let run = || {
                let x = x.clone().require_grad();
                let out = if kernels {
                    segment_sum(gather_segments(x.clone(), &by_src), &by_dst)
                } else {
                    scatter_sum(
                        gather(x.clone(), by_src.index.clone()),
                        by_dst.index.clone(),
                        nodes,
                    )
                };
                let grads = out.sum().backward();
                x.grad(&grads)
            };
            for _ in 0..3 {
                run();
            }
            ad.sync()?;
            let start = Instant::now();
            for _ in 0..10 {
                run();
            }
            ad.sync()?;
            Ok(start.elapsed().as_secs_f64() * 100.0) // ms per pass
        };
        let (old, new) = (time(false)?, time(true)?);
        writeln!(
            report,
            "| {edges} | {old:.2} | {new:.2} | {:.1}× |",
            old / new
        )?;
    }
    writeln!(
        report,
        "\n## GIN 5 × 300 student: training molecules/s (forward, backward, Adam)\n\n| batch | old | new | speed-up |\n|---|---|---|---|"
    )?;
    let collate = Collate::new(&PretrainGnnFeaturizer);
    for size in [32usize, 256, 1024] {
        let part = &graphs[..size.min(graphs.len())];
        let batch = collate.collate(part, ad)?;
        let mut per_path = Vec::new();
        for kernels in [false, true] {
            set_segment_kernels(kernels);
            let mut model = Some(StudentModelConfig::new(encoder.clone().into(), 12).init(ad)?);
            let mut adam = AdamConfig::new().init();
            let mut rng = Generator::new(0);
            let mut step = || {
                let m = model.take().expect("model");
                let grads = m.forward(&batch, &mut rng).predictions.sum().backward();
                let grads = GradientsParams::from_grads(grads, &m);
                model = Some(adam.step(1e-3, m, grads));
            };
            for _ in 0..3 {
                step();
            }
            ad.sync()?;
            let start = Instant::now();
            for _ in 0..cli.steps {
                step();
            }
            ad.sync()?;
            per_path.push((cli.steps * part.len()) as f64 / start.elapsed().as_secs_f64());
        }
        writeln!(
            report,
            "| {} | {:.0} | {:.0} | {:.1}× |",
            part.len(),
            per_path[0],
            per_path[1],
            per_path[1] / per_path[0]
        )?;
    }
    Ok(())
}

fn source(cli: &Cli) -> String {
    match &cli.data {
        Some(p) => p.display().to_string(),
        None => std::env::var("MOLKD_DATA_DIR").map_or("fixture, repeated".into(), |d| {
            format!("MoleculeNet under {d}")
        }),
    }
}

/// At least 1,024 featurised molecules.
fn molecules(cli: &Cli, f: &dyn Featurizer) -> Result<Vec<MolGraph>, Box<dyn std::error::Error>> {
    let smiles: Vec<String> = match &cli.data {
        Some(path) => {
            let table = molkd::train::data::table::read_table(path, b',')?;
            let c = table.column("smiles")?;
            table
                .records
                .iter()
                .map(|r| r[c].trim().to_string())
                .collect()
        }
        None => common::bench_smiles(2000).0,
    };
    let graphs: Vec<MolGraph> = smiles.iter().filter_map(|s| f.featurize(s).ok()).collect();
    if graphs.is_empty() {
        return Err("no molecule featurised".into());
    }
    Ok(graphs
        .iter()
        .cycle()
        .take(graphs.len().max(1024))
        .cloned()
        .collect())
}
