//! Reading delimited text tables as the MoleculeNet and reaction files come: plain or gzip,
//! LF or CRLF, blank lines between records.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::{Result, TrainError};

/// A table's header and records. Data rows are numbered from 0 after the header, blank lines
/// not counted (as pandas counts them); `rows[i]` is the number of `records[i]` and `lines[i]`
/// its 1-based line in the file. Malformed rows keep their number, so numbering never shifts.
#[derive(Debug, Clone)]
pub struct Table {
    /// File the table came from.
    pub path: PathBuf,
    /// Column names.
    pub header: Vec<String>,
    /// Data rows.
    pub records: Vec<csv::StringRecord>,
    /// Data-row number of each record.
    pub rows: Vec<usize>,
    /// 1-based line of each record.
    pub lines: Vec<u64>,
    /// Rows that could not be read (wrong field count): data-row number, line, reason.
    pub malformed: Vec<(usize, u64, String)>,
}

impl Table {
    /// A table of `header` and no rows yet.
    pub fn from_header(path: &Path, header: Vec<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            header,
            records: Vec::new(),
            rows: Vec::new(),
            lines: Vec::new(),
            malformed: Vec::new(),
        }
    }

    /// Index of column `name`, or an error listing the columns there are; a name the header
    /// holds twice is an error too, since either column could be meant.
    pub fn column(&self, name: &str) -> Result<usize> {
        let mut found = self
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| *h == name)
            .map(|(i, _)| i);
        let first = found.next().ok_or_else(|| TrainError::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
            available: self.header.join(", "),
        })?;
        if let Some(second) = found.next() {
            return Err(TrainError::Csv {
                path: self.path.clone(),
                message: format!(
                    "the header names column `{name}` twice (columns {} and {}): rename one",
                    first + 1,
                    second + 1
                ),
            });
        }
        Ok(first)
    }
}

/// Opens a file, transparently decompressing gzip or xz (detected by their magic bytes).
pub fn open_text(path: &Path) -> Result<Box<dyn Read + Send>> {
    let io = |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    // Peek at the first bytes without consuming them.
    let head = file.fill_buf().map_err(io)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(MultiGzDecoder::new(file)))
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Ok(Box::new(liblzma::read::XzDecoder::new(file)))
    } else {
        Ok(Box::new(file))
    }
}

/// A CSV reader of `path` (plain, gzip or xz; flexible field counts) positioned after its
/// header, and the table of that header with no rows yet. An empty header is an error.
pub(crate) fn open_table(
    path: &Path,
    delimiter: u8,
) -> Result<(csv::Reader<Box<dyn Read + Send>>, Table)> {
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(open_text(path)?);
    let header: Vec<String> = csv
        .headers()
        .map_err(csv_error(path))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(TrainError::Csv {
            path: path.to_path_buf(),
            message: "empty file or header".into(),
        });
    }
    Ok((csv, Table::from_header(path, header)))
}

/// The error of a CSV read of `path`: I/O failures (a truncated or corrupt compressed file)
/// say so.
pub(crate) fn csv_error(path: &Path) -> impl Fn(csv::Error) -> TrainError + '_ {
    move |e| TrainError::Csv {
        path: path.to_path_buf(),
        message: match e.kind() {
            csv::ErrorKind::Io(io) => format!("read failed (truncated or corrupt file?): {io}"),
            _ => e.to_string(),
        },
    }
}

/// Reads a delimited table with a header row.
pub fn read_table(path: &Path, delimiter: u8) -> Result<Table> {
    let (mut csv, mut table) = open_table(path, delimiter)?;
    let csv_error = csv_error(path);
    let mut record = csv::StringRecord::new();
    let mut row = 0usize;
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                // A line holding only whitespace is a blank line, not a row.
                if record.len() == 1 && record[0].trim().is_empty() {
                    continue;
                }
                row += 1;
                if record.len() != table.header.len() {
                    table.malformed.push((
                        row - 1,
                        line,
                        format!(
                            "{} fields, the header has {}",
                            record.len(),
                            table.header.len()
                        ),
                    ));
                    continue;
                }
                table.records.push(record.clone());
                table.rows.push(row - 1);
                table.lines.push(line);
            }
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(csv_error(e)),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                table.malformed.push((row, line, e.to_string()));
                row += 1;
            }
        }
    }
    Ok(table)
}
