//! The pretrain-gnns (Hu et al. 2020) / MolKD student feature scheme.

use chematic_core::{BondOrder, Molecule};
use chematic_smiles::{ogb_graph_features, rdkit_sanitized_model};

use super::{FeatureScheme, Featurizer, perception_error};
use crate::error::{GraphError, Result};
use crate::mol_graph::MolGraph;

/// Atom features: atomic number − 1 (118 real elements, 119 = mask), chirality tag
/// (unspecified, CW, CCW).
pub const PRETRAIN_ATOM_VOCAB: [usize; 2] = [120, 3];
/// Bond features: type (single, double, triple, aromatic, 4 = self-loop, 5 = mask) and
/// direction (none, end-up-right, end-down-right).
pub const PRETRAIN_BOND_VOCAB: [usize; 2] = [6, 3];
/// Atom-type category used to mask atoms in pre-training.
pub const MASK_ATOM: i64 = 119;
/// Bond-type category of self-loop edges.
pub const SELF_LOOP_BOND: i64 = 4;
/// Bond-type category used to mask bonds in pre-training.
pub const MASK_BOND: i64 = 5;

const SCHEME: &str = "pretrain-gnns";

/// `mol_to_graph_data_obj_simple` of pretrain-gnns `chem/loader.py`: atom (type, chirality),
/// bond (type, direction). Elements outside 1..=118, chirality other than tetrahedral and bond
/// types other than single/double/triple/aromatic cannot be encoded (pretrain-gnns raises too).
#[derive(Debug, Clone, Copy, Default)]
pub struct PretrainGnnFeaturizer;

impl Featurizer for PretrainGnnFeaturizer {
    fn scheme(&self) -> FeatureScheme {
        FeatureScheme::PretrainGnns
    }

    fn atom_vocab_sizes(&self) -> &'static [usize] {
        &PRETRAIN_ATOM_VOCAB
    }

    fn bond_vocab_sizes(&self) -> &'static [usize] {
        &PRETRAIN_BOND_VOCAB
    }

    fn self_loop_bond(&self) -> Option<&'static [i64]> {
        Some(&[SELF_LOOP_BOND, 0])
    }

    fn featurize_molecule(&self, mol: &Molecule, smiles: &str) -> Result<MolGraph> {
        let unencodable = |what: String| GraphError::Unencodable {
            smiles: smiles.to_string(),
            scheme: SCHEME,
            what,
        };
        // OGB's features already carry RDKit's atomic number, chiral tag and bond type.
        let g = ogb_graph_features(mol).map_err(|e| perception_error(e, smiles, SCHEME))?;
        let mut atoms = Vec::with_capacity(g.node_feat.len() * 2);
        for (i, f) in g.node_feat.iter().enumerate() {
            if f[0] >= 118 {
                return Err(unencodable(format!(
                    "atom {i} (atomic number outside 1..=118)"
                )));
            }
            if f[1] > 2 {
                return Err(unencodable(format!("atom {i} (non-tetrahedral chirality)")));
            }
            atoms.extend([f[0], f[1]]);
        }
        let bonds: Vec<[u32; 2]> = g
            .edge_index
            .iter()
            .step_by(2)
            .map(|e| [e[0] as u32, e[1] as u32])
            .collect();
        let ogb_bonds: Vec<[i64; 3]> = g.edge_feat.iter().step_by(2).copied().collect();
        let dirs = bond_directions(mol, &bonds, &ogb_bonds, smiles)?;
        let mut bond_features = Vec::with_capacity(bonds.len() * 2);
        for (j, (f, dir)) in ogb_bonds.iter().zip(dirs).enumerate() {
            if f[0] > 3 {
                return Err(unencodable(format!(
                    "bond {j} (not single, double, triple or aromatic)"
                )));
            }
            bond_features.extend([f[0], dir]);
        }
        Ok(MolGraph::new(2, atoms, 2, bonds, bond_features))
    }
}

/// RDKit's `Bond::GetBondDir` after `MolFromSmiles`: `/` and `\` give end-up-right (1) and
/// end-down-right (2) relative to the bond's begin atom; legacy stereo perception clears the
/// directions next to double bonds it finds not to be stereo.
fn bond_directions(
    mol: &Molecule,
    bonds: &[[u32; 2]],
    ogb_bonds: &[[i64; 3]],
    smiles: &str,
) -> Result<Vec<i64>> {
    let mut dirs = vec![0i64; bonds.len()];
    let directional = |o: BondOrder| matches!(o, BondOrder::Up | BondOrder::Down);
    if !mol.bonds().any(|(_, b)| directional(b.order)) {
        return Ok(dirs);
    }
    // Map chematic atoms to the hydrogen-free model (kept atoms keep their relative order),
    // and walk chematic bonds in RDKit order: the k-th kept bond is the model's bond k.
    let model = rdkit_sanitized_model(mol).map_err(|e| perception_error(e, smiles, SCHEME))?;
    let mut new_index = vec![u32::MAX; model.atoms.len()];
    let mut next = 0u32;
    for (i, atom) in model.atoms.iter().enumerate() {
        if atom.is_some() {
            new_index[i] = next;
            next += 1;
        }
    }
    let entries: Vec<_> = mol.bonds().map(|(_, b)| b.clone()).collect();
    let mut k = 0usize;
    for bond_idx in mol.rdkit_bond_order() {
        let b = &entries[bond_idx.0 as usize];
        let (a1, a2) = (new_index[b.atom1.0 as usize], new_index[b.atom2.0 as usize]);
        if a1 == u32::MAX || a2 == u32::MAX {
            continue;
        }
        if k >= bonds.len() {
            break;
        }
        if directional(b.order) {
            let up = matches!(b.order, BondOrder::Up);
            let as_written = bonds[k] == [a1, a2];
            dirs[k] = if up == as_written { 1 } else { 2 };
        }
        k += 1;
    }
    // Double bonds perceived as non-stereo lose the directions of their neighbouring single
    // bonds, unless a neighbour also serves a stereo double bond.
    let touches = |j: usize, d: usize| {
        let [a, b] = bonds[j];
        let [c, e] = bonds[d];
        j != d && (a == c || a == e || b == c || b == e)
    };
    let is_double = |d: usize| ogb_bonds[d][0] == 1;
    let cleared: Vec<bool> = (0..bonds.len())
        .map(|j| {
            let near = |stereo: bool| {
                (0..bonds.len())
                    .any(|d| is_double(d) && touches(j, d) && (ogb_bonds[d][1] != 0) == stereo)
            };
            near(false) && !near(true)
        })
        .collect();
    for (dir, clear) in dirs.iter_mut().zip(cleared) {
        if clear {
            *dir = 0;
        }
    }
    Ok(dirs)
}
