//! RDKit parity of `molkd relations` on ≥ 5,000 real SMILES (needs MOLKD_DATA_DIR, python3 with
//! RDKit): shortest-path distances identical to `Chem.GetDistanceMatrix`, and where the
//! shortest path is unique, the path's bonds those of `Chem.GetShortestPath`.

mod common;

use common::{data_dir, molkd_and_rdkit, sample_smiles};
use molkd::graph::relations::PairRelations;
use molkd::graph::{Featurizer, OgbFeaturizer};

#[test]
#[ignore = "needs MOLKD_DATA_DIR and python3 with RDKit"]
fn relations_match_rdkit_on_real_smiles() {
    let sample = sample_smiles(&data_dir());
    assert!(sample.len() >= 5000, "only {} SMILES sampled", sample.len());
    let (ours, reference) = molkd_and_rdkit(&sample, &["relations"], "relations");
    let (mut molecules, mut identical, mut unique_paths, mut same_paths) = (0, 0, 0usize, 0usize);
    let mut mismatches = Vec::new();
    for ((a, b), smiles) in ours.iter().zip(&reference).zip(&sample) {
        if b.get("error").is_some() || a.get("error").is_some() {
            continue;
        }
        molecules += 1;
        if a["spd"] == b["spd"] {
            identical += 1;
        } else if mismatches.len() < 10 {
            mismatches.push(format!("{smiles}: SPD differs"));
        }
        // Paths: compare atom sequences where the shortest path is unique.
        let graph = OgbFeaturizer.featurize(smiles).unwrap();
        let relations = PairRelations::of(&graph, graph.num_atoms().max(1));
        for (pair, atoms) in b["paths"].as_object().unwrap() {
            let (i, j) = pair.split_once(',').unwrap();
            let (i, j): (usize, usize) = (i.parse().unwrap(), j.parse().unwrap());
            if relations.num_shortest_paths(i, j) != 1 {
                continue;
            }
            unique_paths += 1;
            let ours = relations.path_atoms(&graph, i, j);
            let theirs: Vec<usize> = atoms
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect();
            if ours == theirs {
                same_paths += 1;
            } else if mismatches.len() < 10 {
                mismatches.push(format!("{smiles}: path {i}→{j} {ours:?} vs {theirs:?}"));
            }
        }
    }
    println!(
        "relations parity: SPD identical for {identical} of {molecules} molecules; unique \
         shortest paths identical for {same_paths} of {unique_paths} pairs"
    );
    for m in &mismatches {
        println!("  mismatch {m}");
    }
    assert!(molecules >= 5000);
    assert_eq!(identical, molecules, "SPD must match RDKit exactly");
    assert_eq!(
        same_paths, unique_paths,
        "unique paths must match RDKit exactly"
    );
}
