//! Bemis–Murcko scaffolds.

use chematic_core::Molecule;

use crate::error::Result;
use crate::featurize::{parse_smiles, perception_error};

/// The Murcko scaffold SMILES RDKit gives for `smiles`
/// (`MurckoScaffold.MurckoScaffoldSmiles(smiles, includeChirality=True)`, as pretrain-gnns
/// calls it). Acyclic molecules have the empty scaffold `""`.
///
/// ```
/// use molkd_graph::murcko_scaffold;
/// assert_eq!(murcko_scaffold("CCc1ccccc1").unwrap(), "c1ccccc1");
/// assert_eq!(murcko_scaffold("CCO").unwrap(), "");
/// ```
pub fn murcko_scaffold(smiles: &str) -> Result<String> {
    murcko_scaffold_of(&parse_smiles(smiles)?, smiles)
}

/// [`murcko_scaffold`] for a molecule already parsed from `smiles`.
pub fn murcko_scaffold_of(mol: &Molecule, smiles: &str) -> Result<String> {
    chematic_smiles::rdkit_murcko_scaffold(mol).map_err(|e| perception_error(e, smiles, "scaffold"))
}
