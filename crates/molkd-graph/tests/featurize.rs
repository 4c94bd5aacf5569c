//! Featurisers, reactions, scaffolds and batching on hand-checked molecules.

use burn::tensor::Device;
use molkd_graph::featurize::pretrain_gnns_vocab::{MASK_ATOM, SELF_LOOP_BOND};
use molkd_graph::{
    Collate, FeatureScheme, Featurizer, GraphError, OgbFeaturizer, PretrainGnnFeaturizer, Reaction,
    murcko_scaffold,
};

#[test]
fn ogb_features_of_known_molecules() {
    let benzene = OgbFeaturizer.featurize("c1ccccc1").unwrap();
    assert_eq!(benzene.num_atoms(), 6);
    assert_eq!(benzene.num_bonds(), 6);
    assert!((0..6).all(|i| benzene.atom(i) == [5, 0, 3, 5, 1, 0, 1, 1, 1]));
    assert!((0..6).all(|j| benzene.bond(j) == [3, 0, 1]));

    // Explicit hydrogens are folded into H counts, as RDKit's default parse does.
    let methane = OgbFeaturizer.featurize("[H]C([H])([H])[H]").unwrap();
    assert_eq!(methane.num_atoms(), 1);
    assert_eq!(methane.atom(0)[4], 4);

    // Charged nitrogen: formal charge +1 → category 6.
    let ammonium = OgbFeaturizer.featurize("C[NH3+]").unwrap();
    assert_eq!(ammonium.atom(1)[3], 6);
}

#[test]
fn vocabularies_bound_every_feature() {
    for scheme in [FeatureScheme::Ogb, FeatureScheme::PretrainGnns] {
        let f = scheme.featurizer();
        for smiles in [
            "CC(=O)Oc1ccccc1C(=O)O",
            "F/C=C/Cl",
            "[Na+].[Cl-]",
            "C[C@H](N)C(=O)O",
        ] {
            let g = f.featurize(smiles).unwrap();
            for i in 0..g.num_atoms() {
                for (v, &size) in g.atom(i).iter().zip(f.atom_vocab_sizes()) {
                    assert!((0..size as i64).contains(v), "{scheme} {smiles} atom {i}");
                }
            }
            for j in 0..g.num_bonds() {
                for (v, &size) in g.bond(j).iter().zip(f.bond_vocab_sizes()) {
                    assert!((0..size as i64).contains(v), "{scheme} {smiles} bond {j}");
                }
            }
        }
    }
}

#[test]
fn pretrain_gnns_atoms_and_bond_directions_follow_rdkit() {
    let f = PretrainGnnFeaturizer;
    let alanine = f.featurize("C[C@H](N)C(=O)O").unwrap();
    assert_eq!(alanine.atom(0), [5, 0]);
    assert_eq!(alanine.atom(1), [5, 2]); // carbon, CHI_TETRAHEDRAL_CCW
    assert_eq!(alanine.atom(2), [6, 0]);
    assert_eq!(
        MASK_ATOM as usize + 1,
        f.atom_vocab_sizes()[0],
        "mask is the last atom type"
    );

    // Reference values from RDKit 2026.09 `GetBondDir()` after `MolFromSmiles`.
    let dirs = |s: &str| -> Vec<i64> {
        let g = f.featurize(s).unwrap();
        (0..g.num_bonds()).map(|j| g.bond(j)[1]).collect()
    };
    assert_eq!(dirs("F/C=C/F"), [1, 0, 1]);
    assert_eq!(dirs("C/C=C\\C"), [1, 0, 2]);
    assert_eq!(dirs("F/C(C)=C(/F)C"), [1, 0, 0, 1, 0]);
    assert_eq!(dirs("F/CC"), [1, 0]);
    // A doubled backslash (as in ClinTox) reads as one, like RDKit's lexer does.
    assert_eq!(dirs("C/C=C\\\\C"), [1, 0, 2]);
    // A double bond in a 7-ring is not stereo: RDKit clears the neighbouring directions.
    assert_eq!(dirs("C1CC/C=C/CC1"), [0; 7]);
    let types: Vec<i64> = {
        let g = f.featurize("C#CC=Cc1ccccc1").unwrap();
        (0..g.num_bonds()).map(|j| g.bond(j)[0]).collect()
    };
    assert_eq!(&types[..4], [2, 0, 1, 0]);
    assert!(types[4..].iter().all(|&t| t == 3));
    assert_eq!(f.self_loop_bond(), Some(&[SELF_LOOP_BOND, 0][..]));
}

#[test]
fn unencodable_atoms_are_errors_not_panics() {
    // A dummy atom has no pretrain-gnns category; OGB puts it in "misc".
    let err = PretrainGnnFeaturizer.featurize("*C").unwrap_err();
    assert!(matches!(err, GraphError::Unencodable { .. }), "{err}");
    assert_eq!(OgbFeaturizer.featurize("*C").unwrap().atom(0)[0], 118);
}

