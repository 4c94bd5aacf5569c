//! Molecule property tables: any CSV with a SMILES column and label columns.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use molkd_graph::{Featurizer, MolGraph};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::table::{Table, read_table};
use crate::error::{Result, TrainError};
use crate::run_dir::Fingerprint;

/// What the labels are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskType {
    /// Binary labels 0/1 per task; missing labels allowed.
    Classification,
    /// Real-valued targets.
    Regression,
}

impl std::str::FromStr for TaskType {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "classification" => Ok(Self::Classification),
            "regression" => Ok(Self::Regression),
            _ => Err(format!(
                "unknown task type `{s}` (expected classification or regression)"
            )),
        }
    }
}

/// A row left out of a data set, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRow {
    /// 0-based data-row number (header and blank lines not counted).
    pub row: usize,
    /// 1-based line in the file.
    pub line: u64,
    /// Why it was skipped.
    pub reason: String,
}

/// Which columns of a CSV hold SMILES and labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvSpec {
    smiles_column: String,
    tasks: TaskSelection,
    task_type: TaskType,
    delimiter: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TaskSelection {
    Named(Vec<String>),
    AllExcept(Vec<String>),
}

impl CsvSpec {
    /// SMILES in `smiles_column`, labels in `tasks` (classification by default).
    pub fn new<S: Into<String>>(smiles_column: &str, tasks: impl IntoIterator<Item = S>) -> Self {
        Self {
            smiles_column: smiles_column.to_string(),
            tasks: TaskSelection::Named(tasks.into_iter().map(Into::into).collect()),
            task_type: TaskType::Classification,
            delimiter: b',',
        }
    }

    /// SMILES in `smiles_column`, labels in every column not listed in `skip`.
    pub fn all_tasks_except<S: Into<String>>(
        smiles_column: &str,
        skip: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            tasks: TaskSelection::AllExcept(skip.into_iter().map(Into::into).collect()),
            ..Self::new(smiles_column, Vec::<String>::new())
        }
    }

    /// Sets the task type.
    pub fn task_type(mut self, task_type: TaskType) -> Self {
        self.task_type = task_type;
        self
    }

    /// Sets the field delimiter (default `,`).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Reads `path` and featurises every row (in parallel), skipping rows whose SMILES does not
    /// parse or whose labels are not numbers (classification: 0 or 1). Empty label cells are
    /// missing labels.
    pub fn load(&self, path: &Path, featurizer: &dyn Featurizer) -> Result<MoleculeDataset> {
        let table = read_table(path, self.delimiter)?;
        let smiles_col = table.column(&self.smiles_column)?;
        let task_names: Vec<String> = match &self.tasks {
            TaskSelection::Named(names) => names.clone(),
            TaskSelection::AllExcept(skip) => table
                .header
                .iter()
                .filter(|h| !skip.contains(h))
                .cloned()
                .collect(),
        };
        if task_names.is_empty() {
            return Err(TrainError::Invalid(format!(
                "{}: no task columns",
                path.display()
            )));
        }
        let task_cols = task_names
            .iter()
            .map(|t| table.column(t))
            .collect::<Result<Vec<_>>>()?;

        let task_type = self.task_type;
        let parsed: Vec<std::result::Result<ParsedRow, String>> = table
            .records
            .par_iter()
            .map(|record| {
                let smiles = record[smiles_col].trim();
                let mut labels = Vec::with_capacity(task_cols.len());
                for (&c, name) in task_cols.iter().zip(&task_names) {
                    labels.push(
                        parse_label(&record[c], task_type)
                            .map_err(|e| format!("column `{name}`: {e}"))?,
                    );
                }
                let graph = featurizer.featurize(smiles).map_err(|e| e.to_string())?;
                Ok((smiles.to_string(), graph, labels))
            })
            .collect();

        MoleculeDataset::assemble(path, &table, task_names, task_type, parsed, |data| {
            let continuous = !data.skipped.is_empty()
                && data
                    .skipped
                    .iter()
                    .all(|s| s.reason.contains("is not 0 or 1"));
            continuous.then_some("these labels look continuous: did you mean `--task regression`?")
        })
    }
}

