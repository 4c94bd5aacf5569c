//! One featurised molecule, independent of any tensor backend.

use serde::{Deserialize, Serialize};

use crate::error::{GraphError, Result};

/// A molecule as categorical graph features: atoms in parse order (after hydrogen removal),
/// each undirected bond listed once, and optionally a 3D position per atom (Å).
///
/// Features are stored row-major in flat vectors so a dataset of thousands of molecules
/// costs two allocations per molecule, not one per atom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MolGraph {
    num_atoms: usize,
    atom_width: usize,
    bond_width: usize,
    atom_features: Vec<i64>,
    bonds: Vec<[u32; 2]>,
    bond_features: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    coords: Option<Vec<[f32; 3]>>,
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
            coords: None,
        }
    }

    /// The same graph with a 3D position (Å) per atom, in atom order. Errors: a count that is
    /// not the atom count, or a coordinate that is not finite.
    ///
    /// ```
    /// use molkd_graph::{Featurizer, OgbFeaturizer};
    /// let water = OgbFeaturizer.featurize("O").unwrap();
    /// let placed = water.clone().with_coords(vec![[0.0, 0.0, 0.1]]).unwrap();
    /// assert_eq!(placed.coords(), Some(&[[0.0, 0.0, 0.1]][..]));
    /// assert!(water.with_coords(vec![]).is_err());
    /// ```
    pub fn with_coords(mut self, coords: Vec<[f32; 3]>) -> Result<Self> {
        if coords.len() != self.num_atoms {
            return Err(GraphError::Coordinates(format!(
                "{} positions for {} atoms",
                coords.len(),
                self.num_atoms
            )));
        }
        if let Some(i) = coords.iter().position(|p| p.iter().any(|v| !v.is_finite())) {
            return Err(GraphError::Coordinates(format!(
                "atom {i} has a position that is not finite: {:?}",
                coords[i]
            )));
        }
        self.coords = Some(coords);
        Ok(self)
    }

    /// 3D positions (Å) per atom, when the molecule has them.
    pub fn coords(&self) -> Option<&[[f32; 3]]> {
        self.coords.as_deref()
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
