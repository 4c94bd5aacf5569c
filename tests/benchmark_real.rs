//! The benchmark harness on a real MoleculeNet set (needs `MOLKD_DATA_DIR`): a short sweep
//! writes its results, report and curves, running it again skips what is recorded, and
//! `molkd results` tabulates them, alone and against a baseline.

mod common;

use molkd::cli::StudentArgs;
use molkd::train::benchmark::{BenchmarkJob, BenchmarkSet, run_benchmark};
use molkd::train::dataset_spec;

#[test]
#[ignore = "needs MOLKD_DATA_DIR (real MoleculeNet data)"]
fn bbbp_sweep_writes_results_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let student: StudentArgs = {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            s: StudentArgs,
        }
        <Cli as clap::Parser>::parse_from(["x", "--epochs", "1", "--layers", "2", "--dim", "64"]).s
    };
    let job = BenchmarkJob {
        dataset: BenchmarkSet::MoleculeNet(dataset_spec("bbbp").unwrap()),
        data_dir: common::data_dir(),
        out: tmp.path().to_path_buf(),
        scheme: student.scheme(),
        config: student.config(false, "--distill", 0).unwrap(),
        seeds: vec![0, 1],
        teacher: None,
    };
    let device = molkd::default_cpu_device().autodiff();
    let results = run_benchmark(&job, &device).unwrap();
    // RDKit rejects 11 BBBP SMILES; the scaffold split is 80/10/10 of the rest.
    assert_eq!((results.molecules, results.skipped), (2039, 11));
    assert_eq!(results.split, [1631, 204, 204]);
    assert_eq!(results.runs.len(), 2);
    for run in &results.runs {
        let auc = run.outcome.test_at_best.unwrap();
        assert!((0.3..1.0).contains(&auc), "{auc}");
        assert_eq!(run.outcome.history.len(), 1);
    }
    for file in ["bbbp.json", "bbbp.md", "bbbp.svg"] {
        assert!(tmp.path().join(file).is_file(), "missing {file}");
    }
    assert!(
        results.markdown().contains("| gin | 1 | 2 |"),
        "{}",
        results.markdown()
    );
    // Recorded runs are skipped; a new seed is added.
    let again = run_benchmark(
        &BenchmarkJob {
            seeds: vec![1, 2],
            ..job
        },
        &device,
    )
    .unwrap();
    assert_eq!(again.runs.len(), 3);
    assert_eq!(
        again.runs.iter().map(|r| r.seed).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    // `molkd results` puts the directory's sets side by side.
    let (ok, table, stderr) = common::molkd(&["results", "--dir", tmp.path().to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(
        table.starts_with("| method | epochs | bbbp (ROC-AUC) |"),
        "{table}"
    );
    assert!(
        table.contains("| gin | 1 |") && table.contains("(n=3)"),
        "{table}"
    );
    // `--baseline` adds a paired table per set (gin alone: a header and no rows).
    let dir = tmp.path().to_str().unwrap();
    let (ok, paired, stderr) = common::molkd(&["results", "--dir", dir, "--baseline", "gin"]);
    assert!(ok, "{stderr}");
    assert!(
        paired.contains("bbbp, against gin:") && paired.contains("| Δ vs gin |"),
        "{paired}"
    );
    // One set has nothing to pool; a second set with the baseline adds the pooled table.
    assert!(!paired.contains("pooled over"), "{paired}");
    let copy = std::fs::read_to_string(tmp.path().join("bbbp.json"))
        .unwrap()
        .replace(r#""dataset": "bbbp""#, r#""dataset": "clintox""#);
    assert!(copy.contains(r#""dataset": "clintox""#), "{copy}");
    std::fs::write(tmp.path().join("clintox.json"), copy).unwrap();
    let (ok, pooled, stderr) = common::molkd(&["results", "--dir", dir, "--baseline", "gin"]);
    assert!(ok, "{stderr}");
    assert!(
        pooled.contains("pooled over") && pooled.contains("| Δ vs gin, mean ± s.e. |"),
        "{pooled}"
    );
    // `--sets` keeps the named sets only: bbbp alone has nothing to pool.
    let (ok, one, stderr) = common::molkd(&[
        "results",
        "--dir",
        dir,
        "--baseline",
        "gin",
        "--sets",
        "bbbp",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        !one.contains("clintox") && !one.contains("pooled over"),
        "{one}"
    );
    let (ok, _, stderr) = common::molkd(&["results", "--dir", dir, "--sets", "bbbp,tox21"]);
    assert!(
        !ok && stderr.contains("--sets: no tox21.json in"),
        "{stderr}"
    );
    std::fs::remove_file(tmp.path().join("clintox.json")).unwrap();
    let (ok, unpaired, _) = common::molkd(&["results", "--dir", dir, "--baseline", "gcn"]);
    assert!(
        ok && unpaired.contains("bbbp: no gcn runs to pair with"),
        "{unpaired}"
    );
    // `--per-seed` lists the three runs.
    let (ok, runs, stderr) = common::molkd(&["results", "--dir", dir, "--per-seed"]);
    assert!(ok, "{stderr}");
    for seed in 0..3 {
        assert!(
            runs.contains(&format!("| gin | 1 | {seed} | 1 |")),
            "{runs}"
        );
    }
}
