//! Starting a student from pre-trained encoder weights (`--init DIR`): the encoder of a blend
//! pre-training checkpoint (`molkd pretrain-blend`'s `model/`) or of a student pre-training
//! (`molkd pretrain-student`'s) replaces the student's freshly initialised one; the readout and
//! task head stay new.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use molkd_models::{
    BlendModel, BlendModelConfig, Checkpointed, EncoderConfig, GnnEncoder, GnnEncoderConfig,
    GnnPretrainModel, GnnPretrainModelConfig, MoleculeEncoder, RelationTransformerConfig,
    StudentModel, StudentModelConfig, TeacherEncoder, TeacherEncoderKind, TeacherModel,
    TeacherModelConfig,
};

use crate::error::{Result, TrainError};

/// Where pre-training jobs put their final model inside their output directory.
const MODEL_DIRS: [&str; 2] = ["model", "teacher"];

/// The checkpoint directory of `dir`: `dir` itself, or its `model/` (a blend or student
/// pre-training's output) or `teacher/` (a teacher pre-training's).
pub fn checkpoint_dir(dir: &Path) -> PathBuf {
    MODEL_DIRS
        .iter()
        .map(|m| dir.join(m))
        .find(|m| m.join("config.json").exists())
        .unwrap_or_else(|| dir.to_path_buf())
}

/// The output directory of the pre-training `dir` names: `dir`, or its parent where `dir` is
/// a pre-training's `model/` or `teacher/`.
pub fn pretraining_dir(dir: &Path) -> &Path {
    match dir.parent() {
        Some(parent)
            if dir
                .file_name()
                .is_some_and(|n| MODEL_DIRS.iter().any(|m| n == *m)) =>
        {
            parent
        }
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

/// The encoder a pre-training checkpoint holds, by its configuration.
#[derive(Debug, Clone)]
pub enum PretrainedEncoder {
    /// A blend pre-training's relation Transformer (`molkd pretrain-blend`).
    Relation(RelationTransformerConfig),
    /// A GNN of the student's form: a student pre-training's (`molkd pretrain-student`) or
    /// the encoder of a teacher of the student's form (`pretrain-teacher --encoder student`).
    Gnn(GnnEncoderConfig),
}

/// Which kind of checkpoint holds a pre-trained encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// A blend pre-training's `BlendModel`.
    Blend,
    /// A student pre-training's `GnnPretrainModel`.
    StudentPretraining,
    /// A teacher of the student's form.
    Teacher,
}

/// The architecture of the encoder saved in `dir` (what `--init DIR` will load), read without
/// loading the weights. Errors: no pre-training checkpoint there.
pub fn pretrained_encoder(dir: &Path) -> Result<PretrainedEncoder> {
    Ok(read_pretrained(dir)?.0)
}

/// [`pretrained_encoder`], and which kind of checkpoint holds it (read once, so loading the
/// weights need not probe the configuration again).
fn read_pretrained(dir: &Path) -> Result<(PretrainedEncoder, Holder)> {
    let path = checkpoint_dir(dir).join("config.json");
    let not_one = |e: String| {
        TrainError::Invalid(format!(
            "--init {}: not a pre-training checkpoint (the model/ of molkd pretrain-blend or \
             pretrain-student): {e}",
            dir.display()
        ))
    };
    let value: serde_json::Value =
        crate::run_dir::read_json(&path).map_err(|e| not_one(e.to_string()))?;
    if let Ok(blend) = serde_json::from_value::<BlendModelConfig>(value.clone()) {
        return Ok((
            PretrainedEncoder::Relation(blend.transformer),
            Holder::Blend,
        ));
    }
    if let Ok(gnn) = serde_json::from_value::<GnnPretrainModelConfig>(value.clone()) {
        return Ok((
            PretrainedEncoder::Gnn(gnn.encoder),
            Holder::StudentPretraining,
        ));
    }
    let teacher = serde_json::from_value::<TeacherModelConfig>(value)
        .map_err(|e| not_one(format!("{}: {e}", path.display())))?;
    match teacher.encoder.unwrap_or_default() {
        TeacherEncoderKind::Student => Ok((
            PretrainedEncoder::Gnn(teacher.student_encoder()),
            Holder::Teacher,
        )),
        TeacherEncoderKind::Plain => Err(TrainError::Invalid(format!(
            "--init {}: this teacher has MolR's plain encoder, not the student's form (pre-train \
             it with `pretrain-teacher --encoder student`, or `pretrain-student --method \
             reaction`)",
            dir.display()
        ))),
    }
}

/// The GNN encoder saved in `dir` by `holder`: a student pre-training's, or a student-form
/// teacher's.
fn load_gnn(dir: &Path, holder: Holder, device: &Device) -> Result<GnnEncoder> {
    let dir = checkpoint_dir(dir);
    let plain = || {
        TrainError::Invalid(format!(
            "--init {}: no GNN of the student's form here",
            dir.display()
        ))
    };
    match holder {
        Holder::StudentPretraining => Ok(GnnPretrainModel::load(&dir, device)?.0.encoder),
        Holder::Teacher => match TeacherModel::load(&dir, device)?.0.encoder {
            TeacherEncoder::Student(gnn) => Ok(gnn),
            TeacherEncoder::Plain(_) => Err(plain()),
        },
        Holder::Blend => Err(plain()),
    }
}

/// The relation Transformer saved in `dir`. Errors: no blend pre-training checkpoint there.
pub fn pretrained_transformer(dir: &Path) -> Result<RelationTransformerConfig> {
    match pretrained_encoder(dir)? {
        PretrainedEncoder::Relation(t) => Ok(t),
        PretrainedEncoder::Gnn(_) => Err(TrainError::Invalid(format!(
            "--init {}: not a blend pre-training checkpoint (it holds a GNN: use --encoder gnn)",
            dir.display()
        ))),
    }
}

/// The settings of an encoder that fix its parameters' shapes and meaning: all but `free`
/// (dropouts and size limits, which may differ between pre-training and fine-tuning).
fn architecture(config: impl serde::Serialize, free: &[&str]) -> serde_json::Value {
    let mut value = serde_json::to_value(config).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        for key in free {
            map.remove(*key);
        }
    }
    value
}

