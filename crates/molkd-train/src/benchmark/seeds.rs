//! Every run of a data set on its own row, so a mean ± std can be traced back to its seeds
//! (`molkd results --per-seed`, and below the summary in `OUT/<dataset>.md`).

use std::fmt::Write as _;

use super::{BenchmarkResults, display_scale};
use crate::fmt::fmt_opt;

impl BenchmarkResults {
    /// A Markdown table with one row per run, grouped by (method, epochs) and in seed order:
    /// the best-validation epoch, the validation and test scores there, the test score after
    /// the last epoch, and the wall time in minutes
    /// ([`wall_seconds`](super::BenchmarkRun::wall_seconds)). ROC-AUC is in percent; a missing
    /// score is `–`.
    ///
    /// ```
    /// use molkd_train::benchmark::BenchmarkResults;
    /// use molkd_train::finetune::TaskMetric;
    /// let set = BenchmarkResults {
    ///     dataset: "bbbp".into(),
    ///     metric: TaskMetric::RocAuc,
    ///     molecules: 0,
    ///     skipped: 0,
    ///     split: [0, 0, 0],
    ///     runs: Vec::new(),
    /// };
    /// assert_eq!(set.seed_table().lines().count(), 2); // header and rule only
    /// ```
    pub fn seed_table(&self) -> String {
        let scale = display_scale(self.metric);
        let m = self.metric.name();
        let show = |v: Option<f64>| fmt_opt(v.map(|v| v * scale), 2);
        let mut s = format!(
            "| method | epochs | seed | best epoch | valid {m} at best | test {m} at best valid | \
             test {m} at last epoch | minutes |\n|---|---|---|---|---|---|---|---|\n"
        );
        for ((method, epochs), mut runs) in self.by_method() {
            runs.sort_by_key(|r| r.seed);
            for run in runs {
                let o = &run.outcome;
                let _ = writeln!(
                    s,
                    "| {method} | {epochs} | {} | {} | {} | {} | {} | {:.1} |",
                    run.seed,
                    o.best_epoch.map_or("–".to_string(), |e| e.to_string()),
                    show(o.valid_at_best),
                    show(o.test_at_best),
                    show(o.test_at_last),
                    run.wall_seconds() / 60.0
                );
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use crate::benchmark::BenchmarkRun;
    use crate::benchmark::fixtures::{results, run};
    use crate::finetune::FinetuneEpoch;

    fn epoch(epoch: usize, seconds: Option<f64>) -> FinetuneEpoch {
        FinetuneEpoch {
            epoch,
            train_loss: 0.5,
            kd_loss: None,
            valid: Some(0.6),
            test: Some(0.6),
            molecules_per_s: 100.0,
            seconds,
        }
    }

    fn minutes(run: BenchmarkRun) -> String {
        let table = results("bbbp", vec![run]).seed_table();
        let row = table.lines().nth(2).expect("one row");
        row.rsplit('|')
            .nth(1)
            .expect("minutes cell")
            .trim()
            .to_string()
    }

    #[test]
    fn minutes_count_every_epoch_of_a_resumed_run() {
        // Resumed after epoch 1: the finishing process ran for 30 s of the 180 s.
        let mut resumed = run("gin", 0, 2, 0.6, 0.6);
        resumed.seconds = 30.0;
        resumed.outcome.history = vec![epoch(1, Some(150.0)), epoch(2, Some(30.0))];
        assert_eq!(minutes(resumed.clone()), "3.0");
        // A record from before epochs kept their time falls back to the process's time.
        resumed.outcome.history[0].seconds = None;
        assert_eq!(minutes(resumed), "0.5");
    }

    #[test]
    fn records_without_epoch_times_still_load() {
        let old = r#"{"epoch":1,"train_loss":0.5,"kd_loss":null,"valid":0.6,"test":0.6,
            "molecules_per_s":100.0}"#;
        let e: FinetuneEpoch = serde_json::from_str(old).expect("old epoch");
        assert_eq!(e.seconds, None);
        let json = serde_json::to_string(&e).expect("json");
        assert!(!json.contains("seconds"), "{json}");
    }

    #[test]
    fn one_row_per_run_in_seed_order_within_each_method() {
        let mut late = run("gin", 0, 100, 0.705, 0.69);
        late.outcome.best_epoch = Some(42);
        late.outcome.test_at_last = None;
        late.seconds = 90.0;
        let set = results(
            "bbbp",
            vec![
                run("gin", 3, 100, 0.6, 0.5),
                late,
                run("gcn", 1, 20, 0.55, 0.56),
            ],
        );
        let table = set.seed_table();
        let rows: Vec<&str> = table.lines().skip(2).collect();
        assert_eq!(
            rows,
            [
                "| gcn | 20 | 1 | 1 | 55.00 | 55.00 | 56.00 | 0.0 |",
                "| gin | 100 | 0 | 42 | 70.50 | 70.50 | – | 1.5 |",
                "| gin | 100 | 3 | 1 | 60.00 | 60.00 | 50.00 | 0.0 |",
            ]
        );
        assert!(table.starts_with("| method | epochs | seed | best epoch | valid ROC-AUC"));
    }
}
