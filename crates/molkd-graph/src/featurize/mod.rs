//! Featurisers: molecules → categorical atom and bond features.
//!
//! Both schemes build on `chematic_smiles`' port of RDKit's sanitisation, so the features are
//! those RDKit's `Chem.MolFromSmiles` would give (hydrogens removed as RDKit removes them).

mod ogb;
mod pretrain_gnns;
mod smiles_syntax;

/// Category constants of the pretrain-gnns scheme.
pub mod pretrain_gnns_vocab {
    pub use super::pretrain_gnns::{
        MASK_ATOM, MASK_BOND, PRETRAIN_ATOM_VOCAB, PRETRAIN_BOND_VOCAB, SELF_LOOP_BOND,
    };
}

pub use ogb::{OGB_ATOM_VOCAB, OGB_BOND_VOCAB, OgbFeaturizer};
pub use pretrain_gnns::PretrainGnnFeaturizer;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chematic_core::Molecule;
use chematic_smiles::{RdkitSmilesError, SmilesError};

use crate::error::{GraphError, Result};
use crate::mol_graph::MolGraph;

/// Turns molecules into [`MolGraph`]s with a fixed categorical vocabulary, so embedding tables
/// can be sized from [`Featurizer::atom_vocab_sizes`] and [`Featurizer::bond_vocab_sizes`].
pub trait Featurizer: Send + Sync {
    /// Which scheme this is.
    fn scheme(&self) -> FeatureScheme;

    /// Number of categories of each atom feature, in feature order.
    fn atom_vocab_sizes(&self) -> &'static [usize];

    /// Number of categories of each bond feature, in feature order.
    fn bond_vocab_sizes(&self) -> &'static [usize];

    /// Bond features to give self-loop edges, when the scheme has a self-loop category.
    fn self_loop_bond(&self) -> Option<&'static [i64]>;

    /// Featurises an already parsed molecule; `smiles` is only used in error messages.
    fn featurize_molecule(&self, mol: &Molecule, smiles: &str) -> Result<MolGraph>;

    /// Parses and featurises one SMILES string.
    ///
    /// ```
    /// use molkd_graph::{Featurizer, OgbFeaturizer};
    /// let ethanol = OgbFeaturizer.featurize("CCO").unwrap();
    /// assert_eq!(ethanol.num_atoms(), 3);
    /// assert_eq!(ethanol.atom(2), &[7, 0, 2, 5, 1, 0, 2, 0, 0]);
    /// assert!(OgbFeaturizer.featurize("C1CC").is_err());
    /// ```
    fn featurize(&self, smiles: &str) -> Result<MolGraph> {
        let mol = parse_smiles(smiles)?;
        self.featurize_molecule(&mol, smiles)
    }
}

/// The available feature schemes, by name (`ogb`, `pretrain-gnns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeatureScheme {
    /// OGB's 9 atom / 3 bond features ([`OgbFeaturizer`]).
    Ogb,
    /// The pretrain-gnns 2 atom / 2 bond features ([`PretrainGnnFeaturizer`]).
    PretrainGnns,
}

impl FeatureScheme {
    /// The featurizer implementing this scheme.
    pub fn featurizer(self) -> &'static dyn Featurizer {
        match self {
            FeatureScheme::Ogb => &OgbFeaturizer,
            FeatureScheme::PretrainGnns => &PretrainGnnFeaturizer,
        }
    }

    /// The scheme whose vocabularies these are (how a saved model's config names the
    /// featurisation it was trained on), if any.
    pub fn of_vocab(atom_vocab_sizes: &[usize], bond_vocab_sizes: &[usize]) -> Option<Self> {
        [FeatureScheme::Ogb, FeatureScheme::PretrainGnns]
            .into_iter()
            .find(|s| {
                let f = s.featurizer();
                f.atom_vocab_sizes() == atom_vocab_sizes && f.bond_vocab_sizes() == bond_vocab_sizes
            })
    }

    /// The scheme's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            FeatureScheme::Ogb => "ogb",
            FeatureScheme::PretrainGnns => "pretrain-gnns",
        }
    }
}