/// Refuses a pre-trained encoder whose architecture `have` is not the student's `want`,
/// naming the first setting that differs.
fn same_architecture(dir: &Path, want: serde_json::Value, have: serde_json::Value) -> Result<()> {
    if want == have {
        return Ok(());
    }
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
    Err(TrainError::Invalid(format!(
        "--init {}: the pre-trained encoder has another architecture ({differs})",
        dir.display()
    )))
}

const RELATION_FREE: [&str; 5] = [
    "attention_dropout",
    "activation_dropout",
    "dropout",
    "drop_path",
    "max_atoms",
];

/// `model` (configured by `config`) with its encoder replaced by the pre-trained one in
/// `dir`: a blend pre-training's relation Transformer or a student pre-training's GNN. The
/// student keeps its own dropouts; its readout and head stay new. Errors: not a pre-training
/// checkpoint, an encoder of the other family, or of another architecture (naming the first
/// setting that differs).
pub fn init_encoder(
    model: StudentModel,
    config: &StudentModelConfig,
    dir: &Path,
    device: &Device,
) -> Result<StudentModel> {
    let mut model = model;
    let (saved, holder) = read_pretrained(dir)?;
    match (&config.encoder, saved, &mut model.encoder) {
        (
            EncoderConfig::Relation(encoder),
            PretrainedEncoder::Relation(saved),
            MoleculeEncoder::Relation(relation),
        ) => {
            same_architecture(
                dir,
                architecture(&encoder.transformer, &RELATION_FREE),
                architecture(&saved, &RELATION_FREE),
            )?;
            let (pretrained, _) = BlendModel::load(&checkpoint_dir(dir), device)?;
            // Parameters only: the student's dropouts (constants of its modules) stay.
            relation.transformer = relation
                .transformer
                .clone()
                .load_record(pretrained.encoder.into_record());
        }
        (EncoderConfig::Gnn(encoder), PretrainedEncoder::Gnn(saved), MoleculeEncoder::Gnn(gnn)) => {
            same_architecture(
                dir,
                architecture(encoder, &["dropout"]),
                architecture(&saved, &["dropout"]),
            )?;
            let pretrained = load_gnn(dir, holder, device)?;
            *gnn = gnn.clone().load_record(pretrained.into_record());
        }
        (EncoderConfig::Gnn(_), PretrainedEncoder::Relation(_), _) => {
            return Err(TrainError::Invalid(format!(
                "--init {}: a blend pre-training checkpoint holds a relation encoder; this \
                 student is a GNN (use --encoder moleblend)",
                dir.display()
            )));
        }
        (EncoderConfig::Relation(_), PretrainedEncoder::Gnn(_), _) => {
            return Err(TrainError::Invalid(format!(
                "--init {}: a student pre-training checkpoint holds a GNN; this student is \
                 relational (use --encoder gnn)",
                dir.display()
            )));
        }
        _ => {
            return Err(TrainError::Invalid(
                "--init: the model's encoder is not the family its configuration names".into(),
            ));
        }
    }
    Ok(model)
}
