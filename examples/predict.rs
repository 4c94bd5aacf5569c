//! Load a saved model and predict SMILES given on the command line: what a program using a
//! molkd model for inference needs (any directory `Predictor::save` or `molkd train` wrote).
//!
//! ```text
//! cargo run --release --example predict -- MODEL_DIR 'CCO' 'c1ccccc1N'
//! ```

use molkd::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: predict MODEL_DIR SMILES...")?;
    let smiles: Vec<String> = args.collect();
    let predictor = Predictor::load(dir.as_ref(), &molkd::default_cpu_device())?;
    let tasks = predictor.task_names();
    println!("smiles,{},error", tasks.join(","));
    for (s, prediction) in smiles.iter().zip(predictor.predict_smiles(&smiles)?) {
        match prediction {
            Ok(values) => {
                let values: Vec<String> = values.iter().map(|v| format!("{v:.4}")).collect();
                println!("{s},{},", values.join(","));
            }
            Err(e) => println!("{s},{}{e:?}", ",".repeat(tasks.len())),
        }
    }
    Ok(())
}
