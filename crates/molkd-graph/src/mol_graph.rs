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

    /// Bond hops from atom `root` to every atom (breadth-first); `None` where unreachable.
    ///
    /// # Panics
    /// When `root` is not an atom of the molecule.
    pub fn hop_distances(&self, root: usize) -> Vec<Option<usize>> {
        assert!(root < self.num_atoms, "atom {root} of {}", self.num_atoms);
        let mut neighbours = vec![Vec::new(); self.num_atoms];
        for &[u, v] in &self.bonds {
            neighbours[u as usize].push(v as usize);
            neighbours[v as usize].push(u as usize);
        }
        let mut distance = vec![None; self.num_atoms];
        distance[root] = Some(0);
        let mut queue = std::collections::VecDeque::from([root]);
        while let Some(a) = queue.pop_front() {
            let next = distance[a].map(|d| d + 1);
            for &b in &neighbours[a] {
                if distance[b].is_none() {
                    distance[b] = next;
                    queue.push_back(b);
                }
            }
        }
        distance
    }

    /// The subgraph induced by `atoms` (ascending, distinct): those atoms in that order, the
    /// bonds between them, and their coordinates.
    ///
    /// # Panics
    /// When `atoms` is not ascending or names an atom outside the molecule.
    pub fn subgraph(&self, atoms: &[usize]) -> MolGraph {
        assert!(atoms.windows(2).all(|w| w[0] < w[1]), "atoms must ascend");
        assert!(atoms.last().is_none_or(|&a| a < self.num_atoms));
        let mut new_index = vec![u32::MAX; self.num_atoms];
        for (k, &a) in atoms.iter().enumerate() {
            new_index[a] = k as u32;
        }
        let atom_features = atoms.iter().flat_map(|&a| self.atom(a)).copied().collect();
        let mut bonds = Vec::new();
        let mut bond_features = Vec::new();
        for (j, &[u, v]) in self.bonds.iter().enumerate() {
            let (u, v) = (new_index[u as usize], new_index[v as usize]);
            if u != u32::MAX && v != u32::MAX {
                bonds.push([u, v]);
                bond_features.extend_from_slice(self.bond(j));
            }
        }
        let mut graph = MolGraph::new(
            self.atom_width,
            atom_features,
            self.bond_width,
            bonds,
            bond_features,
        );
        graph.coords = self
            .coords
            .as_ref()
            .map(|c| atoms.iter().map(|&a| c[a]).collect());
        graph
    }
}
