//! Feature alignment: the student's projected embedding regresses the teacher's.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::check;
use crate::error::Result;
use crate::ops::l2_normalize_rows;

/// How [`feature_alignment_loss`] compares a student row with its teacher row. Names: `mse`,
/// `cosine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlignKind {
    /// Mean squared error over all entries.
    #[default]
    Mse,
    /// Mean of `1 − cos`.
    Cosine,
}

impl AlignKind {
    /// The kind's configuration name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mse => "mse",
            Self::Cosine => "cosine",
        }
    }
}

impl fmt::Display for AlignKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AlignKind {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "mse" => Ok(Self::Mse),
            "cosine" => Ok(Self::Cosine),
            _ => Err(format!("unknown alignment `{s}` (expected mse or cosine)")),
        }
    }
}

/// Feature-alignment distillation (FitNets-style hint loss, Romero et al. 2015) between the
/// student's projected embeddings `S` and the frozen teacher's `T` (already detached):
///
/// ```text
/// Mse:    loss = 1/(B·D) Σ_ik (S_ik − T_ik)²       (torch F.mse_loss, mean reduction)
///         with normalize: the same on rows scaled to unit L2 norm (= (2 − 2 cos)/D per row)
/// Cosine: loss = (1/B) Σ_i (1 − cos(S_i, T_i))     (normalize has no effect)
/// ```
///
/// Row norms are clamped at `1e-6`, so zero rows give finite gradients.
///
/// Shapes: `student` `[B, D]`, `teacher` `[B, D]` → `[1]`. Errors: shapes differ (the student's
/// projection head must map to the teacher's width), `B = 0`.
pub fn feature_alignment_loss(
    student: Tensor<2>,
    teacher: Tensor<2>,
    kind: AlignKind,
    normalize: bool,
) -> Result<Tensor<1>> {
    let [rows, _] = check::same_shape("student", &student, "teacher", &teacher)?;
    check::batch_at_least("feature alignment", rows, 1)?;
    let (student, teacher) = if normalize || kind == AlignKind::Cosine {
        (l2_normalize_rows(student), l2_normalize_rows(teacher))
    } else {
        (student, teacher)
    };
    Ok(match kind {
        AlignKind::Mse => (student - teacher).powi_scalar(2).mean(),
        AlignKind::Cosine => (student * teacher).sum_dim(1).neg().add_scalar(1.0).mean(),
    })
}
