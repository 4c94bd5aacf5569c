//! Attribute masking (Hu et al. 2020, pretrain-gnns `MaskAtom`): a share of a molecule's atoms
//! get the mask category in place of their features, optionally with the bonds that touch
//! them, and the model predicts what was hidden.

use rand::seq::index;

use crate::error::{GraphError, Result};
use crate::featurize::pretrain_gnns_vocab::{MASK_ATOM, MASK_BOND};
use crate::featurize::{FeatureScheme, Featurizer};
use crate::mol_graph::MolGraph;
use crate::random::Generator;

/// How atoms (and bonds) are masked.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeMasking {
    /// Share of each molecule's atoms masked; pretrain-gnns masks `⌊n · rate + 1⌋` of them
    /// (at least one), drawn without replacement.
    pub rate: f64,
    /// Also mask every bond touching a masked atom (pretrain-gnns `--mask_edge`).
    pub mask_bonds: bool,
    /// The feature row a masked atom gets.
    pub atom_row: Vec<i64>,
    /// The feature row a masked bond gets.
    pub bond_row: Vec<i64>,
}

/// A molecule with masked atoms, and what was hidden.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskedGraph {
    /// The molecule with masked features.
    pub graph: MolGraph,
    /// Masked atoms (indices into the molecule), in draw order.
    pub atoms: Vec<usize>,
    /// Their first feature (the atom type) before masking.
    pub atom_labels: Vec<i64>,
    /// Masked bonds (indices into the molecule's bond list), ascending.
    pub bonds: Vec<usize>,
    /// Their first feature (the bond type) before masking.
    pub bond_labels: Vec<i64>,
}

impl AttributeMasking {
    /// pretrain-gnns' masking for molecules of `featurizer`'s scheme, which must be theirs
    /// (its mask categories: atom type 119, bond type 5; other features 0).
    ///
    /// ```
    /// use molkd_graph::masking::AttributeMasking;
    /// use molkd_graph::random::Generator;
    /// use molkd_graph::{Featurizer, PretrainGnnFeaturizer};
    /// let masking = AttributeMasking::pretrain_gnns(&PretrainGnnFeaturizer, 0.15, true).unwrap();
    /// let ethanol = PretrainGnnFeaturizer.featurize("CCO").unwrap();
    /// let masked = masking.mask(&ethanol, &mut Generator::new(0));
    /// assert_eq!(masked.atoms.len(), 1); // ⌊3 · 0.15 + 1⌋
    /// assert_eq!(masked.graph.atom(masked.atoms[0]), &[119, 0]);
    /// ```
    pub fn pretrain_gnns(featurizer: &dyn Featurizer, rate: f64, mask_bonds: bool) -> Result<Self> {
        if featurizer.scheme() != FeatureScheme::PretrainGnns {
            return Err(GraphError::InvalidSetting(format!(
                "attribute masking needs the pretrain-gnns feature scheme (it has the mask \
                 categories), not {}",
                featurizer.scheme()
            )));
        }
        if !(rate.is_finite() && (0.0..1.0).contains(&rate)) {
            return Err(GraphError::InvalidSetting(format!(
                "mask rate {rate} must lie in [0, 1)"
            )));
        }
        Ok(Self {
            rate,
            mask_bonds,
            atom_row: vec![MASK_ATOM, 0],
            bond_row: vec![MASK_BOND, 0],
        })
    }

    /// Number of atoms masked in a molecule of `n` atoms: `⌊n · rate + 1⌋`, at most `n`.
    pub fn count(&self, n: usize) -> usize {
        ((n as f64 * self.rate + 1.0).floor() as usize).min(n)
    }

    /// Masks `graph`, drawing the atoms from `rng`.
    pub fn mask(&self, graph: &MolGraph, rng: &mut Generator) -> MaskedGraph {
        let n = graph.num_atoms();
        let atoms = index::sample(rng, n, self.count(n)).into_vec();
        self.mask_atoms(graph, atoms)
    }

