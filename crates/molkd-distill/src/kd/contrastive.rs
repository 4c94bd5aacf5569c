//! Contrastive distillation: the student must pick its own molecule among the teacher's.

use burn::tensor::Tensor;

use crate::check;
use crate::error::Result;
use crate::ops::{cosine_matrix, diagonal_cross_entropy};

/// Contrastive representation distillation as InfoNCE (in the spirit of CRD, Tian et al.
/// ICLR 2020, with in-batch negatives), one direction: student row `i` against every teacher
/// row, the same molecule's teacher row as the positive:
///
/// ```text
/// s_ij = cos(S_i, T_j) / τ
/// loss = −(1/B) Σ_i log softmax_j(s_ij)_i
/// ```
///
/// Rows are L2-normalised (norms clamped at `1e-6`); `log_softmax` keeps it stable. The teacher
/// is frozen, so only the student → teacher direction is used.
///
/// Shapes: `student` `[B, D]`, `teacher` `[B, D]` (detached) → `[1]`. Errors: shapes differ,
/// `B < 2`, `temperature` not finite and positive.
pub fn contrastive_kd_loss(
    student: Tensor<2>,
    teacher: Tensor<2>,
    temperature: f32,
) -> Result<Tensor<1>> {
    let [rows, _] = check::same_shape("student", &student, "teacher", &teacher)?;
    check::batch_at_least("contrastive distillation", rows, 2)?;
    check::temperature(temperature)?;
    Ok(diagonal_cross_entropy(
        cosine_matrix(student, teacher) / temperature,
    ))
}