#[test]
fn invalid_smiles_errors_name_the_input_and_position() {
    let err = OgbFeaturizer.featurize("CC(C").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("CC(C"), "{text}");
    assert!(OgbFeaturizer.featurize("").is_err());
    assert!(OgbFeaturizer.featurize("   ").is_err());
    // Errors the parser can place carry the position.
    for bad in ["C1CC", ".", "C.", ".C", "C..C"] {
        let err = OgbFeaturizer.featurize(bad).unwrap_err();
        let positioned = matches!(
            err,
            GraphError::InvalidSmiles {
                position: Some(_),
                ..
            }
        );
        assert!(positioned, "{bad}: {err}");
    }
    // Parses, but pentavalent carbon fails sanitisation, as in RDKit.
    let err = OgbFeaturizer.featurize("C(C)(C)(C)(C)C").unwrap_err();
    assert!(matches!(err, GraphError::Sanitization { .. }), "{err}");
}

/// The position of an `InvalidSmiles` error, failing the test on any other outcome.
fn syntax_error_at(smiles: &str) -> usize {
    match OgbFeaturizer.featurize(smiles) {
        Err(GraphError::InvalidSmiles {
            position: Some(p), ..
        }) => p,
        other => panic!("{smiles}: expected a positioned syntax error, got {other:?}"),
    }
}

#[test]
fn smiles_rdkit_rejects_are_rejected_at_the_offending_token() {
    // Each rejected by RDKit 2026.09 `Chem.MolFromSmiles`, and read by chematic-smiles 1.2.
    for (smiles, position) in [
        ("C()C", 2),          // empty branch
        ("C(=)C", 3),         // bond symbol before `)`
        ("[N+](=)[O-]", 6),   // the same, on bracket atoms
        ("C(-)C", 3),         // `-` too
        ("C=(C)C", 2),        // bond symbol before `(`
        ("C-(C)C", 2),        // `-` too
        ("N@C", 1),           // chirality outside brackets
        ("C@@C", 1),          // `@@` too
        ("*@C", 1),           // and on a bare wildcard
        ("C11", 2),           // ring bond closing on the atom it opens
        ("C1(C)1", 5),        // the same, back at the branch point
        ("C1CC%01", 4),       // `%` label below 10
        ("[C:01]", 3),        // leading zero in an atom map number
        ("[C:]", 3),          // `:` without a map number
        ("[00CH4]", 1),       // leading zero in an isotope
        ("[H@]", 2),          // chiral hydrogen
        ("[sc]", 2),          // `sc` is no aromatic symbol (chematic read aromatic Sc)
        ("c1ccsec1", 5),      // `se` only in brackets
        ("C%(000001)CC1", 1), // more than 5 digits in `%(n)`
    ] {
        assert_eq!(syntax_error_at(smiles), position, "{smiles}");
    }
    // Empty fragments keep being rejected, and leading whitespace counts in positions.
    assert_eq!(syntax_error_at("C..C"), 2);
    assert_eq!(syntax_error_at("  C()C"), 4);
    // What RDKit reads but chematic cannot represent stays rejected (documented gaps).
    assert_eq!(syntax_error_at("C(C.C)C"), 3); // `.` inside a branch
    assert_eq!(syntax_error_at("C=1CC/1"), 5); // bond type at one ring-bond end, direction at the other
    assert_eq!(syntax_error_at("[Na+819]"), 4); // a charge beyond chematic's two digits
}

#[test]
fn smiles_ring_bond_spellings_rdkit_reads_give_rdkit_features() {
    let f = OgbFeaturizer;
    let same = |a: &str, b: &str| {
        assert_eq!(
            f.featurize(a).unwrap(),
            f.featurize(b).unwrap(),
            "{a} vs {b}"
        )
    };
    // Reference values from RDKit 2026.09 (`scripts/rdkit_reference.py features`).
    // Both ends directed: the closing direction wins, so the exocyclic double bond is Z (1);
    // the opening direction alone would make it E (2).
    let z = f.featurize("F/C=C/1CCCCC/1C").unwrap();
    assert_eq!(z.bond(1), [1, 1, 0]);
    assert_eq!(f.featurize("F/C=C/1CCCCC1C").unwrap().bond(1), [1, 2, 0]);
    same("F/C=C/1CCCCC/1C", "F/C=C1CCCCC/1C");
    // Closed in another fragment: the ring bond begins at the closing atom, as in RDKit.
    let g = f.featurize("C/C=C/1.C/1").unwrap();
    assert_eq!(g.bond_atoms(2), [3, 2]);
    assert_eq!(g.bond(1), [1, 1, 0]);
    // Two bond types: the opening one wins (a double bond here).
    let g = f.featurize("C=1CC-1").unwrap();
    assert_eq!((g.bond_atoms(2), g.bond(2)), ([0, 2], &[1, 0, 0][..]));
    assert_eq!(f.featurize("C-1CC=1").unwrap().bond_atoms(2), [0, 2]);
    same("C-1CC=1", "C-1CC1");
    // A directed opening and a `-` closing: the opening direction on a single bond.
    same("F/C=C/1CCCCC-1C", "F/C=C/1CCCCC1C");
    // `%(n)` below 100 is the same label as its digit or `%nn` spelling.
    same("C%(1)CC1", "C1CC1");
    same("C%(12)CC%12", "C1CC1");
    same("C%(05)CC5", "C1CC1");
}