impl MoleculeDataset {
    /// The data set of `table`'s rows parsed into `parsed` (one result per record, in order):
    /// usable rows kept, the others and the table's malformed rows skipped with their reason.
    /// No usable row is an error carrying the skip report and `hint(&data)`.
    pub(crate) fn assemble(
        path: &Path,
        table: &Table,
        task_names: Vec<String>,
        task_type: TaskType,
        parsed: Vec<std::result::Result<ParsedRow, String>>,
        hint: impl Fn(&MoleculeDataset) -> Option<&'static str>,
    ) -> Result<MoleculeDataset> {
        let mut data = MoleculeDataset {
            name: path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            task_names,
            task_type,
            smiles: Vec::new(),
            graphs: Vec::new(),
            labels: Vec::new(),
            rows: Vec::new(),
            skipped: table
                .malformed
                .iter()
                .map(|(row, line, reason)| SkippedRow {
                    row: *row,
                    line: *line,
                    reason: format!("malformed row: {reason}"),
                })
                .collect(),
            total_rows: table.records.len() + table.malformed.len(),
        };
        for (i, result) in parsed.into_iter().enumerate() {
            match result {
                Ok((smiles, graph, labels)) => {
                    data.smiles.push(smiles);
                    data.graphs.push(graph);
                    data.labels.extend(labels);
                    data.rows.push(table.rows[i]);
                }
                Err(reason) => data.skipped.push(SkippedRow {
                    row: table.rows[i],
                    line: table.lines[i],
                    reason,
                }),
            }
        }
        data.skipped.sort_by_key(|s| s.row);
        if data.is_empty() {
            return Err(no_usable_rows(
                path,
                &data.skip_report().to_string(),
                &data.skipped,
                hint(&data),
            ));
        }
        Ok(data)
    }
}

/// A usable row: SMILES, graph, labels.
pub(crate) type ParsedRow = (String, MolGraph, Vec<Option<f32>>);

fn parse_label(cell: &str, task_type: TaskType) -> std::result::Result<Option<f32>, String> {
    let cell = cell.trim();
    if cell.is_empty() || cell.eq_ignore_ascii_case("nan") {
        return Ok(None);
    }
    let value: f32 = cell
        .parse()
        .map_err(|_| format!("non-numeric label `{cell}`"))?;
    if !value.is_finite() {
        return Err(format!("non-finite label `{cell}`"));
    }
    if task_type == TaskType::Classification && value != 0.0 && value != 1.0 {
        return Err(format!("classification label `{cell}` is not 0 or 1"));
    }
    Ok(Some(value))
}

/// Featurised molecules with their labels; what a loader keeps of a table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoleculeDataset {
    /// Data set name (registry name or file name).
    pub name: String,
    /// Label columns.
    pub task_names: Vec<String>,
    /// Classification or regression.
    pub task_type: TaskType,
    /// SMILES per molecule, as in the file (trimmed).
    pub smiles: Vec<String>,
    /// Graph per molecule.
    pub graphs: Vec<MolGraph>,
    /// Labels, row-major `[len × num_tasks]`; `None` = missing.
    pub labels: Vec<Option<f32>>,
    /// Data-row number in the file of each molecule.
    pub rows: Vec<usize>,
    /// Rows left out, with reasons, by row number.
    pub skipped: Vec<SkippedRow>,
    /// Data rows in the file.
    pub total_rows: usize,
}

impl MoleculeDataset {
    /// Number of molecules kept.
    pub fn len(&self) -> usize {
        self.smiles.len()
    }

    /// Whether no molecule was kept.
    pub fn is_empty(&self) -> bool {
        self.smiles.is_empty()
    }

    /// Number of tasks.
    pub fn num_tasks(&self) -> usize {
        self.task_names.len()
    }

    /// Labels of molecule `i`.
    pub fn labels_of(&self, i: usize) -> &[Option<f32>] {
        let t = self.num_tasks();
        &self.labels[i * t..(i + 1) * t]
    }

