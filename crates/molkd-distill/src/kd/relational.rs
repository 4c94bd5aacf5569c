//! Relational distillation: the student reproduces how the teacher relates the molecules of a
//! batch to each other.

use burn::tensor::Tensor;
use burn::tensor::activation::log_softmax;

use crate::check;
use crate::error::Result;
use crate::ops::{cosine_matrix, off_diagonal};

/// Relational knowledge distillation on in-batch similarity distributions (after RKD, Park et
/// al. CVPR 2019, and SSKD-style similarity KL): with `C^S`, `C^T` the `B × B` cosine
/// similarity matrices of the student's and the teacher's rows,
///
/// ```text
/// p_i = softmax_{j≠i}(C^T_ij / τ),  q_i = softmax_{j≠i}(C^S_ij / τ)
/// loss = τ² · (1/B) Σ_i KL(p_i ‖ q_i) = τ² · (1/B) Σ_i Σ_{j≠i} p_ij (log p_ij − log q_ij)
/// ```
///
/// The diagonal is excluded: a row's similarity to itself is 1 in both matrices, carries no
/// information about the teacher and would dominate the softmax at small τ. The τ² factor
/// (Hinton et al. 2015) keeps gradient magnitudes comparable across temperatures. Both
/// distributions come from `log_softmax`, so the KL is finite even where `p` underflows.
///
/// Widths may differ (`D_s ≠ D'`): only the `B × B` similarities are compared.
///
/// Shapes: `student` `[B, D_s]`, `teacher` `[B, D']` (detached) → `[1]`. Errors: different row
/// counts, `B < 2`, `temperature` not finite and positive.
pub fn relational_kd_loss(
    student: Tensor<2>,
    teacher: Tensor<2>,
    temperature: f32,
) -> Result<Tensor<1>> {
    let rows = check::same_rows("student", &student, "teacher", &teacher)?;
    check::batch_at_least("relational distillation", rows, 2)?;
    check::temperature(temperature)?;
    let similarities = |x: Tensor<2>| off_diagonal(cosine_matrix(x.clone(), x)) / temperature;
    let log_p = log_softmax(similarities(teacher), 1); // [B, B − 1]
    let log_q = log_softmax(similarities(student), 1); // [B, B − 1]
    let kl = (log_p.clone().exp() * (log_p - log_q)).sum() / rows as f32;
    Ok(kl * (temperature * temperature))
}
