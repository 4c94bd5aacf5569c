//! Featurisation throughput (molecules/s, one core) on real SMILES.
//!
//! Writes the SMILES it used to `target/bench_featurize_sample.smi`, so the RDKit + Python
//! equivalent can be timed on the same file:
//! `python3 scripts/rdkit_reference.py time target/bench_featurize_sample.smi`.

#[path = "common.rs"]
mod common;

molkd::use_mimalloc!();

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use molkd::graph::{FeatureScheme, murcko_scaffold};

fn featurize(c: &mut Criterion) {
    let (smiles, source) = common::bench_smiles(4000);
    eprintln!("featurize bench: {} SMILES from {source}", smiles.len());
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench_featurize_sample.smi");
    if let Err(e) = std::fs::write(&sample, smiles.join("\n") + "\n") {
        eprintln!("could not write {}: {e}", sample.display());
    }
    let mut group = c.benchmark_group("featurize");
    group.throughput(Throughput::Elements(smiles.len() as u64));
    group.sample_size(10);
    for scheme in [FeatureScheme::Ogb, FeatureScheme::PretrainGnns] {
        let f = scheme.featurizer();
        group.bench_function(scheme.name(), |b| {
            b.iter(|| smiles.iter().filter(|s| f.featurize(s).is_ok()).count())
        });
    }
    group.bench_function("murcko-scaffold", |b| {
        b.iter(|| smiles.iter().filter(|s| murcko_scaffold(s).is_ok()).count())
    });
    group.finish();
}

criterion_group!(benches, featurize);
criterion_main!(benches);
