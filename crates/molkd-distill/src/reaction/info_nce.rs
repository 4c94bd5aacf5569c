//! InfoNCE between reactant and product sums.

use burn::tensor::Tensor;

use crate::check;
use crate::error::Result;
use crate::ops::{cosine_matrix, diagonal_cross_entropy};

/// Default InfoNCE temperature τ.
pub const DEFAULT_TEMPERATURE: f32 = 0.1;

/// Symmetric (CLIP-style) InfoNCE between reactant and product sums, the matching reaction as
/// the positive and the other reactions of the batch as negatives (van den Oord et al. 2018;
/// Radford et al. 2021):
///
/// ```text
/// s_ij = cos(R_i, P_j) / τ
/// loss = ½ [ −(1/B) Σ_i log softmax_j(s_ij)_i  −(1/B) Σ_j log softmax_i(s_ij)_j ]
/// ```
///
/// i.e. the mean of reactants → products and products → reactants retrieval cross-entropies,
/// computed with `log_softmax` (max-shifted) for stability. Rows are L2-normalised with norms
/// clamped at `1e-6`, so a zero row gives a finite gradient.
///
/// Shapes: `reactants` `[B, D]`, `products` `[B, D]` → `[1]`. Errors: shapes differ, `B < 2`,
/// `temperature` not finite and positive.
pub fn info_nce_loss(
    reactants: Tensor<2>,
    products: Tensor<2>,
    temperature: f32,
) -> Result<Tensor<1>> {
    let [rows, _] = check::same_shape("reactants", &reactants, "products", &products)?;
    check::batch_at_least("InfoNCE", rows, 2)?;
    check::temperature(temperature)?;
    let logits = cosine_matrix(reactants, products) / temperature; // [B, B]
    let forward = diagonal_cross_entropy(logits.clone());
    let backward = diagonal_cross_entropy(logits.transpose());
    Ok((forward + backward) / 2.0)
}
