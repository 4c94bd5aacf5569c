//! Reading the reaction files into raw records (reaction text, yield, split), before any
//! chemistry: one reader per file layout.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{ReactionSplit, SkipKind};
use crate::data::SkippedRow;
use crate::data::table::{open_text, read_table};
use crate::error::{Result, TrainError};

/// One data row whose fields are valid; the reaction text is not parsed yet.
#[derive(Debug, Clone)]
pub(super) struct RawRecord {
    pub row: usize,
    pub line: u64,
    pub text: String,
    pub yield_fraction: Option<f32>,
    pub split: Option<ReactionSplit>,
}

/// All rows of a file: usable records, rows skipped for their fields, rows read.
#[derive(Debug, Default)]
pub(super) struct RawTable {
    pub records: Vec<RawRecord>,
    pub skipped: Vec<SkippedRow>,
    pub total_rows: usize,
}

/// How a yield column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum YieldScale {
    /// Percent, 0–100.
    Percent,
    /// Fraction, 0–1.
    Fraction,
}

/// Where the fields of a delimited reaction table are.
#[derive(Debug, Clone, Copy)]
pub(super) struct CsvLayout {
    pub delimiter: u8,
    pub reaction: &'static str,
    pub yield_column: Option<(&'static str, YieldScale)>,
    pub split: Option<&'static str>,
}

/// A yield cell as a fraction in [0, 1], or why it is unusable.
pub(super) fn parse_yield(cell: &str, scale: YieldScale) -> std::result::Result<f32, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Err(SkipKind::BadYield.reason("empty cell"));
    }
    let value: f64 = cell
        .parse()
        .map_err(|_| SkipKind::BadYield.reason(&format!("`{cell}` is not a number")))?;
    let (max, unit) = match scale {
        YieldScale::Percent => (100.0, " %"),
        YieldScale::Fraction => (1.0, ""),
    };
    if !value.is_finite() || !(0.0..=max).contains(&value) {
        return Err(SkipKind::BadYield.reason(&format!("`{cell}` is outside 0–{max}{unit}")));
    }
    Ok((value / max) as f32)
}

/// A split cell (`train`, `valid`/`val`/`validation`, `test`, any case); empty → `None`.
pub(super) fn parse_split(cell: &str) -> std::result::Result<Option<ReactionSplit>, String> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "train" => Ok(Some(ReactionSplit::Train)),
        "valid" | "val" | "validation" => Ok(Some(ReactionSplit::Valid)),
        "test" => Ok(Some(ReactionSplit::Test)),
        other => Err(SkipKind::BadSplit.reason(&format!("unknown split `{other}`"))),
    }
}

/// Reads a delimited reaction table (plain, gzip or xz) with a header row.
pub(super) fn read_csv(
    path: &Path,
    layout: CsvLayout,
    max_rows: Option<usize>,
) -> Result<RawTable> {
    let table = read_table(path, layout.delimiter)?;
    let rxn = table.column(layout.reaction)?;
    let yield_column = match layout.yield_column {
        Some((name, scale)) => Some((table.column(name)?, scale)),
        None => None,
    };
    let split = layout.split.map(|s| table.column(s)).transpose()?;
    let limit = max_rows.unwrap_or(usize::MAX);
    let mut out = RawTable {
        total_rows: (table.records.len() + table.malformed.len()).min(limit),
        ..Default::default()
    };
    out.skipped = table
        .malformed
        .iter()
        .filter(|(row, _, _)| *row < limit)
        .map(|(row, line, reason)| SkippedRow {
            row: *row,
            line: *line,
            reason: SkipKind::Malformed.reason(reason),
        })
        .collect();
    for ((record, &row), &line) in table.records.iter().zip(&table.rows).zip(&table.lines) {
        if row >= limit {
            break;
        }
        let fields = || -> std::result::Result<RawRecord, String> {
            let yield_fraction = yield_column
                .map(|(c, scale)| parse_yield(&record[c], scale))
                .transpose()?;
            let split = match split {
                Some(c) => parse_split(&record[c])?,
                None => None,
            };
            Ok(RawRecord {
                row,
                line,
                text: record[rxn].trim().to_string(),
                yield_fraction,
                split,
            })
        };
        match fields() {
            Ok(r) => out.records.push(r),
            Err(reason) => out.skipped.push(SkippedRow { row, line, reason }),
        }
    }
    Ok(out)
}

/// The split a Jin et al. member name implies (`train.txt`, `valid.txt`, `test.txt`).
fn split_of_member(name: &str) -> Option<ReactionSplit> {
    let stem = name.rsplit('/').next().unwrap_or(name);
    let stem = stem.split('.').next().unwrap_or(stem);
    parse_split(stem).ok().flatten()
}

/// Reads Jin et al.'s USPTO files: a `.tar.gz` holding one text file (or that text file itself,
/// plain or compressed) with lines `mapped_reactants>>product bond_edits`. Blank lines are not
/// rows. The split comes from the member's (or file's) name when it is `train`, `valid` or
/// `test`. The bond edits are checked to be there but not kept.
pub(super) fn read_jin(path: &Path, max_rows: Option<usize>) -> Result<RawTable> {
    let io = |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    };
    let reader = open_text(path)?;
    let name = path.file_name().map(|f| f.to_string_lossy().into_owned());
    let is_tar = name
        .as_deref()
        .is_some_and(|n| n.ends_with(".tar.gz") || n.ends_with(".tgz") || n.ends_with(".tar"));
    if !is_tar {
        let split = name.as_deref().and_then(split_of_member);
        return read_jin_lines(path, reader, split, max_rows);
    }
    let mut archive = tar::Archive::new(reader);
    let entries = archive.entries().map_err(io)?;
    for entry in entries {
        let entry = entry.map_err(|e| TrainError::Csv {
            path: path.to_path_buf(),
            message: format!("bad tar archive (truncated or corrupt file?): {e}"),
        })?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        // macOS archives carry `._name` resource forks next to the real file.
        if member
            .rsplit('/')
            .next()
            .is_some_and(|m| m.starts_with("._"))
        {
            continue;
        }
        let split = split_of_member(&member);
        return read_jin_lines(path, entry, split, max_rows);
    }
    Err(TrainError::Csv {
        path: path.to_path_buf(),
        message: "the tar archive holds no file".into(),
    })
}

fn read_jin_lines(
    path: &Path,
    reader: impl Read,
    split: Option<ReactionSplit>,
    max_rows: Option<usize>,
) -> Result<RawTable> {
    let limit = max_rows.unwrap_or(usize::MAX);
    let mut out = RawTable::default();
    for (n, line) in BufReader::new(reader).lines().enumerate() {
        let line_no = n as u64 + 1;
        let line = line.map_err(|e| TrainError::Csv {
            path: path.to_path_buf(),
            message: format!("read failed at line {line_no} (truncated or corrupt file?): {e}"),
        })?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        if out.total_rows >= limit {
            break;
        }
        let row = out.total_rows;
        out.total_rows += 1;
        if fields.len() != 2 {
            out.skipped.push(SkippedRow {
                row,
                line: line_no,
                reason: SkipKind::Malformed.reason(&format!(
                    "{} fields, expected 2 (reaction and bond edits)",
                    fields.len()
                )),
            });
            continue;
        }
        out.records.push(RawRecord {
            row,
            line: line_no,
            text: fields[0].to_string(),
            yield_fraction: None,
            split,
        });
    }
    Ok(out)
}
