//! The distinct molecules of reaction files: what the student pre-trains on in place of
//! pretrain-gnns' ZINC-2M, which molkd does not have. Reactant and product components of every
//! kept reaction, atom maps removed, told apart by canonical SMILES (molkd-graph's canonical
//! writer); components of fewer than two heavy atoms (ions, single atoms) carry no structure to
//! mask or to put in context and are left out. No labels are read.

use std::collections::HashSet;
use std::path::PathBuf;

use molkd_graph::featurize::canonical_smiles;
use molkd_graph::{Featurizer, Reaction};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::dataset::{MoleculeDataset, SkippedRow, TaskType};
use super::reactions::{ReactionFormat, ReactionLoadOptions, load_reactions, strip_atom_maps};
use crate::error::{Result, TrainError};

/// One reaction file to take molecules from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoleculeSource {
    /// Its layout.
    pub format: ReactionFormat,
    /// The file.
    pub path: PathBuf,
}

/// What each file contributed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceCount {
    /// File name.
    pub file: String,
    /// Reactions read from it (kept by the reaction loader).
    pub reactions: usize,
    /// Reactant and product components in them.
    pub components: usize,
    /// Molecules first seen in this file (after the earlier files).
    pub new_molecules: usize,
}

/// The molecule set and how it was made.
#[derive(Debug, Clone)]
pub struct ReactionMolecules {
    /// The distinct molecules, in first-seen order (no tasks); `rows[i]` is the molecule's
    /// index in that order.
    pub data: MoleculeDataset,
    /// Per file.
    pub sources: Vec<SourceCount>,
    /// Distinct components left out for having fewer than two heavy atoms.
    pub too_small: usize,
}

/// The distinct molecules (≥ 2 heavy atoms) of `sources`, featurised by `featurizer`.
/// Components that do not featurise are skipped with their reason (`row`: first-seen index).
/// Errors: a file that does not load, or no molecule at all.
pub fn load_reaction_molecules(
    sources: &[MoleculeSource],
    featurizer: &dyn Featurizer,
    options: &ReactionLoadOptions,
) -> Result<ReactionMolecules> {
    let mut seen = HashSet::new();
    let mut distinct: Vec<String> = Vec::new();
    let mut counts = Vec::new();
    for source in sources {
        let reactions = load_reactions(source.format, &source.path, featurizer, options)?;
        let components: Vec<String> = reactions
            .smiles
            .iter()
            .filter_map(|text| Reaction::parse(text).ok())
            .flat_map(|r| r.reactants.into_iter().chain(r.products))
            .map(|c| strip_atom_maps(&c))
            .collect();
        let canonical: Vec<Option<String>> = components
            .par_iter()
            .map(|c| canonical_smiles(c).ok())
            .collect();
        let before = distinct.len();
        for smiles in canonical.into_iter().flatten() {
            if seen.insert(smiles.clone()) {
                distinct.push(smiles);
            }
        }
        counts.push(SourceCount {
            file: reactions.name.clone(),
            reactions: reactions.reactions.len(),
            components: components.len(),
            new_molecules: distinct.len() - before,
        });
    }
    let graphs: Vec<_> = distinct
        .par_iter()
        .map(|s| featurizer.featurize(s))
        .collect();
    let names: Vec<String> = sources
        .iter()
        .map(|s| {
            s.path
                .file_name()
                .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
        })
        .collect();
    let mut data = MoleculeDataset {
        name: format!("molecules of {}", names.join(" + ")),
        task_names: Vec::new(),
        task_type: TaskType::Classification,
        smiles: Vec::new(),
        graphs: Vec::new(),
        labels: Vec::new(),
        rows: Vec::new(),
        skipped: Vec::new(),
        total_rows: distinct.len(),
    };
    let mut too_small = 0;
    for (row, (smiles, graph)) in distinct.into_iter().zip(graphs).enumerate() {
        match graph {
            Ok(g) if g.num_atoms() < 2 => too_small += 1,
            Ok(g) => {
                data.smiles.push(smiles);
                data.graphs.push(g);
                data.rows.push(row);
            }
            Err(e) => data.skipped.push(SkippedRow {
                row,
                line: row as u64 + 1,
                reason: format!("{smiles}: {e}"),
            }),
        }
    }
    if data.is_empty() {
        return Err(TrainError::Invalid(format!(
            "{}: no molecule of two or more heavy atoms",
            data.name
        )));
    }
    Ok(ReactionMolecules {
        data,
        sources: counts,
        too_small,
    })
}
