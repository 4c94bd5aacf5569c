//! One reaction text → featurised reactants and products, or the reason it is skipped.

use std::collections::HashSet;

use molkd_graph::{Featurizer, GraphError, MolGraph, Reaction, ReactionGraph};

use super::SkipKind;

/// A featurised reaction and how many unchanged reactants were dropped from it.
pub(super) type Built = (ReactionGraph, usize);

/// Parses `text`, optionally drops unchanged reactants, and featurises every component.
pub(super) fn build_reaction(
    text: &str,
    featurizer: &dyn Featurizer,
    drop_unchanged_reactants: bool,
) -> std::result::Result<Built, String> {
    if !text.contains('>') {
        return Err(SkipKind::InvalidReaction.reason("no `>>` separator"));
    }
    let reaction = Reaction::parse(text).map_err(|e| match e {
        GraphError::InvalidReaction { message, .. } => SkipKind::InvalidReaction.reason(&message),
        other => SkipKind::InvalidReaction.reason(&other.to_string()),
    })?;
    let mut reactants = reaction.reactants;
    let mut dropped = 0;
    if drop_unchanged_reactants {
        let products: HashSet<String> = reaction
            .products
            .iter()
            .map(|p| strip_atom_maps(p))
            .collect();
        let before = reactants.len();
        reactants.retain(|r| !products.contains(&strip_atom_maps(r)));
        dropped = before - reactants.len();
        if reactants.is_empty() {
            return Err(SkipKind::InvalidReaction
                .reason("every reactant appears unchanged among the products"));
        }
    }
    let side = |list: &[String], name: &str| -> std::result::Result<Vec<MolGraph>, String> {
        list.iter()
            .enumerate()
            .map(|(i, smiles)| {
                featurizer.featurize(smiles).map_err(|e| {
                    SkipKind::InvalidComponent.reason(&format!(
                        "{name} {} `{smiles}`: {}",
                        i + 1,
                        detail(&e)
                    ))
                })
            })
            .collect()
    };
    Ok((
        ReactionGraph {
            reactants: side(&reactants, "reactant")?,
            products: side(&reaction.products, "product")?,
        },
        dropped,
    ))
}

/// What went wrong with a component, without repeating its SMILES.
fn detail(e: &GraphError) -> String {
    match e {
        GraphError::InvalidSmiles { message, .. } => format!("does not parse: {message}"),
        GraphError::Sanitization { message, .. } => format!("fails sanitisation: {message}"),
        GraphError::Unencodable { scheme, what, .. } => {
            format!("{what} cannot be encoded by the {scheme} featurizer")
        }
        other => other.to_string(),
    }
}

/// `smiles` without atom-map numbers: `[CH3:15]` → `[CH3]`. Only the `:n` class inside
/// brackets is removed; nothing else is rewritten, so `[CH3]` and `C` stay different.
pub fn strip_atom_maps(smiles: &str) -> String {
    let mut out = String::with_capacity(smiles.len());
    let mut in_bracket = false;
    let mut chars = smiles.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '[' => in_bracket = true,
            ']' => in_bracket = false,
            ':' if in_bracket => {
                while chars.next_if(char::is_ascii_digit).is_some() {}
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}
