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
    let mut s = format!(
        "| method | epochs | seeds | mean | baseline mean | Δ vs {baseline} | Δ per seed | better |\n\
         |---|---|---|---|---|---|---|---|\n"
    );
    for ((method, epochs), pairs) in matched_pairs(results, baseline, at)? {
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
        let wins = deltas
            .iter()
            .filter(|d| results.metric.better(**d, 0.0))
            .count();
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

/// Every method against `baseline` with the matched seeds of all data sets in `sets` pooled,
/// one Markdown table per metric shared by two or more sets that have baseline runs (ROC-AUC
/// and RMSE differences do not add up): per (method, epochs), the sets and set-seed pairs it
/// has, the mean ± standard error of the differences, how many pairs were better and the
/// two-sided sign test's p (the chance of so lopsided a count if better and worse were a coin;
/// ties left out). A few tenths of ROC-AUC on each set is hard to tell from noise; pooled, the
/// question becomes whether a method is better across the benchmark. `None` when no metric
/// has two such sets.
///
/// ```
/// use molkd_train::benchmark::{BenchmarkResults, ScoreAt, pooled_table};
/// let empty: BenchmarkResults = serde_json::from_str(
///     r#"{"dataset":"bbbp","metric":"roc-auc","molecules":0,"skipped":0,"split":[0,0,0],"runs":[]}"#,
/// ).unwrap();
/// assert!(pooled_table(&[empty], "gin", ScoreAt::BestValid).is_none());
/// ```
pub fn pooled_table(sets: &[BenchmarkResults], baseline: &str, at: ScoreAt) -> Option<String> {
    // metric -> (set names, (method, epochs) -> (sets with pairs, differences)).
    type Pooled = BTreeMap<(String, usize), (usize, Vec<f64>)>;
    let mut by_metric: Vec<(TaskMetric, Vec<&str>, Pooled)> = Vec::new();
    for set in sets {
        let Some(pairs) = matched_pairs(set, baseline, at) else {
            continue;
        };
        let slot = match by_metric.iter().position(|(m, ..)| *m == set.metric) {
            Some(i) => i,
            None => {
                by_metric.push((set.metric, Vec::new(), BTreeMap::new()));
                by_metric.len() - 1
            }
        };
        let (_, names, pooled) = &mut by_metric[slot];
        names.push(&set.dataset);
        for (key, pairs) in pairs {
            let (count, deltas) = pooled.entry(key).or_default();
            *count += 1;
            deltas.extend(pairs.iter().map(|p| p.1 - p.2));
        }
    }
    let mut s = String::new();
    for (metric, names, pooled) in by_metric.iter().filter(|(_, names, _)| names.len() > 1) {
        let scale = display_scale(*metric);
        let unit = if scale == 1.0 {
            metric.name().to_string()
        } else {
            format!("{} × {scale}", metric.name())
        };
        let _ = write!(
            s,
            "{}pooled over {} ({unit}):\n\n\
             | method | epochs | sets | pairs | Δ vs {baseline}, mean ± s.e. | better | sign test p |\n\
             |---|---|---|---|---|---|---|\n",
            if s.is_empty() { "" } else { "\n" },
            names.join(", "),
        );
        for ((method, epochs), (count, deltas)) in pooled {
            let n = deltas.len();
            let (dm, dsd) = mean_std(deltas);
            let wins = deltas.iter().filter(|d| metric.better(**d, 0.0)).count();
            let losses = deltas.iter().filter(|d| metric.better(0.0, **d)).count();
            let spread = if n > 1 {
                format!(" ± {:.2}", dsd / (n as f64).sqrt())
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "| {method} | {epochs} | {count} | {n} | {dm:+.2}{spread} | {wins}/{n} | {:.2} |",
                sign_test(wins, losses),
            );
        }
    }
    (!s.is_empty()).then_some(s)
}

/// Per (method, epochs): (seed, the method's score, the baseline's score) on matched seeds.
type MatchedPairs = BTreeMap<(String, usize), Vec<(u64, f64, f64)>>;

/// Per (method, epochs) other than `baseline`: (seed, its score, the baseline's score) on the
/// seeds both ran at those epochs, scaled for display, in seed order; methods sharing no seed
/// with the baseline are left out. `None` when the baseline has no runs.
fn matched_pairs(results: &BenchmarkResults, baseline: &str, at: ScoreAt) -> Option<MatchedPairs> {
    let scale = display_scale(results.metric);
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
    let mut matched = BTreeMap::new();
    for ((method, epochs), runs) in groups {
        if method == baseline {
            continue;
        }
        let mut pairs: Vec<(u64, f64, f64)> = runs
            .iter()
            .filter_map(|r| {
                let b = base.get(&(epochs, r.seed))?;
                Some((r.seed, at.test_score(r)? * scale, *b))
            })
            .collect();
        if !pairs.is_empty() {
            pairs.sort_by_key(|p| p.0);
            matched.insert((method, epochs), pairs);
        }
    }
    Some(matched)
}

/// Two-sided exact sign test: the probability, under a fair coin, of a split of `wins +
/// losses` at least as lopsided as this one (1 with no pairs).
fn sign_test(wins: usize, losses: usize) -> f64 {
    let n = wins + losses;
    let k = wins.max(losses);
    // ln P(X = i) for X ~ Binomial(n, 1/2), by the recurrence C(n, i+1) = C(n, i)(n−i)/(i+1);
    // in logs so that large n does not underflow.
    let mut ln_p = n as f64 * 0.5f64.ln();
    let mut tail = 0.0;
    for i in 0..=n {
        if i >= k {
            tail += ln_p.exp();
        }
        ln_p += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
    }
    (2.0 * tail).min(1.0)
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

    #[test]
    fn pooled_differences_span_the_sets_of_one_metric() {
        let results = [
            tox21(vec![
                run("gin", 0, 20, 0.70, 0.70),
                run("gin", 1, 20, 0.72, 0.70),
                run("kd", 0, 20, 0.71, 0.70),
                run("kd", 1, 20, 0.74, 0.70),
            ]),
            crate::benchmark::fixtures::results(
                "bbbp",
                vec![run("gin", 0, 20, 0.60, 0.60), run("kd", 0, 20, 0.59, 0.60)],
            ),
            // No baseline runs: not pooled.
            crate::benchmark::fixtures::results("bace", vec![run("kd", 0, 20, 0.99, 0.99)]),
        ];
        let table = pooled_table(&results, "gin", ScoreAt::BestValid).unwrap();
        assert!(
            table.starts_with("pooled over tox21, bbbp (ROC-AUC × 100):"),
            "{table}"
        );
        // Δ = +1, +2, −1: mean 0.67, std 1.53, s.e. 0.88; 2 of 3 better, p = 1.
        assert!(
            table.contains("| kd | 20 | 2 | 3 | +0.67 ± 0.88 | 2/3 | 1.00 |"),
            "{table}"
        );
        // At the last epoch every difference is 0: none better, no test to speak of.
        let last = pooled_table(&results, "gin", ScoreAt::LastEpoch).unwrap();
        assert!(
            last.contains("| kd | 20 | 2 | 3 | +0.00 ± 0.00 | 0/3 | 1.00 |"),
            "{last}"
        );
        // One set with a baseline is nothing to pool.
        assert!(pooled_table(&results[..1], "gin", ScoreAt::BestValid).is_none());
    }

    #[test]
    fn sign_test_is_the_binomial_tail_on_both_sides() {
        assert_eq!(sign_test(0, 0), 1.0);
        // 5 of 5: 2 · 1/32.
        assert!((sign_test(5, 0) - 0.0625).abs() < 1e-12);
        assert!((sign_test(0, 5) - 0.0625).abs() < 1e-12);
        // 9 of 15 (wins 9, losses 6): 2 · P(X ≥ 9) = 0.6072.
        assert!((sign_test(9, 6) - 0.607_238_769_531_25).abs() < 1e-9);
        // Large counts do not underflow to 0 or overflow past 1.
        assert!(sign_test(1500, 1500) > 0.9 && sign_test(1500, 1500) <= 1.0);
        assert!(sign_test(3000, 0) < 1e-300);
    }
}
