//! molkd from your own Rust code: train a GIN on BBBP with your own settings, watch each epoch,
//! save the model, load it back and predict in-memory SMILES (one is not a molecule).
//!
//! ```text
//! MOLKD_DATA_DIR=../shared/data cargo run --release --example library -- [OUT_DIR]
//! ```
//!
//! The saved directory is what `molkd predict --model OUT_DIR` reads too.

use molkd::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = molkd::default_cpu_device(); // or Device::default(): the GPU where built
    let out = std::env::args()
        .nth(1)
        .unwrap_or("results/library-bbbp".into());

    // Data: BBBP from $MOLKD_DATA_DIR, featurised as pretrain-gnns does, scaffold split.
    let scheme = FeatureScheme::PretrainGnns;
    let data = dataset_spec("bbbp")?.load(&data_dir(None)?, scheme.featurizer())?;
    let split = scaffold_split(&data.smiles, SplitFractions::default())?;

    // The pretrain-gnns protocol (GIN 5 × 300), shortened to 3 epochs; the seed fixes the run.
    let mut config = FinetuneConfig::protocol(scheme.featurizer(), data.num_tasks());
    config.optim = config.optim.with_epochs(3).with_seed(7);

    let trained = Finetune::new(&config, &data, &split)
        .on_epoch(|e| {
            println!(
                "epoch {}: loss {:.4}, valid ROC-AUC {:?}",
                e.epoch, e.train_loss, e.valid
            )
        })
        .run(&device)?;
    println!(
        "test ROC-AUC at the best epoch: {:?}",
        trained.state.test_at_best()
    );

    // Save the best-validation model with its card (scheme, tasks, scaling), then reload it.
    let card = ModelCard::for_data(scheme, &data, trained.state.scaler.clone());
    trained.predictor(card)?.save(out.as_ref())?;
    let predictor = Predictor::load(out.as_ref(), &device)?;

    let smiles = ["CCO", "CN1CCC[C@H]1c1cccnc1", "not a molecule"];
    for (s, prediction) in smiles.iter().zip(predictor.predict_smiles(&smiles)?) {
        match prediction {
            Ok(p) => println!("{s}: P({}) = {:.3}", predictor.task_names()[0], p[0]),
            Err(e) => println!("{s}: {e}"),
        }
    }
    Ok(())
}
