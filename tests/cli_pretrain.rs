//! `molkd pretrain-teacher` end to end on a tiny reaction file: checkpoint, report, resume,
//! and bad rows counted rather than fatal.

mod common;

use common::{assert_times_whole_run, molkd, read_report};

const REACTIONS: &str = "yield,split,rxn
95,train,CC(=O)O.OCC>>CC(=O)OCC
80,train,CC(=O)Cl.NC>>CC(=O)NC
60,train,c1ccccc1Br.OB(O)c1ccccc1>>c1ccc(-c2ccccc2)cc1
90,train,C=CC=C.C=C>>C1=CCCCC1
75,train,CCO.O=C(O)c1ccccc1>>CCOC(=O)c1ccccc1
85,train,CCBr.[OH-]>>CCO
70,train,CC(=O)OC(C)=O.Oc1ccccc1C(=O)O>>CC(=O)Oc1ccccc1C(=O)O
88,train,OCCO.O=C(O)CCC(=O)O>>O=C1CCC(=O)OCCO1
55,train,CN.O=C(O)c1ccncc1>>CNC(=O)c1ccncc1
65,train,CCCCO.CC(=O)O>>CCCCOC(C)=O
50,train,CC(C)=O.[BH4-]>>CC(C)O
72,train,CCN.CC(=O)Cl>>CCNC(C)=O
90,test,CC(=O)O.OC>>CC(=O)OC
80,test,CC(=O)Cl.NCC>>CC(=O)NCC
70,test,OCC.O=C(O)c1ccccc1>>CCOC(=O)c1ccccc1
60,test,CCO.CC(=O)O>>CCOC(C)=O
120,train,CCO>>CC=O
abc,train,CCO>>CC=O
75,train,CCO.CC
40,train,C1CC.O>>CCO
";

#[test]
fn pretrain_teacher_writes_checkpoint_and_report_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("rxn.csv");
    std::fs::write(&data, REACTIONS).unwrap();
    let out = tmp.path().join("out");
    let args = |epochs: &str, resume: bool| {
        let mut a = vec![
            "pretrain-teacher".to_string(),
            "--data".into(),
            data.to_str().unwrap().into(),
            "--out".into(),
            out.to_str().unwrap().into(),
            "--dim".into(),
            "16".into(),
            "--batch-size".into(),
            "4".into(),
            "--epochs".into(),
            epochs.into(),
            "--loss".into(),
            "yield-weighted".into(),
            "--no-cache".into(),
        ];
        if resume {
            a.push("--resume".into());
        }
        a
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        molkd(&refs)
    };
    let (ok, stdout, stderr) = run(args("1", false));
    assert!(ok, "{stderr}");
    // 4 bad rows: yield 120, yield `abc`, no `>>`, unparsable `C1CC`.
    assert!(stderr.contains("skipped 4"), "{stderr}");
    assert!(stdout.contains("| trained |"), "{stdout}");
    for file in [
        "report.json",
        "report.md",
        "teacher/model.bpk",
        "teacher/config.json",
        "run/latest.json",
    ] {
        assert!(out.join(file).is_file(), "missing {file}");
    }
    // Resume to 2 epochs: the history holds both.
    let (ok, _, stderr) = run(args("2", true));
    assert!(ok, "{stderr}");
    let report = read_report(&out);
    // The training time covers the epoch from before the resume, not just this process.
    assert_times_whole_run(&report, "train_seconds", 2);
    assert_eq!(report["skipped"], 4);
    assert_eq!(report["test"], 4);

    // Resuming with other settings or other data is refused, naming what differs.
    let mut other_lr = args("3", true);
    other_lr.extend(["--lr".into(), "0.01".into()]);
    let (ok, _, stderr) = run(other_lr);
    assert!(!ok && stderr.contains("config.optim.lr"), "{stderr}");
    let mut other_loss = args("3", true);
    let at = other_loss
        .iter()
        .position(|a| a == "yield-weighted")
        .unwrap();
    other_loss[at] = "molr".into();
    let (ok, _, stderr) = run(other_loss);
    assert!(!ok && stderr.contains("config.loss.form"), "{stderr}");
    let edited = tmp.path().join("rxn2.csv");
    std::fs::write(&edited, REACTIONS.replace("95,train", "94,train")).unwrap();
    let mut other_data = args("3", true);
    other_data[2] = edited.to_str().unwrap().into();
    let (ok, _, stderr) = run(other_data);
    assert!(!ok && stderr.contains("`data`"), "{stderr}");
    // Without --resume a directory holding a run is refused.
    let (ok, _, stderr) = run(args("3", false));
    assert!(!ok && stderr.contains("--resume"), "{stderr}");
    assert_eq!(read_report(&out)["history"].as_array().unwrap().len(), 2);

    // The saved teacher scores a reaction file on its own.
    let (ok, stdout, stderr) = molkd(&[
        "evaluate-teacher",
        "--model",
        out.join("teacher").to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--format",
        "uspto-yields",
    ]);
    assert!(ok, "{stderr}");
    let eval: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(eval["reactions"], 16, "{eval}");
    assert!(eval["retrieval"]["mrr"].as_f64().unwrap() > 0.0, "{eval}");

    // A missing file is a clear error, not a panic.
    let (ok, _, stderr) = molkd(&[
        "pretrain-teacher",
        "--data",
        "/nonexistent.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("nonexistent.csv") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
