//! Random strings through every parser path: errors are fine, panics are not.

use molkd::graph::{FeatureScheme, Reaction, murcko_scaffold};
use proptest::prelude::*;

fn smiles_like() -> impl Strategy<Value = String> {
    // Mostly SMILES alphabet (so parsing gets deep), sometimes anything at all.
    prop_oneof![
        4 => proptest::collection::vec(
            prop::sample::select(vec![
                "C", "c", "N", "n", "O", "o", "S", "Cl", "Br", "F", "P", "[", "]", "(", ")", "=",
                "#", "/", "\\", "@", "@@", "+", "-", "1", "2", "3", "%10", ".", "H", "[nH]",
                "[C@H]", "[O-]", "[N+]", ":", "*", ">", "~", "|", " ", "B", "Si", "[2H]", "[Fe+2]",
            ]),
            0..40,
        )
        .prop_map(|parts| parts.concat()),
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn featurizers_never_panic(s in smiles_like()) {
        for scheme in [FeatureScheme::Ogb, FeatureScheme::PretrainGnns] {
            if let Ok(g) = scheme.featurizer().featurize(&s) {
                prop_assert!(g.num_atoms() > 0);
                let n = g.num_atoms() as u32;
                prop_assert!(g.bonds().iter().flatten().all(|&a| a < n));
            }
        }
        let _ = murcko_scaffold(&s);
    }

    #[test]
    fn reaction_parsing_never_panics(a in smiles_like(), b in smiles_like()) {
        let text = format!("{a}>>{b}");
        if let Ok(r) = Reaction::parse(&text) {
            let _ = r.featurize(FeatureScheme::Ogb.featurizer());
        }
        let _ = Reaction::parse(&a);
    }
}
