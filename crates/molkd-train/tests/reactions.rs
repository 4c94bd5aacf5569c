//! Reaction loaders on small hand-written fixtures: every layout, bad input, options, cache.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use molkd_graph::{Featurizer, OgbFeaturizer, PretrainGnnFeaturizer};
use molkd_train::data::reactions::strip_atom_maps;
use molkd_train::{
    CacheStatus, ReactionDataset, ReactionFormat, ReactionLoadOptions, ReactionSplit, TrainError,
    load_buchwald_hartwig, load_suzuki_miyaura, load_uspto_480k_jin, load_uspto_yields,
};

const ESTER: &str = "CC(=O)O.OCC>>CC(=O)OCC";
const SUZUKI: &str = "Brc1ccccc1.OB(O)c1ccccc1>>c1ccc(-c2ccccc2)cc1";
const AMIDE: &str = "CC(=O)Cl.NCc1ccccc1>>CC(=O)NCc1ccccc1";
const BUCHWALD: &str = "Clc1ccccn1.Cc1ccc(N)cc1>>Cc1ccc(Nc2ccccn2)cc1";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn opts() -> ReactionLoadOptions {
    ReactionLoadOptions::default()
}

fn atoms(g: &molkd_graph::MolGraph) -> usize {
    g.num_atoms()
}

#[test]
fn uspto_yields_layout() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        format!("yield,split,rxn\n85.0,train,{ESTER}\n42.5,test,{SUZUKI}\n\n0,train,{AMIDE}\n");
    let path = write(dir.path(), "uspto.csv", &text);
    let d = load_uspto_yields(&path, &OgbFeaturizer, &opts()).unwrap();
    assert_eq!((d.len(), d.total_rows, d.skipped.len()), (3, 3, 0));
    assert_eq!(d.smiles, [ESTER, SUZUKI, AMIDE]);
    assert_eq!(d.yields, [Some(0.85), Some(0.425), Some(0.0)]);
    assert_eq!(
        d.splits,
        [
            Some(ReactionSplit::Train),
            Some(ReactionSplit::Test),
            Some(ReactionSplit::Train)
        ]
    );
    assert_eq!(d.indices_of(ReactionSplit::Train), [0, 2]);
    assert_eq!(d.indices_of(ReactionSplit::Test), [1]);
    assert!(d.indices_of(ReactionSplit::Valid).is_empty());
    assert_eq!(d.rows, [0, 1, 2]);
    // Acetic acid (4 heavy atoms) + ethanol (3) → ethyl acetate (6).
    let ester = &d.reactions[0];
    assert_eq!(
        ester.reactants.iter().map(atoms).collect::<Vec<_>>(),
        [4, 3]
    );
    assert_eq!(ester.products.iter().map(atoms).collect::<Vec<_>>(), [6]);
    assert_eq!(
        ester.products[0],
        OgbFeaturizer.featurize("CC(=O)OCC").unwrap()
    );
    assert_eq!(d.format, ReactionFormat::UsptoYields);
    assert_eq!(d.cache, CacheStatus::Disabled);
    assert_eq!(
        d.skip_report().to_string(),
        "uspto.csv: kept 3 of 3 rows, skipped 0"
    );
}

#[test]
fn buchwald_hartwig_layout() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("smiles,yield\n{BUCHWALD},70.41045785\n{BUCHWALD},99.99999\n");
    let path = write(dir.path(), "doyle.csv", &text);
    let d = load_buchwald_hartwig(&path, &PretrainGnnFeaturizer, &opts()).unwrap();
    assert_eq!(d.len(), 2);
    assert!((d.yields[0].unwrap() - 0.704_104_6_f32).abs() < 1e-7);
    assert!((d.yields[1].unwrap() - 0.9999999).abs() < 1e-7);
    assert_eq!(d.splits, [None, None]);
    assert_eq!(d.reactions[0].reactants.len(), 2);
    assert_eq!(d.reactions[0].products[0].atom_width(), 2);
}

