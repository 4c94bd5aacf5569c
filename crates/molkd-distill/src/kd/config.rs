//! Choosing the distillation loss from a configuration or the command line.

use std::fmt;
use std::str::FromStr;

use burn::config::Config;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{
    AlignKind, contrastive_kd_loss, feature_alignment_loss, logit_kd_loss, relational_kd_loss,
};
use crate::check;
use crate::error::{DistillError, Result};

/// Which distillation loss. Names (serde, [`FromStr`], [`fmt::Display`]): `mse`, `cosine`,
/// `contrastive`, `relational`, `logit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KdForm {
    /// [`feature_alignment_loss`] with [`AlignKind::Mse`].
    #[default]
    Mse,
    /// [`feature_alignment_loss`] with [`AlignKind::Cosine`].
    Cosine,
    /// [`contrastive_kd_loss`].
    Contrastive,
    /// [`relational_kd_loss`].
    Relational,
    /// [`logit_kd_loss`] (needs logits instead of embeddings).
    Logit,
}

impl KdForm {
    /// Every form, in declaration order.
    pub const ALL: [KdForm; 5] = [
        Self::Mse,
        Self::Cosine,
        Self::Contrastive,
        Self::Relational,
        Self::Logit,
    ];

    /// The form's configuration and command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mse => "mse",
            Self::Cosine => "cosine",
            Self::Contrastive => "contrastive",
            Self::Relational => "relational",
            Self::Logit => "logit",
        }
    }

    /// Whether the form compares task logits (the others compare embeddings).
    pub fn needs_logits(self) -> bool {
        self == Self::Logit
    }
}

impl fmt::Display for KdForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KdForm {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|form| form.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown distillation loss `{s}` (expected one of: {})",
                    Self::ALL.map(Self::name).join(", ")
                )
            })
    }
}

/// What a distillation step has at hand; each form reads only what it needs (see
/// [`KdForm::needs_logits`]). Teacher tensors must already be detached.
#[derive(Debug, Clone, Default)]
pub struct KdInputs {
    /// Student embeddings `[B, D]` (after the projection head for the feature forms).
    pub student_embedding: Option<Tensor<2>>,
    /// Teacher embeddings `[B, D']`.
    pub teacher_embedding: Option<Tensor<2>>,
    /// Student task logits `[B, T]`.
    pub student_logits: Option<Tensor<2>>,
    /// Teacher task logits `[B, T]`.
    pub teacher_logits: Option<Tensor<2>>,
    /// Label mask `[B, T]` of the logit form (`None` = every entry).
    pub mask: Option<Tensor<2>>,
}

impl KdInputs {
    /// Inputs of the embedding forms.
    pub fn embeddings(student: Tensor<2>, teacher: Tensor<2>) -> Self {
        Self {
            student_embedding: Some(student),
            teacher_embedding: Some(teacher),
            ..Self::default()
        }
    }

    /// Inputs of the logit form.
    pub fn logits(student: Tensor<2>, teacher: Tensor<2>, mask: Option<Tensor<2>>) -> Self {
        Self {
            student_logits: Some(student),
            teacher_logits: Some(teacher),
            mask,
            ..Self::default()
        }
    }
}

/// Configuration of the distillation loss.
#[derive(Config, Debug)]
pub struct KdConfig {
    /// Which loss.
    #[config(default = "KdForm::Mse")]
    pub form: KdForm,
    /// Weight λ of the distillation term in `task + λ · kd` ([`KdConfig::weighted_loss`]).
    #[config(default = 1.0)]
    pub lambda: f32,
    /// Temperature τ of the contrastive, relational and logit forms (logit distillation
    /// usually takes τ between 1 and 4; the similarity forms about 0.1).
    #[config(default = 0.1)]
    pub temperature: f32,
    /// L2-normalise rows before the MSE of [`KdForm::Mse`].
    #[config(default = false)]
    pub normalize: bool,
}

impl KdConfig {
    /// The configured distillation loss, unweighted. Shapes as the chosen function; inputs
    /// the form does not use are ignored, a missing one it needs is a
    /// [`DistillError::MissingInput`].
    pub fn loss(&self, inputs: KdInputs) -> Result<Tensor<1>> {
        let missing = |input| DistillError::MissingInput {
            form: self.form.name().to_string(),
            input,
        };
        let embeddings = |inputs: KdInputs| -> Result<(Tensor<2>, Tensor<2>)> {
            Ok((
                inputs
                    .student_embedding
                    .ok_or_else(|| missing("student embeddings"))?,
                inputs
                    .teacher_embedding
                    .ok_or_else(|| missing("teacher embeddings"))?,
            ))
        };
        match self.form {
            KdForm::Mse | KdForm::Cosine => {
                let kind = if self.form == KdForm::Mse {
                    AlignKind::Mse
                } else {
                    AlignKind::Cosine
                };
                let (student, teacher) = embeddings(inputs)?;
                feature_alignment_loss(student, teacher, kind, self.normalize)
            }
            KdForm::Contrastive => {
                let (student, teacher) = embeddings(inputs)?;
                contrastive_kd_loss(student, teacher, self.temperature)
            }
            KdForm::Relational => {
                let (student, teacher) = embeddings(inputs)?;
                relational_kd_loss(student, teacher, self.temperature)
            }
            KdForm::Logit => {
                let student = inputs
                    .student_logits
                    .ok_or_else(|| missing("student logits"))?;
                let teacher = inputs
                    .teacher_logits
                    .ok_or_else(|| missing("teacher logits"))?;
                logit_kd_loss(student, teacher, self.temperature, inputs.mask)
            }
        }
    }

    /// `λ ·` [`KdConfig::loss`], the term added to the task loss. Errors also when `λ` is
    /// negative or not finite.
    pub fn weighted_loss(&self, inputs: KdInputs) -> Result<Tensor<1>> {
        check::non_negative("lambda", self.lambda)?;
        Ok(self.loss(inputs)? * self.lambda)
    }
}
