//! Atom-pair relations (SPD, multi-hop paths, distances) and padded dense batches.

use burn::tensor::Device;
use molkd_graph::dense::DENSE_SPD_UNREACHABLE;
use molkd_graph::relations::{PairRelations, SPD_UNREACHABLE, pair_distances};
use molkd_graph::{DenseCollate, Featurizer, GraphError, OgbFeaturizer};

fn graph(smiles: &str) -> molkd_graph::MolGraph {
    OgbFeaturizer.featurize(smiles).unwrap()
}

#[test]
fn spd_paths_and_ties() {
    // Benzene: opposite atoms are 3 bonds apart along two paths; the lower-index side wins.
    let benzene = graph("c1ccccc1");
    let r = PairRelations::of(&benzene, 5);
    assert_eq!(r.spd_matrix()[0], [0, 1, 2, 3, 2, 1]);
    assert_eq!(r.num_shortest_paths(0, 3), 2);
    assert_eq!(r.num_shortest_paths(0, 2), 1);
    let atoms_on_path = |i: usize, j: usize| r.path_atoms(&benzene, i, j);
    assert_eq!(atoms_on_path(0, 3), [0, 1, 2, 3]);
    assert_eq!(atoms_on_path(3, 0), [3, 2, 1, 0]);
    assert_eq!(atoms_on_path(4, 0), [4, 5, 0]);
    assert!(r.path(2, 2).is_empty());
    // Every hop's features are its bond's (aromatic bonds here).
    for f in r.path_features(&benzene, 0, 3) {
        assert_eq!(f, benzene.bond(0));
    }
    // Only the first `max_hops` hops are kept.
    let hexane = graph("CCCCCC");
    let short = PairRelations::of(&hexane, 2);
    assert_eq!(short.spd(0, 5), 5);
    assert_eq!(short.path(0, 5), &[0, 1]);
    // Fragments are unreachable.
    let salt = graph("CC.O");
    let r = PairRelations::of(&salt, 5);
    assert_eq!(r.spd(0, 2), SPD_UNREACHABLE);
    assert_eq!(r.num_shortest_paths(0, 2), 0);
    assert!(r.path(0, 2).is_empty());
}

#[test]
fn distances_come_from_coordinates() {
    let water = graph("O");
    assert!(pair_distances(&water).is_none());
    let ethanol = graph("CCO")
        .with_coords(vec![[0.0, 0.0, 0.0], [1.5, 0.0, 0.0], [1.5, 1.4, 0.0]])
        .unwrap();
    let d = pair_distances(&ethanol).unwrap();
    assert!((d[1] - 1.5).abs() < 1e-6 && (d[5] - 1.4).abs() < 1e-6);
    assert!((d[2] - (1.5f32 * 1.5 + 1.4 * 1.4).sqrt()).abs() < 1e-5);
    assert!(matches!(
        graph("CCO").with_coords(vec![[0.0, 0.0, f32::NAN]; 3]),
        Err(GraphError::Coordinates(_))
    ));
}