#[test]
fn suzuki_miyaura_layout_joins_tilde_fragments() {
    let dir = tempfile::tempdir().unwrap();
    // Palladium acetate written as `~`-joined fragments is one reactant component.
    let rxn = "Brc1ccccc1.CC(=O)O~CC(=O)O~[Pd].OB(O)c1ccccc1>>c1ccc(-c2ccccc2)cc1";
    let text =
        format!("\trxn\ty\n464\t{rxn}\t0.64301145622985\n98\t{SUZUKI}\t1.0\n7\t{SUZUKI}\t1.5\n");
    let path = write(dir.path(), "suzuki.tsv", &text);
    let d = load_suzuki_miyaura(&path, &OgbFeaturizer, &opts()).unwrap();
    assert_eq!((d.len(), d.total_rows), (2, 3));
    assert!((f64::from(d.yields[0].unwrap()) - 0.64301145622985).abs() < 1e-7);
    assert_eq!(d.yields[1], Some(1.0));
    assert_eq!(d.reactions[0].reactants.len(), 3);
    assert_eq!(d.reactions[0].reactants[1].num_atoms(), 9);
    assert_eq!(d.skipped.len(), 1);
    assert_eq!(d.skipped[0].row, 2);
    assert!(
        d.skipped[0].reason.starts_with("bad yield"),
        "{:?}",
        d.skipped
    );
    assert!(d.skipped[0].reason.contains("0–1"), "{:?}", d.skipped);
}

/// A gzip'd tar holding one member `name` with `text`.
fn tar_gz(dir: &Path, file: &str, name: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    let gz = flate2::write::GzEncoder::new(
        fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, name, text.as_bytes()).unwrap();
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
    path
}

const JIN_ESTER: &str = "[CH3:1][C:2](=[O:3])[OH:4].[Na+:8].[OH:5][CH2:6][CH3:7]>>[CH3:1][C:2](=[O:3])[O:5][CH2:6][CH3:7].[Na+:8] 2-4;2-5";

#[test]
fn jin_layout_from_tar_gz() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{JIN_ESTER}\n\n{JIN_ESTER} extra\n{JIN_ESTER}\n");
    let path = tar_gz(dir.path(), "valid.txt.tar.gz", "valid.txt", &text);
    let d = load_uspto_480k_jin(&path, &OgbFeaturizer, &opts()).unwrap();
    assert_eq!((d.len(), d.total_rows), (2, 3));
    assert_eq!(d.rows, [0, 2]);
    assert_eq!(d.yields, [None, None]);
    assert_eq!(d.splits, [Some(ReactionSplit::Valid); 2]);
    assert_eq!(d.smiles[0], JIN_ESTER.split(' ').next().unwrap());
    assert_eq!(d.reactions[0].reactants.len(), 3);
    assert_eq!(d.skipped.len(), 1);
    assert_eq!((d.skipped[0].row, d.skipped[0].line), (1, 3));
    assert!(d.skipped[0].reason.starts_with("malformed row: 3 fields"));
    assert_eq!(d.dropped_reactants, 0);

    // The same, dropping the sodium ion that appears unchanged among the products.
    let drop = ReactionLoadOptions {
        drop_unchanged_reactants: true,
        ..opts()
    };
    let d = load_uspto_480k_jin(&path, &OgbFeaturizer, &drop).unwrap();
    assert_eq!(d.dropped_reactants, 2);
    let sizes: Vec<usize> = d.reactions[0].reactants.iter().map(atoms).collect();
    assert_eq!(sizes, [4, 3]);
    assert_eq!(d.reactions[0].products.len(), 2);

    // A plain (uncompressed) text file named test.txt works too.
    let plain = write(dir.path(), "test.txt", &format!("{JIN_ESTER}\n"));
    let d = load_uspto_480k_jin(&plain, &OgbFeaturizer, &opts()).unwrap();
    assert_eq!(d.splits, [Some(ReactionSplit::Test)]);
}

