//! Atom-pair relations of a molecule, what relation Transformers (Graphormer, Transformer-M,
//! MoleBLEND) turn into attention biases: the shortest-path distance (SPD) of every pair, the
//! bond features of the hops along a shortest path (Graphormer's multi-hop edge encoding),
//! and Euclidean distances from 3D coordinates.
//!
//! **Tie rule.** Where several shortest paths join `i` and `j`, the path is the one a
//! breadth-first search from `i` finds when it visits neighbours in increasing atom index:
//! each atom's predecessor is the first atom of the previous BFS level (in visiting order)
//! bonded to it. It depends only on the atom order, like Graphormer's Floyd–Warshall paths,
//! but is not guaranteed to be the same path Graphormer picks; where the shortest path is
//! unique, every rule agrees (RDKit's `GetShortestPath` is checked against it in
//! `tests/relations_parity.rs`).

use crate::mol_graph::MolGraph;

/// SPD of a pair of atoms in different fragments (no path joins them).
pub const SPD_UNREACHABLE: u32 = u32::MAX;

/// Pair relations of one molecule of `n` atoms, row-major over ordered pairs `(i, j)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRelations {
    n: usize,
    max_hops: usize,
    bond_width: usize,
    spd: Vec<u32>,
    /// Bond index of hop `t` of the path `i → j` (`[n, n, max_hops]`), `u32::MAX` past its end.
    path_bonds: Vec<u32>,
    shortest_paths: Vec<u32>,
}

impl PairRelations {
    /// Relations of `graph`, keeping the bonds of the first `max_hops` hops of each path.
    ///
    /// ```
    /// use molkd_graph::{Featurizer, OgbFeaturizer, relations::PairRelations};
    /// let ethanol = OgbFeaturizer.featurize("CCO").unwrap();
    /// let r = PairRelations::of(&ethanol, 5);
    /// assert_eq!(r.spd_matrix(), vec![vec![0, 1, 2], vec![1, 0, 1], vec![2, 1, 0]]);
    /// // C0 → O2 crosses the C–C bond, then the C–O bond (bond indices 0 and 1).
    /// assert_eq!(r.path(0, 2), &[0, 1]);
    /// ```
    pub fn of(graph: &MolGraph, max_hops: usize) -> Self {
        let n = graph.num_atoms();
        let mut neighbours: Vec<Vec<(usize, u32)>> = vec![Vec::new(); n];
        for (b, &[u, v]) in graph.bonds().iter().enumerate() {
            neighbours[u as usize].push((v as usize, b as u32));
            neighbours[v as usize].push((u as usize, b as u32));
        }
        for list in &mut neighbours {
            list.sort_unstable();
        }
        let mut spd = vec![SPD_UNREACHABLE; n * n];
        let mut path_bonds = vec![u32::MAX; n * n * max_hops];
        let mut shortest_paths = vec![0u32; n * n];
        let mut parent = vec![(usize::MAX, u32::MAX); n];
        let mut queue = Vec::with_capacity(n);
        for i in 0..n {
            let row = i * n;
            spd[row + i] = 0;
            shortest_paths[row + i] = 1;
            queue.clear();
            queue.push(i);
            let mut head = 0;
            while head < queue.len() {
                let u = queue[head];
                head += 1;
                for &(v, bond) in &neighbours[u] {
                    let next = spd[row + u] + 1;
                    if spd[row + v] == SPD_UNREACHABLE {
                        spd[row + v] = next;
                        parent[v] = (u, bond);
                        queue.push(v);
                    }
                    if spd[row + v] == next {
                        shortest_paths[row + v] =
                            shortest_paths[row + v].saturating_add(shortest_paths[row + u]);
                    }
                }
            }
            // Walk each reached atom back to `i`; the hops run from `i` towards `j`.
            for &j in &queue[1..] {
                let length = spd[row + j] as usize;
                let (mut at, mut hop) = (j, length);
                while at != i {
                    let (up, bond) = parent[at];
                    hop -= 1;
                    if hop < max_hops {
                        path_bonds[(row + j) * max_hops + hop] = bond;
                    }
                    at = up;
                }
            }
        }
        Self {
            n,
            max_hops,
            bond_width: graph.bond_width(),
            spd,
            path_bonds,
            shortest_paths,
        }
    }

    /// Number of atoms.
    pub fn num_atoms(&self) -> usize {
        self.n
    }

    /// Hops kept per path.
    pub fn max_hops(&self) -> usize {
        self.max_hops
    }

    /// Shortest-path distance in bonds between atoms `i` and `j` ([`SPD_UNREACHABLE`] across
    /// fragments).
    pub fn spd(&self, i: usize, j: usize) -> u32 {
        self.spd[i * self.n + j]
    }

    /// All SPDs as rows.
    pub fn spd_matrix(&self) -> Vec<Vec<u32>> {
        self.spd
            .chunks(self.n.max(1))
            .map(<[u32]>::to_vec)
            .collect()
    }

    /// How many shortest paths join `i` and `j` (saturating; 0 across fragments).
    pub fn num_shortest_paths(&self, i: usize, j: usize) -> u32 {
        self.shortest_paths[i * self.n + j]
    }

    /// Bond indices of the first `max_hops` hops of the chosen shortest path from `i` to `j`
    /// (empty for `i == j` and across fragments).
    pub fn path(&self, i: usize, j: usize) -> &[u32] {
        let start = (i * self.n + j) * self.max_hops;
        let hops = &self.path_bonds[start..start + self.max_hops];
        let len = hops
            .iter()
            .position(|&b| b == u32::MAX)
            .unwrap_or(self.max_hops);
        &hops[..len]
    }

    /// Atoms along the kept hops of the path `i → j` of `graph` (the molecule these relations
    /// were computed from), starting at `i`.
    ///
    /// ```
    /// use molkd_graph::{Featurizer, OgbFeaturizer, relations::PairRelations};
    /// let benzene = OgbFeaturizer.featurize("c1ccccc1").unwrap();
    /// // Two shortest paths join atoms 0 and 3; the tie rule takes the lower-index side.
    /// assert_eq!(PairRelations::of(&benzene, 5).path_atoms(&benzene, 0, 3), [0, 1, 2, 3]);
    /// ```
    pub fn path_atoms(&self, graph: &MolGraph, i: usize, j: usize) -> Vec<usize> {
        let mut atoms = vec![i];
        for &bond in self.path(i, j) {
            let [u, v] = graph.bond_atoms(bond as usize);
            let at = *atoms.last().unwrap_or(&i);
            atoms.push(if u as usize == at {
                v as usize
            } else {
                u as usize
            });
        }
        atoms
    }

    /// Bond features of each hop of the path `i → j` (`graph` is the molecule these relations
    /// were computed from).
    pub fn path_features<'g>(
        &self,
        graph: &'g MolGraph,
        i: usize,
        j: usize,
    ) -> impl Iterator<Item = &'g [i64]> + use<'g, '_> {
        debug_assert_eq!(graph.bond_width(), self.bond_width);
        self.path(i, j).iter().map(move |&b| graph.bond(b as usize))
    }
}

/// Euclidean distances (Å) between all atom pairs of a molecule with coordinates, row-major
/// `[n × n]`; `None` without coordinates.
pub fn pair_distances(graph: &MolGraph) -> Option<Vec<f32>> {
    let coords = graph.coords()?;
    Some(
        coords
            .iter()
            .flat_map(|a| {
                coords.iter().map(move |b| {
                    let d: f32 = (0..3).map(|k| (a[k] - b[k]).powi(2)).sum();
                    d.sqrt()
                })
            })
            .collect(),
    )
}
