//! Data sets side by side: one row per method, one column per data set, the layout of the
//! tables in Hu et al. (2020) and MolKD, so a results directory reads against them directly.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::set::qm9_set_name;
use super::{BenchmarkResults, BenchmarkRun, SeedScores, display_scale, mean_pm_std, mean_std};
use crate::data::{MOLECULENET, Qm9Target};
use crate::error::{Result, TrainError};
use crate::run_dir::read_json;

/// Which test score a table reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreAt {
    /// At the epoch with the best validation score (model selection, as pretrain-gnns' tables).
    BestValid,
    /// After the last epoch.
    LastEpoch,
}

impl ScoreAt {
    /// `run`'s test score at this point, if it has one.
    pub fn test_score(self, run: &BenchmarkRun) -> Option<f64> {
        match self {
            ScoreAt::BestValid => run.outcome.test_at_best,
            ScoreAt::LastEpoch => run.outcome.test_at_last,
        }
    }
}

/// Loads `DIR/<dataset>.json` for every registry data set that has one, in registry order,
/// then `DIR/qm9-<target>.json` for every QM9 target that has one (`examples/qm9.rs`).
/// Other files are ignored; a file of one of those names that is not a results file is an
/// error naming it.
pub fn load_results(dir: &Path) -> Result<Vec<BenchmarkResults>> {
    if !dir.is_dir() {
        return Err(TrainError::Invalid(format!(
            "{}: not a results directory",
            dir.display()
        )));
    }
    let mut all = Vec::new();
    let names = MOLECULENET
        .iter()
        .map(|spec| spec.name.to_string())
        .chain(Qm9Target::ALL.iter().map(|&t| qm9_set_name(t)));
    for name in names {
        let path = dir.join(format!("{name}.json"));
        if path.is_file() {
            let results: BenchmarkResults = read_json(&path)?;
            all.push(results);
        }
    }
    Ok(all)
}

/// A Markdown table with a row per (method, epochs) and a column per data set: the mean ±
/// sample std of the test score over seeds (no std for one seed), and the seed count.
/// ROC-AUC is in percent. The last column averages the data sets when the row has all of
/// them and they share a metric.
///
/// ```
/// use molkd_train::benchmark::{ScoreAt, comparison_table};
/// let table = comparison_table(&[], ScoreAt::BestValid);
/// assert!(table.starts_with("| method | epochs |"));
/// ```
pub fn comparison_table(results: &[BenchmarkResults], at: ScoreAt) -> String {
    let mut rows: BTreeMap<(String, usize), Vec<Option<SeedScores>>> = BTreeMap::new();
    for (column, set) in results.iter().enumerate() {
        let scale = display_scale(set.metric);
        for (key, runs) in set.by_method() {
            let scores: Vec<f64> = runs
                .iter()
                .filter_map(|r| at.test_score(r))
                .map(|v| v * scale)
                .collect();
            if scores.is_empty() {
                continue;
            }
            rows.entry(key).or_insert_with(|| vec![None; results.len()])[column] =
                Some(SeedScores::of(&scores));
        }
    }
    let one_metric = results.windows(2).all(|w| w[0].metric == w[1].metric);

    let mut s = String::from("| method | epochs |");
    for set in results {
        let _ = write!(s, " {} ({}) |", set.dataset, set.metric.name());
    }
    s.push_str(" average |\n|---|---|");
    s.push_str(&"---|".repeat(results.len() + 1));
    s.push('\n');
    for ((method, epochs), cells) in rows {
        let _ = write!(s, "| {method} | {epochs} |");
        for cell in &cells {
            match cell {
                Some(c) => {
                    let _ = write!(
                        s,
                        " {} (n={}) |",
                        mean_pm_std(c.mean, c.std, c.seeds, 1),
                        c.seeds
                    );
                }
                None => s.push_str(" – |"),
            }
        }
        let means: Vec<f64> = cells.iter().flatten().map(|c| c.mean).collect();
        if one_metric && !means.is_empty() && means.len() == cells.len() {
            let _ = writeln!(s, " {:.1} |", mean_std(&means).0);
        } else {
            s.push_str(" – |\n");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::fixtures::{results as set, run};

    #[test]
    fn rows_are_methods_and_columns_are_data_sets() {
        let results = [
            set(
                "bbbp",
                vec![
                    run("gin", 0, 100, 0.60, 0.50),
                    run("gin", 1, 100, 0.70, 0.52),
                ],
            ),
            set(
                "bace",
                vec![
                    run("gin", 0, 100, 0.80, 0.78),
                    run("gcn", 0, 100, 0.75, 0.7),
                ],
            ),
        ];
        let best = comparison_table(&results, ScoreAt::BestValid);
        let lines: Vec<&str> = best.lines().collect();
        assert_eq!(
            lines[0],
            "| method | epochs | bbbp (ROC-AUC) | bace (ROC-AUC) | average |"
        );
        // gcn has no bbbp runs: a gap and no average.
        assert_eq!(lines[2], "| gcn | 100 | – | 75.0 (n=1) | – |");
        // gin: bbbp mean 65 (std of 60 and 70 = 7.07), bace 80, average of the means 72.5.
        assert_eq!(
            lines[3],
            "| gin | 100 | 65.0 ± 7.1 (n=2) | 80.0 (n=1) | 72.5 |"
        );
        let last = comparison_table(&results, ScoreAt::LastEpoch);
        assert!(last.contains("| gin | 100 | 51.0 ± 1.4 (n=2) | 78.0 (n=1) | 64.5 |"));
    }

    #[test]
    fn loading_reads_registry_files_in_registry_order() {
        let dir = std::env::temp_dir().join(format!("molkd-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for r in [
            set("qm9-gap", vec![]),
            set("bace", vec![]),
            set("bbbp", vec![]),
        ] {
            let text = serde_json::to_string(&r).unwrap();
            std::fs::write(dir.join(format!("{}.json", r.dataset)), text).unwrap();
        }
        std::fs::write(dir.join("notes.json"), "not results").unwrap();
        let names: Vec<String> = load_results(&dir)
            .unwrap()
            .into_iter()
            .map(|r| r.dataset)
            .collect();
        // QM9 targets (examples/qm9.rs) after the MoleculeNet sets.
        assert_eq!(names, ["bbbp", "bace", "qm9-gap"]);

        std::fs::write(dir.join("tox21.json"), "{").unwrap();
        let err = load_results(&dir).unwrap_err().to_string();
        assert!(err.contains("tox21.json"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(load_results(&dir).is_err());
    }
}