#[test]
fn drop_unchanged_reactants_in_unmapped_reactions() {
    let dir = tempfile::tempdir().unwrap();
    let text = "yield,split,rxn\n\
                90,train,CC(=O)O.OCC.ClCCl>>CC(=O)OCC.ClCCl\n\
                90,train,CCO>>CCO\n";
    let path = write(dir.path(), "u.csv", text);
    let keep = load_uspto_yields(&path, &OgbFeaturizer, &opts()).unwrap();
    assert_eq!(keep.len(), 2);
    assert_eq!(keep.reactions[0].reactants.len(), 3);
    let drop = ReactionLoadOptions {
        drop_unchanged_reactants: true,
        ..opts()
    };
    let d = load_uspto_yields(&path, &OgbFeaturizer, &drop).unwrap();
    assert_eq!((d.len(), d.dropped_reactants), (1, 1));
    assert_eq!(d.reactions[0].reactants.len(), 2);
    assert_eq!(d.smiles[0], "CC(=O)O.OCC.ClCCl>>CC(=O)OCC.ClCCl");
    assert!(
        d.skipped[0]
            .reason
            .contains("every reactant appears unchanged")
    );
}

#[test]
fn strip_atom_maps_only_touches_map_numbers() {
    assert_eq!(
        strip_atom_maps("[CH3:15][C:16](=[O:17])[CH3:18]"),
        "[CH3][C](=[O])[CH3]"
    );
    assert_eq!(strip_atom_maps("[Na+:2]"), "[Na+]");
    assert_eq!(strip_atom_maps("[13CH4:1]"), "[13CH4]");
    assert_eq!(strip_atom_maps("c1ccccc1:c"), "c1ccccc1:c");
    assert_eq!(strip_atom_maps("CCO"), "CCO");
}

#[test]
fn bad_input_rows_are_skipped_with_counted_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "yield,split,rxn\n\
         85.0,train,{ESTER}\n\
         50,train,CC(=O)O.OCC\n\
         50,train,>>CC(=O)OCC\n\
         50,train,CC(=O)O.C1CC>>CC(=O)OCC\n\
         120,train,{ESTER}\n\
         abc,test,{ESTER}\n\
         50,train\n\
         50,holdout,{ESTER}\n\
         60,test,CC(=O)O.OCC>>\n\
         -1,test,{ESTER}\n\
         ,test,{ESTER}\n\
         50,test,CC(=O)O..OCC>>CC(=O)OCC\n"
    );
    let path = write(dir.path(), "bad.csv", &text);
    let d = load_uspto_yields(&path, &OgbFeaturizer, &opts()).unwrap();
    assert_eq!((d.len(), d.total_rows, d.skipped.len()), (1, 12, 11));
    let reason = |row: usize| {
        d.skipped
            .iter()
            .find(|s| s.row == row)
            .unwrap_or_else(|| panic!("row {row} not skipped: {:?}", d.skipped))
            .reason
            .clone()
    };
    assert!(
        reason(1).starts_with("invalid reaction: no `>>`"),
        "{}",
        reason(1)
    );
    assert!(
        reason(2).starts_with("invalid reaction: no reactants"),
        "{}",
        reason(2)
    );
    assert!(
        reason(3).starts_with("invalid component: reactant 2 `C1CC`"),
        "{}",
        reason(3)
    );
    assert!(
        reason(4).starts_with("bad yield: `120` is outside 0–100 %"),
        "{}",
        reason(4)
    );
    assert!(
        reason(5).starts_with("bad yield: `abc` is not a number"),
        "{}",
        reason(5)
    );
    assert!(
        reason(6).starts_with("malformed row: 2 fields"),
        "{}",
        reason(6)
    );
    assert!(
        reason(7).starts_with("bad split: unknown split `holdout`"),
        "{}",
        reason(7)
    );
    assert!(
        reason(8).starts_with("invalid reaction: no products"),
        "{}",
        reason(8)
    );
    assert!(reason(9).starts_with("bad yield: `-1`"), "{}", reason(9));
    assert!(reason(10).starts_with("bad yield: empty"), "{}", reason(10));
    assert!(
        reason(11).starts_with("invalid reaction: empty component"),
        "{}",
        reason(11)
    );
    assert_eq!((d.skipped[0].row, d.skipped[0].line), (1, 3));
    let counts = d.skip_counts();
    assert_eq!(counts["bad yield"], 4);
    assert_eq!(counts["bad split"], 1);
    assert_eq!(counts["invalid component"], 1);
    assert_eq!(counts["invalid reaction"], 4);
    assert_eq!(counts["malformed row"], 1);
    let report = d.skip_report().to_string();
    assert!(
        report.starts_with("bad.csv: kept 1 of 12 rows, skipped 11 (1 bad split (rows 7); ")
            && report.contains("; 4 bad yield (rows 4, 5, 9, 10);"),
        "{report}"
    );
}