    /// Checks the molecules at `indices` with `check` (`Err` says what is wrong with one),
    /// naming the first that fails by its data row and SMILES: how loops refuse molecules a
    /// model cannot take (no coordinates, too many atoms) before any work.
    pub fn check_molecules(
        &self,
        indices: impl IntoIterator<Item = usize>,
        check: impl Fn(&MolGraph) -> std::result::Result<(), String>,
    ) -> crate::error::Result<()> {
        for i in indices {
            if let Err(reason) = check(&self.graphs[i]) {
                return Err(crate::error::TrainError::Invalid(format!(
                    "{}: the molecule of data row {} ({}) {reason}",
                    self.name,
                    self.rows.get(i).map_or(i, |&r| r),
                    self.smiles[i]
                )));
            }
        }
        Ok(())
    }

    /// A one-line account of what was skipped and why, e.g. for a progress log.
    pub fn skip_report(&self) -> SkipReport<'_> {
        SkipReport(self)
    }

    /// A fingerprint of the molecules and labels: data that differ in a SMILES, a label or a
    /// task name give another fingerprint (what `--resume` checks a run's data by).
    pub fn fingerprint(&self) -> String {
        let mut f = Fingerprint::new();
        for task in &self.task_names {
            f.add(task.as_bytes());
        }
        for (i, smiles) in self.smiles.iter().enumerate() {
            f.add(smiles.as_bytes());
            for label in self.labels_of(i) {
                f.add(&label.map_or([0xff; 4], f32::to_le_bytes));
            }
        }
        f.finish()
    }
}

/// Display helper of [`MoleculeDataset::skip_report`].
pub struct SkipReport<'a>(&'a MoleculeDataset);

impl fmt::Display for SkipReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write_skip_report(f, &d.name, d.len(), d.total_rows, &d.skipped, |reason| {
            if reason.starts_with("malformed") {
                "malformed row"
            } else if reason.starts_with("column") {
                "bad label"
            } else if reason.starts_with("geometry") {
                "geometry not matching its SMILES"
            } else {
                "invalid SMILES"
            }
        })
    }
}

/// The error of a loader that kept no row: its skip report, the first reasons, and `hint`.
pub(crate) fn no_usable_rows(
    path: &Path,
    report: &str,
    skipped: &[SkippedRow],
    hint: Option<&str>,
) -> TrainError {
    let mut detail = if skipped.is_empty() {
        "the file has no data rows".to_string()
    } else {
        let first: Vec<String> = skipped
            .iter()
            .take(3)
            .map(|s| format!("row {} (line {}): {}", s.row, s.line, s.reason))
            .collect();
        format!("{report}; first: {}", first.join("; "))
    };
    if let Some(hint) = hint {
        detail = format!("{detail}. {hint}");
    }
    TrainError::NoUsableRows {
        path: path.to_path_buf(),
        detail,
    }
}

/// `NAME: kept K of T rows, skipped S (n KIND (rows ...); ...)`, rows grouped by `kind_of`
/// their reason; shared by the molecule and reaction data sets.
pub(crate) fn write_skip_report(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    kept: usize,
    total_rows: usize,
    skipped: &[SkippedRow],
    kind_of: impl Fn(&str) -> &'static str,
) -> fmt::Result {
    write!(
        f,
        "{name}: kept {kept} of {total_rows} rows, skipped {}",
        skipped.len()
    )?;
    if skipped.is_empty() {
        return Ok(());
    }
    let mut kinds: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for s in skipped {
        kinds.entry(kind_of(&s.reason)).or_default().push(s.row);
    }
    let parts: Vec<String> = kinds
        .iter()
        .map(|(kind, rows)| {
            let shown: Vec<String> = rows.iter().take(8).map(usize::to_string).collect();
            let more = if rows.len() > 8 { ", ..." } else { "" };
            format!("{} {kind} (rows {}{more})", rows.len(), shown.join(", "))
        })
        .collect();
    write!(f, " ({})", parts.join("; "))
}
