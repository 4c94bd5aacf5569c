//! One featurised molecule, independent of any tensor backend.

use serde::{Deserialize, Serialize};

/// A molecule as categorical graph features: atoms in parse order (after hydrogen removal),
/// each undirected bond listed once.
///
/// Features are stored row-major in flat vectors so a dataset of thousands of molecules
/// costs two allocations per molecule, not one per atom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MolGraph {
    num_atoms: usize,
    atom_width: usize,
    bond_width: usize,
    atom_features: Vec<i64>,
    bonds: Vec<[u32; 2]>,
    bond_features: Vec<i64>,
}

impl MolGraph {
    /// Builds a graph from flat feature rows; widths are the per-atom and per-bond feature counts.
    ///
    /// # Panics
    /// When the flat vectors do not match the widths: this is a programming error of a
    /// featurizer, never a consequence of user input.
    pub fn new(
        atom_width: usize,
        atom_features: Vec<i64>,
        bond_width: usize,
        bonds: Vec<[u32; 2]>,
        bond_features: Vec<i64>,
    ) -> Self {
        assert!(atom_width > 0 && atom_features.len().is_multiple_of(atom_width));
        assert_eq!(bond_features.len(), bonds.len() * bond_width);
        let num_atoms = atom_features.len() / atom_width;
        assert!(bonds.iter().flatten().all(|&a| (a as usize) < num_atoms));
        Self {
            num_atoms,
            atom_width,
            bond_width,
            atom_features,
            bonds,
            bond_features,
        }
    }

    /// Number of (heavy) atoms.
    pub fn num_atoms(&self) -> usize {
        self.num_atoms
    }

    /// Number of undirected bonds.
    pub fn num_bonds(&self) -> usize {
        self.bonds.len()
    }

    /// Features per atom.
    pub fn atom_width(&self) -> usize {
        self.atom_width
    }

    /// Features per bond.
    pub fn bond_width(&self) -> usize {
        self.bond_width
    }

    /// Feature row of atom `i`.
    pub fn atom(&self, i: usize) -> &[i64] {
        &self.atom_features[i * self.atom_width..(i + 1) * self.atom_width]
    }

    /// Undirected bond `j` as `[begin, end]` atom indices.
    pub fn bond_atoms(&self, j: usize) -> [u32; 2] {
        self.bonds[j]
    }

    /// Feature row of bond `j`.
    pub fn bond(&self, j: usize) -> &[i64] {
        &self.bond_features[j * self.bond_width..(j + 1) * self.bond_width]
    }

    /// All atom features, row-major `[num_atoms * atom_width]`.
    pub fn atom_features(&self) -> &[i64] {
        &self.atom_features
    }

    /// All bonds as `[begin, end]`.
    pub fn bonds(&self) -> &[[u32; 2]] {
        &self.bonds
    }

    /// All bond features, row-major `[num_bonds * bond_width]`.
    pub fn bond_features(&self) -> &[i64] {
        &self.bond_features
    }
}
