//! `molkd featurize`: a SMILES file or CSV column → JSON lines of features.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use molkd_graph::{FeatureScheme, MolGraph};
use rayon::prelude::*;
use serde::Serialize;

use crate::data::table::{open_text, read_table};
use crate::error::{Result, TrainError};

/// What a featurisation run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeaturizeReport {
    /// Molecules written (with features or with an error).
    pub molecules: usize,
    /// Of those, how many carry an error.
    pub errors: usize,
    /// Blank input lines / empty SMILES cells skipped (no output object).
    pub empty_skipped: usize,
}

/// Input molecules: one SMILES per line (first whitespace-separated token; the rest, e.g. a
/// name, is ignored), or the column `smiles_column` of a CSV. Gzip input is accepted.
pub fn read_smiles(input: &Path, smiles_column: Option<&str>) -> Result<(Vec<String>, usize)> {
    let mut smiles = Vec::new();
    let mut empty = 0usize;
    match smiles_column {
        Some(column) => {
            let table = read_table(input, b',')?;
            let c = table.column(column)?;
            for record in &table.records {
                match record[c].trim() {
                    "" => empty += 1,
                    s => smiles.push(s.to_string()),
                }
            }
        }
        None => {
            let reader = BufReader::new(open_text(input)?);
            for (n, line) in reader.lines().enumerate() {
                let line = line.map_err(|e| TrainError::Csv {
                    path: input.to_path_buf(),
                    message: format!(
                        "read failed at line {} (truncated or corrupt file?): {e}",
                        n + 1
                    ),
                })?;
                match line.split_whitespace().next() {
                    None => empty += 1,
                    Some(s) => smiles.push(s.to_string()),
                }
            }
        }
    }
    Ok((smiles, empty))
}

/// One JSON line: `{"smiles", "atoms", "bonds"}` or `{"smiles", "error"}`; each bond once as
/// `[i, j, bond features...]`.
pub fn graph_json(smiles: &str, graph: std::result::Result<&MolGraph, &str>) -> String {
    #[derive(Serialize)]
    struct Features<'a> {
        smiles: &'a str,
        atoms: Vec<&'a [i64]>,
        bonds: Vec<Vec<i64>>,
    }
    #[derive(Serialize)]
    struct Failure<'a> {
        smiles: &'a str,
        error: &'a str,
    }
    let json = match graph {
        Ok(g) => serde_json::to_string(&Features {
            smiles,
            atoms: (0..g.num_atoms()).map(|i| g.atom(i)).collect(),
            bonds: (0..g.num_bonds())
                .map(|j| {
                    let [a, b] = g.bond_atoms(j);
                    [a as i64, b as i64]
                        .into_iter()
                        .chain(g.bond(j).iter().copied())
                        .collect()
                })
                .collect(),
        }),
        Err(error) => serde_json::to_string(&Failure { smiles, error }),
    };
    json.unwrap_or_else(|e| format!("{{\"error\":\"serialisation failed: {e}\"}}"))
}

/// Featurises `input` with `scheme` and writes JSON lines to `output`, in input order.
pub fn featurize_to_jsonl(
    input: &Path,
    smiles_column: Option<&str>,
    scheme: FeatureScheme,
    output: &mut dyn Write,
) -> Result<FeaturizeReport> {
    let (smiles, empty_skipped) = read_smiles(input, smiles_column)?;
    let featurizer = scheme.featurizer();
    let mut report = FeaturizeReport {
        empty_skipped,
        ..Default::default()
    };
    let io = |source| TrainError::Io {
        path: "<output>".into(),
        source,
    };
    // Chunks bound memory on large files while keeping every core busy.
    for chunk in smiles.chunks(8192) {
        let lines: Vec<(bool, String)> = chunk
            .par_iter()
            .map(|s| match featurizer.featurize(s) {
                Ok(g) => (true, graph_json(s, Ok(&g))),
                Err(e) => (false, graph_json(s, Err(&e.to_string()))),
            })
            .collect();
        for (ok, line) in lines {
            report.molecules += 1;
            report.errors += usize::from(!ok);
            output.write_all(line.as_bytes()).map_err(io)?;
            output.write_all(b"\n").map_err(io)?;
        }
    }
    output.flush().map_err(io)?;
    Ok(report)
}
