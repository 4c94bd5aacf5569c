//! The reaction loaders on the real files of `shared/data/reactions` (see SOURCES.md, section
//! B). Ignored by default; run with
//! `MOLKD_DATA_DIR=../shared/data cargo test --release --workspace -- --ignored reactions_real`.
//! Each prints its skip report (`--nocapture` to see it).

use std::path::{Path, PathBuf};
use std::time::Instant;

use molkd_graph::OgbFeaturizer;
use molkd_train::data::table::read_table;
use molkd_train::{
    CacheStatus, ReactionDataset, ReactionFormat, ReactionLoadOptions, ReactionSplit,
};

fn data_file(relative: &str) -> PathBuf {
    let dir = std::env::var_os("MOLKD_DATA_DIR")
        .map(PathBuf::from)
        .expect("set MOLKD_DATA_DIR to the shared data folder");
    // Tests run in the crate folder; a relative MOLKD_DATA_DIR is meant from the workspace root.
    let dir = if dir.is_relative() {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir)
    } else {
        dir
    };
    let path = dir.join("reactions").join(relative);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// Loads a file without cache, checks the row accounting, prints the report.
fn load(format: ReactionFormat, relative: &str, rows: usize) -> ReactionDataset {
    let path = data_file(relative);
    let start = Instant::now();
    let d = format
        .load(&path, &OgbFeaturizer, &ReactionLoadOptions::default())
        .unwrap();
    println!(
        "{} ({:.1} s)",
        d.skip_report(),
        start.elapsed().as_secs_f64()
    );
    println!("skip counts: {:?}", d.skip_counts());
    for s in d.skipped.iter().take(5) {
        println!("  row {} line {}: {}", s.row, s.line, s.reason);
    }
    assert_eq!(d.total_rows, rows);
    assert_eq!(d.len() + d.skipped.len(), rows);
    d
}

#[test]
#[ignore = "needs MOLKD_DATA_DIR"]
fn reactions_real_uspto_yields() {
    let d = load(
        ReactionFormat::UsptoYields,
        "uspto_yields_above.csv.xz",
        197_619,
    );
    // Train 158,095 and test 39,524 rows in the file, less the skipped rows of each (their
    // split read back from the file by row number).
    let table = read_table(&data_file("uspto_yields_above.csv.xz"), b',').unwrap();
    let split_col = table.column("split").unwrap();
    let skipped_in = |split: &str| {
        d.skipped
            .iter()
            .filter(|s| {
                let i = table.rows.iter().position(|&r| r == s.row);
                i.is_some_and(|i| &table.records[i][split_col] == split)
            })
            .count()
    };
    let train = d.indices_of(ReactionSplit::Train).len();
    let test = d.indices_of(ReactionSplit::Test).len();
    assert_eq!(train + test, d.len());
    assert_eq!(train + skipped_in("train"), 158_095);
    assert_eq!(test + skipped_in("test"), 39_524);
    println!("train {train} / test {test}");
    assert!(
        d.yields
            .iter()
            .all(|y| y.is_some_and(|y| (0.0..=1.0).contains(&y)))
    );
}

#[test]
#[ignore = "needs MOLKD_DATA_DIR"]
fn reactions_real_buchwald_hartwig() {
    let d = load(
        ReactionFormat::BuchwaldHartwig,
        "buchwald_hartwig/doyle_FullCV_01.csv",
        3955,
    );
    assert!((d.yields[0].unwrap() - 0.704_104_6).abs() < 1e-6);
}

#[test]
#[ignore = "needs MOLKD_DATA_DIR"]
fn reactions_real_suzuki_miyaura() {
    let d = load(
        ReactionFormat::SuzukiMiyaura,
        "suzuki_miyaura/random_split_0.tsv",
        5760,
    );
    assert!((d.yields[0].unwrap() - 0.643_011_5).abs() < 1e-6);
}

#[test]
#[ignore = "needs MOLKD_DATA_DIR"]
fn reactions_real_jin_valid() {
    let d = load(
        ReactionFormat::Jin,
        "uspto_480k_jin/valid.txt.tar.gz",
        30_000,
    );
    assert_eq!(d.indices_of(ReactionSplit::Valid).len(), d.len());
    let drop = ReactionLoadOptions {
        drop_unchanged_reactants: true,
        ..Default::default()
    };
    let path = data_file("uspto_480k_jin/valid.txt.tar.gz");
    let dropped = ReactionFormat::Jin
        .load(&path, &OgbFeaturizer, &drop)
        .unwrap();
    println!(
        "drop_unchanged_reactants: {} components dropped; {}",
        dropped.dropped_reactants,
        dropped.skip_report()
    );
}

#[test]
#[ignore = "needs MOLKD_DATA_DIR"]
fn reactions_real_jin_test() {
    let d = load(
        ReactionFormat::Jin,
        "uspto_480k_jin/test.txt.tar.gz",
        40_000,
    );
    assert_eq!(d.indices_of(ReactionSplit::Test).len(), d.len());
}

/// Cold (featurise + write cache) vs warm (decode cache) load of the USPTO yields file.
#[test]
#[ignore = "needs MOLKD_DATA_DIR"]
fn reactions_real_uspto_cache_timing() {
    let path = data_file("uspto_yields_above.csv.xz");
    let cache = tempfile::tempdir().unwrap();
    let options = ReactionLoadOptions::default().cache_in(Some(cache.path().to_path_buf()));
    let start = Instant::now();
    let cold = ReactionFormat::UsptoYields
        .load(&path, &OgbFeaturizer, &options)
        .unwrap();
    let cold_s = start.elapsed().as_secs_f64();
    assert!(
        matches!(cold.cache, CacheStatus::Written(_)),
        "{:?}",
        cold.cache
    );
    let start = Instant::now();
    let warm = ReactionFormat::UsptoYields
        .load(&path, &OgbFeaturizer, &options)
        .unwrap();
    let warm_s = start.elapsed().as_secs_f64();
    assert!(
        matches!(warm.cache, CacheStatus::Hit(_)),
        "{:?}",
        warm.cache
    );
    assert_eq!(warm.reactions, cold.reactions);
    assert_eq!(warm.skipped, cold.skipped);
    let size = match &warm.cache {
        CacheStatus::Hit(p) => std::fs::metadata(p).unwrap().len(),
        _ => 0,
    };
    println!(
        "uspto_yields_above: cold {cold_s:.2} s, warm {warm_s:.2} s, cache {:.1} MiB, {} reactions, {} threads",
        size as f64 / (1 << 20) as f64,
        warm.len(),
        rayon::current_num_threads()
    );
}
