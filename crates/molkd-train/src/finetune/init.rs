//! Starting a student from pre-trained encoder weights (`--init DIR`): the encoder of a blend
//! pre-training checkpoint (`molkd pretrain-blend`'s `model/`) replaces the student's freshly
//! initialised one; the readout and task head stay new.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use molkd_models::{
    BlendModel, Checkpointed, EncoderConfig, MoleculeEncoder, RelationTransformerConfig,
    StudentModel, StudentModelConfig,
};

use crate::error::{Result, TrainError};

/// The checkpoint directory of `dir`: `dir` itself, or its `model/` (a pre-training output).
pub fn checkpoint_dir(dir: &Path) -> PathBuf {
    let model = dir.join("model");
    if model.join("config.json").exists() {
        model
    } else {
        dir.to_path_buf()
    }
}

/// The output directory of the pre-training `dir` names: `dir`, or its parent where `dir` is
/// a pre-training's `model/`.
pub fn pretraining_dir(dir: &Path) -> &Path {
    match dir.parent() {
        Some(parent) if dir.file_name().is_some_and(|n| n == "model") => parent,
        _ => dir,
    }
}

/// The QM9 split seed the blend pre-training in `dir` trained on, from its `report.json`;
/// `None` where there is no report (a checkpoint saved by other means).
pub fn pretraining_split_seed(dir: &Path) -> Result<Option<u64>> {
    let path = pretraining_dir(dir).join("report.json");
    if !path.exists() {
        return Ok(None);
    }
    let report: serde_json::Value = crate::run_dir::read_json(&path)?;
    Ok(report.get("split_seed").and_then(serde_json::Value::as_u64))
}

/// The architecture of the encoder saved in `dir` (what `--init DIR` will load), read without
/// loading the weights. Errors: no blend checkpoint there.
pub fn pretrained_transformer(dir: &Path) -> Result<RelationTransformerConfig> {
    let path = checkpoint_dir(dir).join("config.json");
    let config: molkd_models::BlendModelConfig = crate::run_dir::read_json(&path).map_err(|e| {
        TrainError::Invalid(format!(
            "--init {}: not a blend pre-training checkpoint (molkd pretrain-blend's \
                 model/): {e}",
            dir.display()
        ))
    })?;
    Ok(config.transformer)
}

/// The settings of a relation encoder that fix its parameters' shapes and meaning (the rest,
/// dropouts and the size limit, may differ between pre-training and fine-tuning).
fn architecture(t: &RelationTransformerConfig) -> serde_json::Value {
    let mut value = serde_json::to_value(t).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        for free in [
            "attention_dropout",
            "activation_dropout",
            "dropout",
            "drop_path",
            "max_atoms",
        ] {
            map.remove(free);
        }
    }
    value
}

/// `model` (configured by `config`) with its encoder replaced by the pre-trained one in
/// `dir`. The student keeps its own dropouts. Errors: not a blend checkpoint, a GNN
/// student, or an encoder of another architecture (naming the first setting that differs).
pub fn init_encoder(
    model: StudentModel,
    config: &StudentModelConfig,
    dir: &Path,
    device: &Device,
) -> Result<StudentModel> {
    let EncoderConfig::Relation(encoder) = &config.encoder else {
        return Err(TrainError::Invalid(format!(
            "--init {}: a blend pre-training checkpoint holds a relation encoder; this student \
             is a GNN (use --encoder moleblend)",
            dir.display()
        )));
    };
    let saved = pretrained_transformer(dir)?;
    let (want, have) = (architecture(&encoder.transformer), architecture(&saved));
    if want != have {
        let differs = want
            .as_object()
            .and_then(|w| {
                w.iter()
                    .find(|(k, v)| have.get(k.as_str()) != Some(v))
                    .map(|(k, v)| {
                        format!(
                            "{k}: the student has {v}, the checkpoint {}",
                            have.get(k.as_str()).cloned().unwrap_or_default()
                        )
                    })
            })
            .unwrap_or_else(|| "their settings".into());
        return Err(TrainError::Invalid(format!(
            "--init {}: the pre-trained encoder has another architecture ({differs})",
            dir.display()
        )));
    }
    let (pretrained, _) = BlendModel::load(&checkpoint_dir(dir), device)?;
    let mut model = model;
    match &mut model.encoder {
        MoleculeEncoder::Relation(relation) => {
            // Parameters only: the student's dropouts (constants of its modules) stay.
            relation.transformer = relation
                .transformer
                .clone()
                .load_record(pretrained.encoder.into_record());
        }
        MoleculeEncoder::Gnn(_) => {
            return Err(TrainError::Invalid(
                "--init: the model is a GNN although its configuration is relational".into(),
            ));
        }
    }
    Ok(model)
}
