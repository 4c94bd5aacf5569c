//! Reaction SMILES: `reactants>agents>products`.

use serde::{Deserialize, Serialize};

use crate::error::{GraphError, Result};
use crate::featurize::Featurizer;
use crate::mol_graph::MolGraph;

/// A reaction as lists of component SMILES.
///
/// Parsing follows the conventions of the reaction data sets molkd reads: components are
/// separated by `.`, atom-map numbers are left in the text (they do not change features), a
/// CXSMILES tail (` |f:...|`) or anything else after the first whitespace is ignored, and `~`
/// inside a component (the Suzuki–Miyaura file's fragment join) makes its fragments one molecule.
///
/// ```
/// use molkd_graph::Reaction;
/// let r = Reaction::parse("[CH3:1][OH:2].CC(=O)O>[H+]>CC(=O)OC |f:0.1|").unwrap();
/// assert_eq!(r.reactants, ["[CH3:1][OH:2]", "CC(=O)O"]);
/// assert_eq!(r.agents, ["[H+]"]);
/// assert_eq!(r.products, ["CC(=O)OC"]);
/// assert!(Reaction::parse("CCO").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// Reactant molecules (reagents written on the reactant side stay here).
    pub reactants: Vec<String>,
    /// Agents written between the two `>`.
    pub agents: Vec<String>,
    /// Product molecules.
    pub products: Vec<String>,
}

/// A reaction's molecules featurised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReactionGraph {
    /// One graph per reactant.
    pub reactants: Vec<MolGraph>,
    /// One graph per product.
    pub products: Vec<MolGraph>,
}

impl Reaction {
    /// Parses reaction SMILES text; both the reactant and the product side must be non-empty.
    pub fn parse(text: &str) -> Result<Self> {
        let error = |message: &str| GraphError::InvalidReaction {
            reaction: text.to_string(),
            message: message.to_string(),
        };
        let body = text.split_whitespace().next().unwrap_or("");
        let sides: Vec<&str> = body.split('>').collect();
        if sides.len() != 3 {
            return Err(error(
                "expected `reactants>agents>products` (two `>` separators)",
            ));
        }
        let side = |s: &str, name: &str| -> Result<Vec<String>> {
            if s.is_empty() {
                return Ok(Vec::new());
            }
            s.split('.')
                .map(|c| {
                    if c.is_empty() {
                        Err(error(&format!("empty component on the {name} side")))
                    } else {
                        Ok(c.replace('~', "."))
                    }
                })
                .collect()
        };
        let reaction = Reaction {
            reactants: side(sides[0], "reactant")?,
            agents: side(sides[1], "agent")?,
            products: side(sides[2], "product")?,
        };
        if reaction.reactants.is_empty() {
            return Err(error("no reactants"));
        }
        if reaction.products.is_empty() {
            return Err(error("no products"));
        }
        Ok(reaction)
    }

    /// Featurises reactants and products (agents are not used by the models).
    pub fn featurize(&self, featurizer: &dyn Featurizer) -> Result<ReactionGraph> {
        let all = |list: &[String]| -> Result<Vec<MolGraph>> {
            list.iter().map(|s| featurizer.featurize(s)).collect()
        };
        Ok(ReactionGraph {
            reactants: all(&self.reactants)?,
            products: all(&self.products)?,
        })
    }
}
