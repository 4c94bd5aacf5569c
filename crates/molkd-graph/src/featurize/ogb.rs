//! OGB's molecular features (`ogb.utils.features`), exact vocabularies.

use chematic_core::Molecule;
use chematic_smiles::ogb_graph_features;

use super::{FeatureScheme, Featurizer, perception_error};
use crate::error::Result;
use crate::mol_graph::MolGraph;

/// OGB atom features: atomic number, chirality, degree, formal charge, number of Hs,
/// radical electrons, hybridisation, aromatic, in ring; each with a trailing "misc" category.
pub const OGB_ATOM_VOCAB: [usize; 9] = [119, 5, 12, 12, 10, 6, 6, 2, 2];
/// OGB bond features: bond type (with misc), stereo, conjugated.
pub const OGB_BOND_VOCAB: [usize; 3] = [5, 6, 2];

/// The featurisation of `ogb.utils.smiles2graph` (9 atom, 3 bond categorical features).
///
/// OGB has no self-loop bond category, so [`Featurizer::self_loop_bond`] is `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OgbFeaturizer;

impl Featurizer for OgbFeaturizer {
    fn scheme(&self) -> FeatureScheme {
        FeatureScheme::Ogb
    }

    fn atom_vocab_sizes(&self) -> &'static [usize] {
        &OGB_ATOM_VOCAB
    }

    fn bond_vocab_sizes(&self) -> &'static [usize] {
        &OGB_BOND_VOCAB
    }

    fn self_loop_bond(&self) -> Option<&'static [i64]> {
        None
    }

    fn featurize_molecule(&self, mol: &Molecule, smiles: &str) -> Result<MolGraph> {
        let g = ogb_graph_features(mol).map_err(|e| perception_error(e, smiles, "ogb"))?;
        let atoms = g.node_feat.iter().flatten().copied().collect();
        // OGB lists each bond twice in a row (both directions): keep the first of each pair.
        let bonds = g
            .edge_index
            .iter()
            .step_by(2)
            .map(|e| [e[0] as u32, e[1] as u32])
            .collect();
        let bond_features = g.edge_feat.iter().step_by(2).flatten().copied().collect();
        Ok(MolGraph::new(9, atoms, 3, bonds, bond_features))
    }
}