#[test]
fn file_level_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    assert!(matches!(
        load_uspto_yields(&missing, &OgbFeaturizer, &opts()),
        Err(TrainError::Io { .. })
    ));
    let no_column = write(dir.path(), "c.csv", &format!("yield,rxn\n50,{ESTER}\n"));
    assert!(matches!(
        load_uspto_yields(&no_column, &OgbFeaturizer, &opts()),
        Err(TrainError::MissingColumn { .. })
    ));
    let all_bad = write(dir.path(), "b.csv", "smiles,yield\nCCO,50\n");
    assert!(matches!(
        load_buchwald_hartwig(&all_bad, &OgbFeaturizer, &opts()),
        Err(TrainError::NoUsableRows { .. })
    ));
    let not_tar = write(dir.path(), "x.tar.gz", "not a tar");
    assert!(load_uspto_480k_jin(&not_tar, &OgbFeaturizer, &opts()).is_err());
}

/// `n` fixture rows with distinct yields, so order can be checked.
fn many_rows(n: usize) -> String {
    let rxns = [ESTER, SUZUKI, AMIDE, BUCHWALD];
    let mut text = String::from("yield,split,rxn\n");
    for i in 0..n {
        let split = if i % 5 == 0 { "test" } else { "train" };
        text += &format!("{},{split},{}\n", (i % 101) as f32 * 0.99, rxns[i % 4]);
    }
    text
}

#[test]
fn parallel_featurisation_keeps_file_order_and_max_rows_stops_early() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "many.csv", &many_rows(2000));
    let d = load_uspto_yields(&path, &OgbFeaturizer, &opts()).unwrap();
    assert_eq!(d.len(), 2000);
    for i in 0..2000 {
        let want = ((i % 101) as f32 * 0.99) as f64 / 100.0;
        assert!(
            (f64::from(d.yields[i].unwrap()) - want).abs() < 1e-6,
            "row {i}"
        );
        let rxn = molkd_graph::Reaction::parse(&d.smiles[i]).unwrap();
        assert_eq!(
            d.reactions[i],
            rxn.featurize(&OgbFeaturizer).unwrap(),
            "row {i}"
        );
    }
    assert_eq!(d.indices_of(ReactionSplit::Test).len(), 400);
    let head = ReactionLoadOptions {
        max_rows: Some(10),
        ..opts()
    };
    let d = load_uspto_yields(&path, &OgbFeaturizer, &head).unwrap();
    assert_eq!((d.len(), d.total_rows), (10, 10));
}

fn same_data(a: &ReactionDataset, b: &ReactionDataset) {
    assert_eq!(a.name, b.name);
    assert_eq!(a.format, b.format);
    assert_eq!(a.reactions, b.reactions);
    assert_eq!(a.smiles, b.smiles);
    assert_eq!(a.yields, b.yields);
    assert_eq!(a.splits, b.splits);
    assert_eq!(a.rows, b.rows);
    assert_eq!(a.skipped, b.skipped);
    assert_eq!(a.total_rows, b.total_rows);
    assert_eq!(a.dropped_reactants, b.dropped_reactants);
}

fn cached_path(status: &CacheStatus) -> PathBuf {
    match status {
        CacheStatus::Written(p) | CacheStatus::Hit(p) | CacheStatus::Rebuilt { path: p, .. } => {
            p.clone()
        }
        other => panic!("no cache file: {other:?}"),
    }
}

