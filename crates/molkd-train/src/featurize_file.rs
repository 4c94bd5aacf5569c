//! `molkd featurize` and `molkd relations`: a SMILES file or CSV column → JSON lines of
//! features, or of the atom-pair relations a relation Transformer sees.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use molkd_graph::relations::{PairRelations, SPD_UNREACHABLE};
use molkd_graph::{FeatureScheme, Featurizer, MolGraph};
use rayon::prelude::*;
use serde::Serialize;

use crate::data::table::{csv_error, open_table, open_text};
use crate::error::{Result, TrainError};
use crate::output::write_output;

/// What a featurisation run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeaturizeReport {
    /// Output objects written: one per input row, with features or with an error.
    pub molecules: usize,
    /// Of those, how many carry an error.
    pub errors: usize,
    /// Blank lines of a SMILES file skipped (no output object: they are no rows).
    pub empty_skipped: usize,
}

/// One input row: its SMILES, or why it has none usable (empty cell, wrong field count,
/// bytes that are not UTF-8). Every row of the input is one of these, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputMolecule {
    /// The SMILES text (for a bad row, what could be read of it; may be empty).
    pub smiles: String,
    /// Why the row has no usable SMILES.
    pub error: Option<String>,
}

impl InputMolecule {
    fn ok(smiles: String) -> Self {
        Self {
            smiles,
            error: None,
        }
    }

    fn bad(smiles: String, error: String) -> Self {
        Self {
            smiles,
            error: Some(error),
        }
    }

    /// The row's graph by `featurizer`, or why there is none: the row's own error, or the
    /// featuriser's.
    pub fn featurize(&self, featurizer: &dyn Featurizer) -> std::result::Result<MolGraph, String> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => featurizer
                .featurize(&self.smiles)
                .map_err(|e| e.to_string()),
        }
    }
}

/// The input rows of `input`: one SMILES per line (first whitespace-separated token; the
/// rest, e.g. a name, is ignored; blank lines are no rows and are counted), or the column
/// `smiles_column` of a CSV (every data row is a row, blank lines are not). Gzip and xz input
/// are accepted, and a UTF-8 byte-order mark at the start is skipped. Rows that cannot give a
/// SMILES keep their place with an error, so outputs can have one row per input row.
pub fn read_molecules(
    input: &Path,
    smiles_column: Option<&str>,
) -> Result<(Vec<InputMolecule>, usize)> {
    match smiles_column {
        Some(column) => read_csv_column(input, column).map(|rows| (rows, 0)),
        None => read_smiles_lines(input),
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn read_smiles_lines(input: &Path) -> Result<(Vec<InputMolecule>, usize)> {
    let mut reader = BufReader::new(open_text(input)?);
    let (mut rows, mut empty) = (Vec::new(), 0usize);
    let mut line = Vec::new();
    for n in 1.. {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| TrainError::Csv {
                path: input.to_path_buf(),
                message: format!("read failed at line {n} (truncated or corrupt file?): {e}"),
            })?;
        if read == 0 {
            break;
        }
        let mut bytes = line.as_slice();
        if n == 1 {
            bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        }
        let token = bytes
            .split(|b| b.is_ascii_whitespace())
            .find(|t| !t.is_empty());
        match token {
            None => empty += 1,
            Some(token) => rows.push(match std::str::from_utf8(token) {
                Ok(s) => InputMolecule::ok(s.to_string()),
                Err(_) => InputMolecule::bad(
                    String::from_utf8_lossy(token).into_owned(),
                    format!("line {n}: not valid UTF-8"),
                ),
            }),
        }
    }
    Ok((rows, empty))
}

fn read_csv_column(input: &Path, column: &str) -> Result<Vec<InputMolecule>> {
    // Byte records, so a row that is not UTF-8 keeps its place (csv-core strips a BOM).
    let (mut csv, table) = open_table(input, b',')?;
    let c = table.column(column)?;
    let width = table.header.len();
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    while csv
        .read_byte_record(&mut record)
        .map_err(csv_error(input))?
    {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
            continue; // a blank line, not a row
        }
        let row = rows.len();
        let cell = record.get(c).unwrap_or_default();
        let text = String::from_utf8_lossy(cell).trim().to_string();
        let error = if record.len() != width {
            Some(format!(
                "row {row} (line {line}): {} fields, the header has {width}",
                record.len()
            ))
        } else if std::str::from_utf8(cell).is_err() {
            Some(format!("row {row} (line {line}): not valid UTF-8"))
        } else if text.is_empty() {
            Some(format!("row {row} (line {line}): empty SMILES cell"))
        } else {
            None
        };
        rows.push(match error {
            None => InputMolecule::ok(text),
            Some(e) => InputMolecule::bad(text, e),
        });
    }
    Ok(rows)
}