#[test]
fn reactions_parse_with_agents_maps_and_tails() {
    let r = Reaction::parse("[CH3:1][Br:2].[OH-]>O>[CH3:1][OH:3] |f:0.1|").unwrap();
    assert_eq!(r.reactants.len(), 2);
    assert_eq!(r.agents, ["O"]);
    let graphs = r.featurize(&OgbFeaturizer).unwrap();
    assert_eq!(graphs.reactants[0].num_atoms(), 2);
    assert_eq!(graphs.products[0].num_atoms(), 2);
    // `~` joins fragments of one component (Suzuki–Miyaura file).
    let r = Reaction::parse("CC~[Na+].Br>>CCBr").unwrap();
    assert_eq!(r.reactants, ["CC.[Na+]", "Br"]);
    for bad in ["CCO", "CC>>", ">>CC", "C..C>>C", "C>C>C>C"] {
        assert!(
            matches!(
                Reaction::parse(bad),
                Err(GraphError::InvalidReaction { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn murcko_scaffolds_match_rdkit() {
    // Reference strings from RDKit 2026.09 `MurckoScaffoldSmiles(s, includeChirality=True)`.
    assert_eq!(
        murcko_scaffold("CC(=O)Oc1ccccc1C(=O)O").unwrap(),
        "c1ccccc1"
    );
    assert_eq!(
        murcko_scaffold("c1ccc(Cc2ccncc2)cc1").unwrap(),
        "c1ccc(Cc2ccncc2)cc1"
    );
    assert_eq!(murcko_scaffold("CCCC").unwrap(), "");
    assert!(murcko_scaffold("C1CC").is_err());
}

#[test]
fn batches_sort_edges_by_destination_and_offset_graphs() {
    let f = PretrainGnnFeaturizer;
    let graphs = [f.featurize("CCO").unwrap(), f.featurize("C1CC1").unwrap()];
    let device = Device::default();
    let batch = Collate::new(&f)
        .with_self_loops(true)
        .unwrap()
        .collate(&graphs, &device)
        .unwrap();
    assert_eq!(batch.num_graphs(), 2);
    assert_eq!(batch.node_offsets, [0, 3, 6]);
    assert_eq!(batch.node_counts, [3, 3]);
    assert_eq!(batch.num_edges(), 2 * 2 + 2 * 3 + 6);
    let ei = batch.edge_index.to_data().try_to_vec_as::<i64>().unwrap();
    let e = batch.num_edges();
    let (src, dst) = (&ei[..e], &ei[e..]);
    assert!(
        dst.windows(2).all(|w| w[0] <= w[1]),
        "sorted by destination"
    );
    for v in 0..6 {
        let incoming = batch.dst_offsets[v]..batch.dst_offsets[v + 1];
        assert!(incoming.clone().all(|k| dst[k] == v as i64));
        // Edges never cross graphs.
        let g = usize::from(v >= 3);
        assert!(
            incoming
                .clone()
                .all(|k| (src[k] as usize >= 3) as usize == g)
        );
    }
    let feats = batch
        .edge_features
        .to_data()
        .try_to_vec_as::<i64>()
        .unwrap();
    let loops = (0..e).filter(|&k| src[k] == dst[k]).count();
    assert_eq!(loops, 6);
    for k in (0..e).filter(|&k| src[k] == dst[k]) {
        assert_eq!(feats[2 * k], SELF_LOOP_BOND);
    }
    assert_eq!(
        batch.batch.to_data().try_to_vec_as::<i64>().unwrap(),
        [0, 0, 0, 1, 1, 1]
    );
    assert_eq!(batch.atom_features.dims(), [6, 2]);
}

#[test]
fn collate_rejects_what_it_cannot_batch() {
    let device = Device::default();
    let ogb = OgbFeaturizer.featurize("CCO").unwrap();
    let pre = PretrainGnnFeaturizer.featurize("CCO").unwrap();
    assert!(Collate::new(&OgbFeaturizer).with_self_loops(true).is_err());
    let mixed = Collate::new(&OgbFeaturizer).collate([&ogb, &pre], &device);
    assert!(matches!(mixed, Err(GraphError::Collate(m)) if m.contains("graph 1")));
    let empty: [&molkd_graph::MolGraph; 0] = [];
    assert!(
        Collate::new(&OgbFeaturizer)
            .collate(empty, &device)
            .is_err()
    );
}

#[test]
fn single_atom_molecules_batch_without_edges() {
    let device = Device::default();
    let graphs = [
        OgbFeaturizer.featurize("C").unwrap(),
        OgbFeaturizer.featurize("[Na+]").unwrap(),
    ];
    let batch = Collate::new(&OgbFeaturizer)
        .collate(&graphs, &device)
        .unwrap();
    assert_eq!(batch.num_edges(), 0);
    assert_eq!(batch.num_nodes(), 2);
}