#[test]
fn cache_round_trip_invalidation_and_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let mut text = many_rows(300);
    text += "abc,train,CCO>>CC\n"; // a skipped row travels through the cache too
    let path = write(dir.path(), "c.csv", &text);
    let options = ReactionLoadOptions::default().cache_in(Some(cache.clone()));

    let cold = load_uspto_yields(&path, &OgbFeaturizer, &options).unwrap();
    assert!(
        matches!(cold.cache, CacheStatus::Written(_)),
        "{:?}",
        cold.cache
    );
    let file = cached_path(&cold.cache);
    assert!(file.starts_with(&cache));
    let warm = load_uspto_yields(&path, &OgbFeaturizer, &options).unwrap();
    assert_eq!(warm.cache, CacheStatus::Hit(file.clone()));
    same_data(&cold, &warm);
    assert_eq!(warm.skipped.len(), 1);
    // No temporary files are left behind.
    assert_eq!(fs::read_dir(&cache).unwrap().count(), 1);

    // Another scheme or other options → another cache file, never the wrong data.
    let other = load_uspto_yields(&path, &PretrainGnnFeaturizer, &options).unwrap();
    assert!(matches!(other.cache, CacheStatus::Written(_)));
    assert_eq!(other.reactions[0].products[0].atom_width(), 2);
    let drop = ReactionLoadOptions {
        drop_unchanged_reactants: true,
        ..options.clone()
    };
    assert!(matches!(
        load_uspto_yields(&path, &OgbFeaturizer, &drop)
            .unwrap()
            .cache,
        CacheStatus::Written(_)
    ));

    // Flipped byte in the payload → checksum mismatch → rebuilt.
    let mut bytes = fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    fs::write(&file, &bytes).unwrap();
    let again = load_uspto_yields(&path, &OgbFeaturizer, &options).unwrap();
    assert!(
        matches!(&again.cache, CacheStatus::Rebuilt { reason, .. } if reason.contains("checksum")),
        "{:?}",
        again.cache
    );
    same_data(&cold, &again);

    // Truncated, garbage and empty files → rebuilt, never a panic.
    for junk in [
        &bytes[..bytes.len() / 3],
        b"garbage".as_slice(),
        b"".as_slice(),
    ] {
        fs::write(&file, junk).unwrap();
        let d = load_uspto_yields(&path, &OgbFeaturizer, &options).unwrap();
        assert!(
            matches!(d.cache, CacheStatus::Rebuilt { .. }),
            "{:?}",
            d.cache
        );
        same_data(&cold, &d);
    }
    assert_eq!(
        load_uspto_yields(&path, &OgbFeaturizer, &options)
            .unwrap()
            .cache,
        CacheStatus::Hit(file.clone())
    );

    // The source changes (size and time) → stale → rebuilt from the new file.
    text += &format!("12.5,test,{ESTER}\n");
    fs::write(&path, &text).unwrap();
    let changed = load_uspto_yields(&path, &OgbFeaturizer, &options).unwrap();
    assert!(
        matches!(&changed.cache, CacheStatus::Rebuilt { reason, .. } if reason.contains("stale")),
        "{:?}",
        changed.cache
    );
    assert_eq!(changed.len(), cold.len() + 1);
    assert_eq!(cached_path(&changed.cache), file);
}

#[test]
fn unwritable_cache_does_not_fail_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "u.csv",
        &format!("yield,split,rxn\n50,train,{ESTER}\n"),
    );
    let blocker = write(dir.path(), "not_a_dir", "");
    let options = ReactionLoadOptions::default().cache_in(Some(blocker.join("cache")));
    let d = load_uspto_yields(&path, &OgbFeaturizer, &options).unwrap();
    assert!(
        matches!(d.cache, CacheStatus::WriteFailed(_)),
        "{:?}",
        d.cache
    );
    assert_eq!(d.len(), 1);
}

#[test]
fn compressed_csv_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    write!(gz, "yield,split,rxn\n50,train,{ESTER}\n").unwrap();
    gz.finish().unwrap();
    let d = load_uspto_yields(&path, &OgbFeaturizer, &opts()).unwrap();
    assert_eq!(d.yields, [Some(0.5)]);
}
