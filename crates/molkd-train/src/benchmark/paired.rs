//! Gains over a baseline on matched seeds: each method's test score minus the baseline's at
//! the same seed and epochs. Seed-to-seed spread on MoleculeNet is often larger than the
//! effect being measured (a few tenths of ROC-AUC for distillation), so a difference of means
//! over unmatched seeds says little; the per-seed differences say how consistent a gain is.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{BenchmarkResults, ScoreAt, display_scale, mean_pm_std, mean_std};
use crate::finetune::TaskMetric;

/// A Markdown table of one data set's methods against `baseline` (a method label such as
/// `gin`): per (method, epochs), the mean score over the seeds both have, the mean ± std of
/// the per-seed differences, the differences themselves (in seed order) and on how many
/// seeds the method scored better (higher ROC-AUC, lower RMSE). Methods sharing no seed with the baseline are left out;
/// `None` when the baseline has no runs.
///
/// ```
/// use molkd_train::benchmark::{BenchmarkResults, ScoreAt, paired_table};
/// let empty: BenchmarkResults = serde_json::from_str(
///     r#"{"dataset":"bbbp","metric":"roc-auc","molecules":0,"skipped":0,"split":[0,0,0],"runs":[]}"#,
/// ).unwrap();
/// assert!(paired_table(&empty, "gin", ScoreAt::BestValid).is_none());
/// ```
pub fn paired_table(results: &BenchmarkResults, baseline: &str, at: ScoreAt) -> Option<String> {
    let scale = display_scale(results.metric);
    // "Better" is higher ROC-AUC but lower RMSE.
    let sign = if results.metric == TaskMetric::RocAuc {
        1.0
    } else {
        -1.0
    };
    let groups = results.by_method();
    // (epochs, seed) -> baseline score.
    let base: BTreeMap<(usize, u64), f64> = groups
        .iter()
        .filter(|((method, _), _)| method == baseline)
        .flat_map(|((_, epochs), runs)| {
            runs.iter()
                .filter_map(move |r| Some(((*epochs, r.seed), at.test_score(r)? * scale)))
        })
        .collect();
    if base.is_empty() {
        return None;
    }

    let mut s = format!(
        "| method | epochs | seeds | mean | baseline mean | Δ vs {baseline} | Δ per seed | better |\n\
         |---|---|---|---|---|---|---|---|\n"
    );
    for ((method, epochs), runs) in &groups {
        if method == baseline {
            continue;
        }
        let mut pairs: Vec<(u64, f64, f64)> = runs
            .iter()
            .filter_map(|r| {
                let b = base.get(&(*epochs, r.seed))?;
                Some((r.seed, at.test_score(r)? * scale, *b))
            })
            .collect();
        if pairs.is_empty() {
            continue;
        }
        pairs.sort_by_key(|p| p.0);
        let n = pairs.len();
        let ours: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let theirs: Vec<f64> = pairs.iter().map(|p| p.2).collect();
        let deltas: Vec<f64> = pairs.iter().map(|p| p.1 - p.2).collect();
        let (m, sd) = mean_std(&ours);
        let (bm, bsd) = mean_std(&theirs);
        let (dm, dsd) = mean_std(&deltas);
        let per_seed: Vec<String> = pairs
            .iter()
            .map(|(seed, a, b)| format!("{:+.2} (s{seed})", a - b))
            .collect();
        let wins = deltas.iter().filter(|d| **d * sign > 0.0).count();
        let _ = writeln!(
            s,
            "| {method} | {epochs} | {n} | {} | {} | {}{} | {} | {wins}/{n} |",
            mean_pm_std(m, sd, n, 2),
            mean_pm_std(bm, bsd, n, 2),
            if dm >= 0.0 { "+" } else { "" },
            mean_pm_std(dm, dsd, n, 2),
            per_seed.join(", "),
        );
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::fixtures::run;

    fn tox21(runs: Vec<crate::benchmark::BenchmarkRun>) -> BenchmarkResults {
        crate::benchmark::fixtures::results("tox21", runs)
    }

    #[test]
    fn differences_are_taken_on_matched_seeds_and_epochs() {
        let results = tox21(vec![
            run("gin", 0, 20, 0.70, 0.69),
            run("gin", 1, 20, 0.72, 0.71),
            run("gin", 0, 100, 0.90, 0.89),
            run("kd", 1, 20, 0.75, 0.74),
            run("kd", 0, 20, 0.69, 0.68),
            // Seed 5 has no baseline: left out of the pairing.
            run("kd", 5, 20, 0.99, 0.98),
            // No baseline at 30 epochs: no row.
            run("kd", 0, 30, 0.80, 0.79),
        ]);
        let table = paired_table(&results, "gin", ScoreAt::BestValid).unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        // Seeds 0 and 1: Δ = −1 and +3, mean +1, std √8 = 2.83.
        assert_eq!(
            lines[2],
            "| kd | 20 | 2 | 72.00 ± 4.24 | 71.00 ± 1.41 | +1.00 ± 2.83 | -1.00 (s0), +3.00 (s1) | 1/2 |"
        );
        assert!(paired_table(&results, "gcn", ScoreAt::BestValid).is_none());
    }

    #[test]
    fn last_epoch_scores_are_paired_too() {
        let results = tox21(vec![
            run("gin", 0, 20, 0.70, 0.69),
            run("kd", 0, 20, 0.69, 0.68),
        ]);
        let table = paired_table(&results, "gin", ScoreAt::LastEpoch).unwrap();
        // One seed: no spread shown, and a loss is not counted as better.
        assert!(
            table.contains("| kd | 20 | 1 | 68.00 | 69.00 | -1.00 | -1.00 (s0) | 0/1 |"),
            "{table}"
        );
    }
}
