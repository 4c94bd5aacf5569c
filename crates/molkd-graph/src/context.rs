//! Context prediction (Hu et al. 2020, pretrain-gnns `ExtractSubstructureContextPair`): around
//! a root atom, the *substructure* is its `k`-hop neighbourhood and the *context* the atoms
//! between `r1` and `r2` hops away; the atoms they share anchor the context. A model learns to
//! tell a substructure's own context from another molecule's.

use rand::Rng;

use crate::error::{GraphError, Result};
use crate::mol_graph::MolGraph;
use crate::random::Generator;

/// Hop radii of the substructure and the context ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextSampling {
    /// Substructure: atoms at most `k` hops from the root (pretrain-gnns: the encoder's layer
    /// count, 5).
    pub k: usize,
    /// Inner radius: context atoms are more than `r1` hops from the root (pretrain-gnns:
    /// `k − 1`).
    pub r1: usize,
    /// Outer radius: context atoms are at most `r2` hops from the root (pretrain-gnns:
    /// `r1 + 3`).
    pub r2: usize,
}

/// A root's substructure and context, each a graph of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct SubstructContext {
    /// The root atom (index into the molecule).
    pub root: usize,
    /// Atoms within `k` hops, in molecule order, with the bonds between them.
    pub substruct: MolGraph,
    /// The root's index in `substruct`.
    pub center: usize,
    /// Atoms more than `r1` and at most `r2` hops away, with the bonds between them.
    pub context: MolGraph,
    /// Context atoms that are also in the substructure (indices into `context`), ascending.
    pub anchors: Vec<usize>,
}

impl ContextSampling {
    /// pretrain-gnns' radii for an encoder of `layers` layers and a context of `size` hops:
    /// `k = layers`, `r1 = layers − 1`, `r2 = r1 + size` (5, 4, 7 for the GIN 5 × 300).
    pub fn pretrain_gnns(layers: usize, size: usize) -> Result<Self> {
        Self::new(
            layers,
            layers.saturating_sub(1),
            layers.saturating_sub(1) + size,
        )
    }

    /// Radii `k`, `r1 < r2`, with `r1 < k` so that context and substructure overlap.
    pub fn new(k: usize, r1: usize, r2: usize) -> Result<Self> {
        if k == 0 || r1 >= r2 || r1 >= k {
            return Err(GraphError::InvalidSetting(format!(
                "context radii k = {k}, r1 = {r1}, r2 = {r2}: need k ≥ 1 and r1 < r2, r1 < k \
                 (the context ring must overlap the substructure)"
            )));
        }
        Ok(Self { k, r1, r2 })
    }

    /// The substructure and context of a root drawn uniformly from `graph`'s atoms; `None`
    /// when that root has no context (no atom more than `r1` hops away), as pretrain-gnns
    /// skips such molecules.
    pub fn sample(&self, graph: &MolGraph, rng: &mut Generator) -> Option<SubstructContext> {
        if graph.num_atoms() == 0 {
            return None;
        }
        let root = rng.random_range(0..graph.num_atoms());
        self.extract(graph, root)
    }

    /// The substructure and context around `root`; `None` when it has no context.
    ///
    /// # Panics
    /// When `root` is not an atom of `graph`.
    pub fn extract(&self, graph: &MolGraph, root: usize) -> Option<SubstructContext> {
        let hops = graph.hop_distances(root);
        let within = |lo: Option<usize>, hi: usize| {
            (0..graph.num_atoms())
                .filter(|&a| hops[a].is_some_and(|d| lo.is_none_or(|lo| d > lo) && d <= hi))
                .collect::<Vec<usize>>()
        };
        let substruct_atoms = within(None, self.k);
        let context_atoms = within(Some(self.r1), self.r2);
        let anchors: Vec<usize> = context_atoms
            .iter()
            .enumerate()
            .filter(|&(_, &a)| hops[a].is_some_and(|d| d <= self.k))
            .map(|(k, _)| k)
            .collect();
        if anchors.is_empty() {
            return None;
        }
        let center = substruct_atoms
            .binary_search(&root)
            .expect("the root is in its substructure");
        Some(SubstructContext {
            root,
            substruct: graph.subgraph(&substruct_atoms),
            center,
            context: graph.subgraph(&context_atoms),
            anchors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Featurizer, PretrainGnnFeaturizer};

    #[test]
    fn substructure_context_and_anchors_follow_the_hop_radii() {
        // Decane: a chain of 10 carbons, atom i at |i − root| hops.
        let g = PretrainGnnFeaturizer.featurize("CCCCCCCCCC").unwrap();
        let sampling = ContextSampling::pretrain_gnns(5, 3).unwrap();
        assert_eq!(sampling, ContextSampling { k: 5, r1: 4, r2: 7 });
        let sc = sampling.extract(&g, 0).unwrap();
        // Substructure: atoms 0..=5 (5 bonds); context: atoms 5..=7 (2 bonds); anchor: atom 5.
        assert_eq!(sc.substruct.num_atoms(), 6);
        assert_eq!(sc.substruct.num_bonds(), 5);
        assert_eq!(sc.center, 0);
        assert_eq!(sc.context.num_atoms(), 3);
        assert_eq!(sc.context.num_bonds(), 2);
        assert_eq!(sc.anchors, vec![0]);

        // From the middle (atom 4): substructure = every atom; context = atom 9 only (5 hops),
        // which is also the anchor.
        let sc = sampling.extract(&g, 4).unwrap();
        assert_eq!(sc.substruct.num_atoms(), 10);
        assert_eq!(sc.center, 4);
        assert_eq!(sc.context.num_atoms(), 1);
        assert_eq!(sc.context.num_bonds(), 0);
        assert_eq!(sc.anchors, vec![0]);
    }

    #[test]
    fn small_molecules_have_no_context_and_radii_are_checked() {
        let g = PretrainGnnFeaturizer.featurize("c1ccccc1O").unwrap(); // at most 4 hops apart
        let sampling = ContextSampling::pretrain_gnns(5, 3).unwrap();
        assert!((0..g.num_atoms()).all(|r| sampling.extract(&g, r).is_none()));
        assert!(sampling.sample(&g, &mut Generator::new(1)).is_none());
        assert!(ContextSampling::new(5, 5, 7).is_err());
        assert!(ContextSampling::new(5, 4, 4).is_err());
        assert!(ContextSampling::new(0, 0, 1).is_err());
    }

    #[test]
    fn subgraphs_keep_features_bonds_and_coordinates_of_their_atoms() {
        let g = PretrainGnnFeaturizer
            .featurize("CC(=O)N")
            .unwrap()
            .with_coords(vec![
                [0.0; 3],
                [1.0, 0.0, 0.0],
                [2.0, 0.0, 0.0],
                [1.0, 1.0, 0.0],
            ])
            .unwrap();
        let sub = g.subgraph(&[1, 2]);
        assert_eq!(sub.atom(0), g.atom(1));
        assert_eq!(sub.atom(1), g.atom(2));
        assert_eq!(sub.bonds(), &[[0, 1]]);
        let carbonyl = (0..g.num_bonds())
            .find(|&j| g.bond_atoms(j) == [1, 2])
            .unwrap();
        assert_eq!(sub.bond(0), g.bond(carbonyl));
        assert_eq!(sub.coords().unwrap(), &[[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]]);
        assert_eq!(g.hop_distances(0), vec![Some(0), Some(1), Some(2), Some(2)]);
    }
}