impl fmt::Display for FeatureScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FeatureScheme {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "ogb" => Ok(FeatureScheme::Ogb),
            "pretrain-gnns" | "pretrain_gnns" => Ok(FeatureScheme::PretrainGnns),
            other => Err(format!(
                "unknown feature scheme `{other}` (expected `ogb` or `pretrain-gnns`)"
            )),
        }
    }
}

/// Parses SMILES text into a chematic molecule, with an error that names the input and position.
///
/// Acceptance follows RDKit's `Chem.MolFromSmiles`: the text is first checked against RDKit's
/// SMILES grammar, which chematic-smiles is laxer about (see `smiles_syntax`).
///
/// ```
/// use molkd_graph::parse_smiles;
/// assert!(parse_smiles("CC(C)C").is_ok());
/// assert!(parse_smiles("CC()C").is_err()); // empty branch, rejected by RDKit
/// ```
pub fn parse_smiles(smiles: &str) -> Result<Molecule> {
    if smiles.trim().is_empty() {
        return Err(GraphError::InvalidSmiles {
            smiles: smiles.to_string(),
            message: "empty SMILES".into(),
            position: None,
        });
    }
    // Empty fragments (`C.`, `C..C`, which chematic would skip), empty branches and the rest of
    // what RDKit rejects and chematic would read; a few ring-bond spellings are rewritten.
    let checked = smiles_syntax::check(smiles)?;
    // RDKit's lexer reads a doubled backslash (an escaping leftover common in MoleculeNet
    // files, e.g. ClinTox) as one `\` bond.
    let text = if checked.contains("\\\\") {
        Cow::Owned(checked.replace("\\\\", "\\"))
    } else {
        checked
    };
    let mol = chematic_smiles::parse(&text).map_err(|e| GraphError::InvalidSmiles {
        smiles: smiles.to_string(),
        message: e.to_string(),
        position: smiles_error_position(&e),
    })?;
    if mol.atom_count() == 0 {
        return Err(GraphError::InvalidSmiles {
            smiles: smiles.to_string(),
            message: "no atoms".into(),
            position: None,
        });
    }
    Ok(mol)
}

/// A canonical SMILES of `smiles` (chematic's canonical writer, after [`parse_smiles`]), to
/// tell molecules apart whatever their spelling. Not RDKit's canonical form: compare only
/// strings made by this function.
///
/// ```
/// use molkd_graph::featurize::canonical_smiles;
/// assert_eq!(canonical_smiles("OCC").unwrap(), canonical_smiles("C(C)O").unwrap());
/// assert_ne!(canonical_smiles("CCO").unwrap(), canonical_smiles("COC").unwrap());
/// ```
pub fn canonical_smiles(smiles: &str) -> Result<String> {
    Ok(chematic_smiles::canonical_smiles(&parse_smiles(smiles)?))
}

fn smiles_error_position(e: &SmilesError) -> Option<usize> {
    use SmilesError::*;
    match e {
        UnexpectedEnd { pos }
        | UnknownElement { pos, .. }
        | UnmatchedRingClosure { pos, .. }
        | UnmatchedExtendedRingClosure { pos, .. }
        | MismatchedParentheses { pos }
        | InvalidBracketAtom { pos, .. }
        | ConflictingRingBond { pos, .. }
        | ConflictingExtendedRingBond { pos, .. }
        | NestingTooDeep { pos }
        | UnexpectedCharacter { pos }
        | UnsupportedChiralityClass { pos, .. } => Some(*pos),
        _ => None,
    }
}

/// Maps the RDKit port's refusal to our error type.
pub(crate) fn perception_error(
    e: RdkitSmilesError,
    smiles: &str,
    scheme: &'static str,
) -> GraphError {
    match e {
        RdkitSmilesError::Sanitization(message) => GraphError::Sanitization {
            smiles: smiles.to_string(),
            message,
        },
        RdkitSmilesError::Unsupported(what) => GraphError::Unencodable {
            smiles: smiles.to_string(),
            scheme,
            what,
        },
    }
}