    /// Masks the given `atoms` of `graph` (and, with `mask_bonds`, the bonds touching them).
    ///
    /// # Panics
    /// On an atom index outside the molecule.
    pub fn mask_atoms(&self, graph: &MolGraph, atoms: Vec<usize>) -> MaskedGraph {
        let mut atom_features = graph.atom_features().to_vec();
        let aw = graph.atom_width();
        let atom_labels = atoms.iter().map(|&a| graph.atom(a)[0]).collect();
        for &a in &atoms {
            overwrite(&mut atom_features[a * aw..(a + 1) * aw], &self.atom_row);
        }
        let mut bond_features = graph.bond_features().to_vec();
        let bw = graph.bond_width();
        let bonds: Vec<usize> = if self.mask_bonds {
            (0..graph.num_bonds())
                .filter(|&j| {
                    let [u, v] = graph.bond_atoms(j);
                    atoms.contains(&(u as usize)) || atoms.contains(&(v as usize))
                })
                .collect()
        } else {
            Vec::new()
        };
        let bond_labels = bonds.iter().map(|&j| graph.bond(j)[0]).collect();
        for &j in &bonds {
            overwrite(&mut bond_features[j * bw..(j + 1) * bw], &self.bond_row);
        }
        let mut masked =
            MolGraph::new(aw, atom_features, bw, graph.bonds().to_vec(), bond_features);
        if let Some(coords) = graph.coords() {
            masked = masked
                .with_coords(coords.to_vec())
                .expect("the coordinates of a valid graph fit it");
        }
        MaskedGraph {
            graph: masked,
            atoms,
            atom_labels,
            bonds,
            bond_labels,
        }
    }
}

/// Writes `mask` over the start of `row` and zeros after it.
fn overwrite(row: &mut [i64], mask: &[i64]) {
    for (k, x) in row.iter_mut().enumerate() {
        *x = mask.get(k).copied().unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OgbFeaturizer, PretrainGnnFeaturizer};

    fn masking(mask_bonds: bool) -> AttributeMasking {
        AttributeMasking::pretrain_gnns(&PretrainGnnFeaturizer, 0.15, mask_bonds).unwrap()
    }

    #[test]
    fn masks_the_chosen_atoms_and_their_bonds_and_keeps_the_rest() {
        // Acetic acid: C0-C1, C1=O2, C1-O3.
        let g = PretrainGnnFeaturizer.featurize("CC(=O)O").unwrap();
        let m = masking(true).mask_atoms(&g, vec![2]);
        assert_eq!(m.atom_labels, vec![7]); // oxygen: atomic number 8 − 1
        assert_eq!(m.graph.atom(2), &[119, 0]);
        for a in [0, 1, 3] {
            assert_eq!(m.graph.atom(a), g.atom(a));
        }
        let double = (0..g.num_bonds())
            .find(|&j| g.bond_atoms(j).contains(&2))
            .unwrap();
        assert_eq!(m.bonds, vec![double]);
        assert_eq!(m.bond_labels, vec![1]); // double
        assert_eq!(m.graph.bond(double), &[5, 0]);
        for j in (0..g.num_bonds()).filter(|&j| j != double) {
            assert_eq!(m.graph.bond(j), g.bond(j));
        }
        assert_eq!(m.graph.bonds(), g.bonds());

        let atoms_only = masking(false).mask_atoms(&g, vec![1]);
        assert!(atoms_only.bonds.is_empty() && atoms_only.bond_labels.is_empty());
        assert_eq!(atoms_only.graph.bond_features(), g.bond_features());
    }

    #[test]
    fn masks_pretrain_gnns_counts_of_distinct_atoms_at_about_the_rate() {
        let g = PretrainGnnFeaturizer
            .featurize("CC(C)Cc1ccc(cc1)C(C)C(=O)O")
            .unwrap(); // ibuprofen, 15 heavy atoms
        let m = masking(false);
        assert_eq!(m.count(15), 3); // ⌊15 · 0.15 + 1⌋
        assert_eq!(m.count(1), 1);
        let mut rng = Generator::new(7);
        let mut hits = vec![0usize; g.num_atoms()];
        for _ in 0..3000 {
            let masked = m.mask(&g, &mut rng);
            let mut atoms = masked.atoms.clone();
            atoms.sort_unstable();
            atoms.dedup();
            assert_eq!(atoms.len(), 3);
            for a in atoms {
                hits[a] += 1;
            }
        }
        // Each atom is drawn with probability 3/15: 600 of 3000, within 5 standard errors.
        for h in hits {
            assert!(
                (h as f64 - 600.0).abs() < 5.0 * (3000.0f64 * 0.2 * 0.8).sqrt(),
                "{h}"
            );
        }
    }

    #[test]
    fn refuses_schemes_without_mask_categories_and_bad_rates() {
        assert!(AttributeMasking::pretrain_gnns(&OgbFeaturizer, 0.15, false).is_err());
        assert!(AttributeMasking::pretrain_gnns(&PretrainGnnFeaturizer, 1.0, false).is_err());
        assert!(AttributeMasking::pretrain_gnns(&PretrainGnnFeaturizer, f64::NAN, false).is_err());
    }
}