#[test]
fn dense_batches_pad_and_encode_relations() {
    let device = Device::default();
    let a = graph("CCO")
        .with_coords(vec![[0.0, 0.0, 0.0], [1.5, 0.0, 0.0], [1.5, 1.4, 0.0]])
        .unwrap();
    let b = graph("CC.O")
        .with_coords(vec![[0.0, 0.0, 0.0], [1.5, 0.0, 0.0], [9.0, 0.0, 0.0]])
        .unwrap();
    let c = graph("c1ccccc1C").with_coords(vec![[0.0; 3]; 7]).unwrap();
    let batch = DenseCollate::new()
        .with_max_hops(3)
        .with_coords(true)
        .collate([&a, &b, &c], &device)
        .unwrap();
    assert_eq!(batch.num_atoms, [3, 3, 7]);
    assert_eq!(batch.max_atoms(), 7);
    assert_eq!(batch.atom_features.dims(), [3, 7, 9]);
    assert_eq!(batch.path_features.dims(), [3, 7, 7, 3, 3]);
    assert_eq!(batch.coords.as_ref().unwrap().dims(), [3, 7, 3]);
    let mask = batch
        .padding_mask
        .clone()
        .into_data()
        .iter::<bool>()
        .collect::<Vec<_>>();
    assert_eq!(&mask[..7], &[false, false, false, true, true, true, true]);
    assert!(mask[14..].iter().all(|&m| !m));
    let spd = batch
        .spd
        .clone()
        .into_data()
        .iter::<i64>()
        .collect::<Vec<_>>();
    assert_eq!(&spd[..3], &[0, 1, 2]);
    assert_eq!(&spd[7..10], &[1, 0, 1]);
    assert_eq!(spd[3], 0, "padding pairs are 0");
    let b0 = 49; // molecule 1, row 0
    assert_eq!(&spd[b0..b0 + 3], &[0, 1, DENSE_SPD_UNREACHABLE]);
    let degree = batch
        .degree
        .clone()
        .into_data()
        .iter::<i64>()
        .collect::<Vec<_>>();
    assert_eq!(&degree[..4], &[1, 2, 1, 0]);
    assert_eq!(degree[14 + 5], 3, "the ring atom bearing the methyl");
    // Path features: value + 1, zero past the end of the path.
    let paths = batch
        .path_features
        .clone()
        .into_data()
        .iter::<i64>()
        .collect::<Vec<_>>();
    let hop = |k: usize, i: usize, j: usize, t: usize| {
        let at = ((((k * 7 + i) * 7 + j) * 3) + t) * 3;
        paths[at..at + 3].to_vec()
    };
    let plus_one = |f: &[i64]| f.iter().map(|v| v + 1).collect::<Vec<_>>();
    assert_eq!(hop(0, 0, 2, 0), plus_one(a.bond(0)));
    assert_eq!(hop(0, 0, 2, 1), plus_one(a.bond(1)));
    assert_eq!(hop(0, 0, 2, 2), [0, 0, 0]);
    assert_eq!(hop(0, 1, 1, 0), [0, 0, 0]);
    assert_eq!(hop(1, 0, 2, 0), [0, 0, 0], "unreachable pairs have no hops");
    assert_eq!(batch.max_degree, 3);

    // Errors name the molecule.
    let err = DenseCollate::new()
        .with_max_atoms(Some(5))
        .collate([&a, &c], &device)
        .unwrap_err();
    assert!(err.to_string().contains("molecule 1 has 7 atoms"), "{err}");
    let err = DenseCollate::new()
        .with_coords(true)
        .collate([&a, &graph("CCN")], &device)
        .unwrap_err();
    assert!(
        err.to_string().contains("molecule 1 has no 3D coordinates"),
        "{err}"
    );
    assert!(DenseCollate::new().collate([], &device).is_err());
}

#[test]
fn cropped_molecules_keep_the_whole_molecules_relations() {
    let device = Device::default();
    let big = graph("c1ccc(CCO)cc1C(=O)N");
    let small = graph("CO");
    let whole = DenseCollate::new()
        .collate([&big, &small], &device)
        .unwrap();
    let cut = 4;
    let cropped = DenseCollate::new()
        .with_cut_length(Some(cut))
        .with_max_atoms(Some(cut))
        .collate([&big, &small], &device)
        .unwrap();
    assert_eq!(cropped.num_atoms, [4, 2]);
    assert_eq!(cropped.max_atoms(), cut);
    let n = whole.max_atoms();
    // Every tensor of the crop is the whole molecule's top-left block.
    let block = |t: Vec<i64>, width: usize, rank2: bool| -> Vec<i64> {
        let mut out = Vec::new();
        for i in 0..cut {
            if rank2 {
                for j in 0..cut {
                    let at = (i * n + j) * width;
                    out.extend_from_slice(&t[at..at + width]);
                }
            } else {
                out.extend_from_slice(&t[i * width..(i + 1) * width]);
            }
        }
        out
    };
    let ints = |t: burn::tensor::Tensor<3, burn::tensor::Int>| {
        t.into_data().iter::<i64>().collect::<Vec<_>>()
    };
    let spd_whole = ints(whole.spd.clone());
    let spd_cut = ints(cropped.spd.clone());
    assert_eq!(block(spd_whole, 1, true), spd_cut[..cut * cut]);
    let paths = |b: &molkd_graph::DenseBatch| {
        b.path_features
            .clone()
            .into_data()
            .iter::<i64>()
            .collect::<Vec<_>>()
    };
    let width = 5 * big.bond_width();
    assert_eq!(
        block(paths(&whole), width, true),
        paths(&cropped)[..cut * cut * width]
    );
    let degree = |b: &molkd_graph::DenseBatch| {
        b.degree
            .clone()
            .into_data()
            .iter::<i64>()
            .collect::<Vec<_>>()
    };
    assert_eq!(degree(&whole)[..cut], degree(&cropped)[..cut]);
    assert_eq!(
        degree(&cropped)[3],
        3,
        "atom 3 keeps its bond to the cropped chain"
    );
    assert_eq!(
        ints(whole.atom_features.clone())[..cut * big.atom_width()],
        ints(cropped.atom_features.clone())[..cut * big.atom_width()]
    );
    // The small molecule is untouched.
    assert_eq!(
        &spd_cut[cut * cut..cut * cut + 2],
        &[0, 1],
        "molecule 1, row 0"
    );
}