/// One JSON line per row: `ok(graph)` serialised, or `{"smiles", "error"}` for a row that
/// gave no graph.
fn json_line<'g, T: Serialize>(
    smiles: &str,
    graph: std::result::Result<&'g MolGraph, &str>,
    ok: impl FnOnce(&'g MolGraph) -> T,
) -> String {
    #[derive(Serialize)]
    struct Failure<'a> {
        smiles: &'a str,
        error: &'a str,
    }
    let json = match graph {
        Ok(g) => serde_json::to_string(&ok(g)),
        Err(error) => serde_json::to_string(&Failure { smiles, error }),
    };
    json.unwrap_or_else(|e| format!("{{\"error\":\"serialisation failed: {e}\"}}"))
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
    json_line(smiles, graph, |g| Features {
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
    })
}

/// Featurises `input` with `scheme` and writes JSON lines to `output`, one per input row in
/// input order (rows without a usable SMILES get `{"smiles", "error"}` too).
pub fn featurize_to_jsonl(
    input: &Path,
    smiles_column: Option<&str>,
    scheme: FeatureScheme,
    output: &mut dyn Write,
) -> Result<FeaturizeReport> {
    jsonl_per_row(input, smiles_column, scheme, output, graph_json)
}

/// The loop behind `featurize` and `relations`: reads the rows of `input`, featurises each
/// with `scheme` (in parallel), and writes `line(smiles, graph or error)` per row, in order.
fn jsonl_per_row(
    input: &Path,
    smiles_column: Option<&str>,
    scheme: FeatureScheme,
    output: &mut dyn Write,
    line: impl Fn(&str, std::result::Result<&MolGraph, &str>) -> String + Sync,
) -> Result<FeaturizeReport> {
    let (molecules, empty_skipped) = read_molecules(input, smiles_column)?;
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
    for chunk in molecules.chunks(4096) {
        let lines: Vec<(bool, String)> = chunk
            .par_iter()
            .map(|m| match m.featurize(featurizer) {
                Ok(g) => (true, line(&m.smiles, Ok(&g))),
                Err(e) => (false, line(&m.smiles, Err(&e))),
            })
            .collect();
        for (ok, text) in lines {
            report.molecules += 1;
            report.errors += usize::from(!ok);
            output.write_all(text.as_bytes()).map_err(io)?;
            output.write_all(b"\n").map_err(io)?;
        }
    }
    output.flush().map_err(io)?;
    Ok(report)
}

/// `molkd featurize`: [`featurize_to_jsonl`] into the file `output`, written atomically (an
/// existing output is replaced only once the new one is complete) and never over `input`.
pub fn featurize_file(
    input: &Path,
    smiles_column: Option<&str>,
    scheme: FeatureScheme,
    output: &Path,
) -> Result<FeaturizeReport> {
    write_output(output, &[input], |out| {
        featurize_to_jsonl(input, smiles_column, scheme, out)
    })
}

/// One JSON line of `molkd relations`: `{"smiles", "spd", "paths"}` or `{"smiles", "error"}`.
/// `spd[i][j]` is the shortest-path distance in bonds (`-1` across fragments); `paths[i][j]`
/// lists, for each of the first `max_hops` hops of the shortest path from `i` to `j` (tie
/// rule: `molkd_graph::relations`), that bond's features.
pub fn relations_json(
    smiles: &str,
    graph: std::result::Result<&MolGraph, &str>,
    max_hops: usize,
) -> String {
    #[derive(Serialize)]
    struct Relations<'a> {
        smiles: &'a str,
        spd: Vec<Vec<i64>>,
        paths: Vec<Vec<Vec<&'a [i64]>>>,
    }
    json_line(smiles, graph, |g| {
        let r = PairRelations::of(g, max_hops);
        let n = g.num_atoms();
        Relations {
            smiles,
            spd: (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| match r.spd(i, j) {
                            SPD_UNREACHABLE => -1,
                            d => i64::from(d),
                        })
                        .collect()
                })
                .collect(),
            paths: (0..n)
                .map(|i| (0..n).map(|j| r.path_features(g, i, j).collect()).collect())
                .collect(),
        }
    })
}

/// `molkd relations`: the pair relations of every input row (as [`relations_json`], features
/// of `scheme`) into the file `output`, one line per row in input order, written atomically
/// and never over `input`.
pub fn relations_file(
    input: &Path,
    smiles_column: Option<&str>,
    scheme: FeatureScheme,
    max_hops: usize,
    output: &Path,
) -> Result<FeaturizeReport> {
    write_output(output, &[input], |out| {
        jsonl_per_row(input, smiles_column, scheme, out, |smiles, graph| {
            relations_json(smiles, graph, max_hops)
        })
    })
}
