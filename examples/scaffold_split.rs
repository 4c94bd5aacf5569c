//! Load a MoleculeNet set, featurise it, make the pretrain-gnns scaffold split and stream the
//! training part through the message-passing primitives in batches of 32.
//!
//! ```text
//! MOLKD_DATA_DIR=../shared/data cargo run --release --example scaffold_split -- bbbp
//! ```

use std::time::Instant;

molkd::use_mimalloc!();

use molkd::graph::message_passing::{Aggregation, gather_segments, global_mean_pool};
use molkd::graph::{Collate, PretrainGnnFeaturizer};
use molkd::train::data::data_dir;
use molkd::train::{SplitFractions, SplitKind, dataset_spec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "bbbp".into());
    let featurizer = PretrainGnnFeaturizer;
    let device = molkd::default_cpu_device();

    let start = Instant::now();
    let spec = dataset_spec(&name)?;
    let data = spec.load(&data_dir(None)?, &featurizer)?;
    println!("{} in {:.2?}", data.skip_report(), start.elapsed());

    let split = SplitKind::Scaffold.split(&data.smiles, SplitFractions::default(), 0)?;
    println!(
        "scaffold split: train {}, valid {}, test {}",
        split.train.len(),
        split.valid.len(),
        split.test.len()
    );

    // One pass of mean-aggregated neighbour features over the training molecules.
    let collate = Collate::new(&featurizer).with_self_loops(true)?;
    let start = Instant::now();
    let (mut graphs, mut edges) = (0usize, 0usize);
    for chunk in split.train.chunks(32) {
        let batch = collate.collate(chunk.iter().map(|&i| &data.graphs[i]), &device)?;
        let x = batch.atom_features.clone().float(); // [N, 2]
        let messages = gather_segments(x, &batch.by_src); // [E, 2]
        let h = Aggregation::Mean.aggregate(messages, &batch.by_dst); // [N, 2]
        let pooled = global_mean_pool(h, &batch.by_graph); // [G, 2]
        graphs += pooled.dims()[0];
        edges += batch.num_edges();
    }
    device.sync()?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{graphs} training graphs ({edges} directed edges) collated and aggregated in {:.1} ms ({:.0} graphs/s) on {device:?}",
        secs * 1e3,
        graphs as f64 / secs,
    );
    Ok(())
}
