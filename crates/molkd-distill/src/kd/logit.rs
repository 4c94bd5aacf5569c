//! Logit distillation for multi-label binary tasks.

use burn::tensor::Tensor;
use burn::tensor::activation::sigmoid;

use crate::check;
use crate::error::Result;
use crate::ops::{binary_cross_entropy_with_logits, masked_mean, zero_where_unmasked};

/// Logit distillation for multi-label binary tasks (Hinton et al. 2015, with one Bernoulli per
/// task instead of a softmax): the student's tempered probabilities are fitted to the teacher's
/// by binary cross-entropy, scaled by τ²:
///
/// ```text
/// x = z^S / τ,  q = σ(z^T / τ)
/// ℓ_bt = −(q_bt log σ(x_bt) + (1 − q_bt) log σ(−x_bt))
/// loss = τ² · Σ_bt m_bt ℓ_bt / Σ_bt m_bt          (m = mask, all ones when None)
/// ```
///
/// This is the Bernoulli KL(q ‖ σ(x)) plus the entropy of `q`, which does not depend on the
/// student: the gradient is the KL's, but the minimum is the teacher's entropy, not 0. A mask
/// that sums to zero gives a zero loss with zero gradient; masked-out teacher logits may be
/// anything, NaN included.
///
/// Shapes: `student_logits` `[B, T]`, `teacher_logits` `[B, T]` (detached), `mask` `[B, T]`
/// (0/1, or non-negative weights) → `[1]`. Errors: shapes differ, `temperature` not finite and
/// positive.
pub fn logit_kd_loss(
    student_logits: Tensor<2>,
    teacher_logits: Tensor<2>,
    temperature: f32,
    mask: Option<Tensor<2>>,
) -> Result<Tensor<1>> {
    let dims = check::same_shape(
        "student logits",
        &student_logits,
        "teacher logits",
        &teacher_logits,
    )?;
    if let Some(mask) = &mask {
        check::shape("mask (must match the logits)", mask, &dims)?;
    }
    check::temperature(temperature)?;
    let mask = mask.unwrap_or_else(|| Tensor::ones(dims, &student_logits.device()));
    let teacher_logits = zero_where_unmasked(teacher_logits, &mask);
    let targets = sigmoid(teacher_logits / temperature);
    let losses = binary_cross_entropy_with_logits(student_logits / temperature, targets);
    Ok(masked_mean(losses, mask) * (temperature * temperature))
}
