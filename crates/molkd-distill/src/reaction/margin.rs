//! MolR's margin loss and its two yield-aware variants.

use burn::tensor::Tensor;
use burn::tensor::activation::relu;

use crate::check;
use crate::error::Result;
use crate::ops::{pairwise_distances, row_distances};

/// MolR's margin γ (`--margin 4.0` in `src/main.py`).
pub const DEFAULT_MARGIN: f32 = 4.0;

/// Default slack of [`yield_adaptive_margin_loss`]: half of [`DEFAULT_MARGIN`], so even a
/// zero-yield pair must end up closer than the distance negatives are pushed to.
pub const DEFAULT_SLACK: f32 = 2.0;

/// The two parts of MolR's loss: per-reaction positive distances `[B]` and the mean hinge over
/// the `B(B − 1)` off-diagonal (negative) pairs `[1]`.
fn margin_parts(
    reactants: Tensor<2>,
    products: Tensor<2>,
    margin: f32,
) -> Result<(Tensor<1>, Tensor<1>)> {
    let [rows, _] = check::same_shape("reactants", &reactants, "products", &products)?;
    check::batch_at_least("the margin loss", rows, 2)?;
    check::non_negative("margin", margin)?;
    let device = reactants.device();
    // Positives from the row differences: exact even when R_i ≈ P_i (cdist's matrix-product
    // form would lose the small distance to cancellation).
    let positive = row_distances(reactants.clone(), products.clone()); // [B]
    let distances = pairwise_distances(reactants, products); // [B, B]
    let off_diagonal = Tensor::<2>::ones([rows, rows], &device) - Tensor::<2>::eye(rows, &device);
    let hinge = relu(distances.neg() + margin) * off_diagonal; // [B, B], 0 on the diagonal
    let negative = hinge.sum() / (rows * (rows - 1)) as f32; // [1]
    Ok((positive, negative))
}

/// MolR's reaction-equivalence margin loss (Wang et al., ICLR 2022, `calculate_loss` in
/// `src/train.py` of github.com/hwwang55/MolR), with `R = reactants`, `P = products`:
///
/// ```text
/// d_ij = ‖R_i − P_j‖₂                                   (torch.cdist(R, P, p=2))
/// loss = (1/B) Σ_i d_ii + 1/(B(B−1)) Σ_{i≠j} max(0, γ − d_ij)
/// ```
///
/// The reaction's own products are pulled onto the reactant sum; every other reaction's
/// products in the batch are pushed at least γ away ([`DEFAULT_MARGIN`] = 4).
///
/// Distances are `sqrt(max(d², 1e-12))` ([`crate::SQUARED_NORM_EPS`]): identical
/// reactant and product sums give a finite (zero) gradient instead of NaN; above `1e-6` the
/// value is exactly cdist's. The diagonal distances are computed from `R_i − P_i` directly,
/// the off-diagonal ones in the matrix-product form.
///
/// Shapes: `reactants` `[B, D]` (sum of the reactant embeddings of each reaction), `products`
/// `[B, D]` → `[1]`. Errors: shapes differ, `B < 2`, `margin` negative or not finite.
pub fn molr_margin_loss(
    reactants: Tensor<2>,
    products: Tensor<2>,
    margin: f32,
) -> Result<Tensor<1>> {
    let (positive, negative) = margin_parts(reactants, products, margin)?;
    Ok(positive.mean() + negative)
}

/// Yield-weighted margin loss: the positive distance of each reaction counts in proportion to
/// its yield `y_i ∈ [0, 1]`; the negatives are MolR's:
///
/// ```text
/// loss = (1/B) Σ_i y_i · d_ii + 1/(B(B−1)) Σ_{i≠j} max(0, γ − d_ij)
/// ```
///
/// With every yield 1 this is exactly [`molr_margin_loss`]. The weights are absolute (divided
/// by `B`, not by `Σ y`): a reaction's pull does not depend on the yields of the reactions
/// that share its batch, and a batch of zero yields is well defined (negatives only). A
/// low-yield reaction still supplies negatives: its products are not the other reactions'.
///
/// Shapes: `reactants` `[B, D]`, `products` `[B, D]`, `yields` `[B]` → `[1]`. Errors: as
/// [`molr_margin_loss`], plus yields of the wrong length or outside `[0, 1]`.
pub fn yield_weighted_margin_loss(
    reactants: Tensor<2>,
    products: Tensor<2>,
    yields: Tensor<1>,
    margin: f32,
) -> Result<Tensor<1>> {
    let [rows, _] = reactants.dims();
    check::yields(&yields, rows)?;
    let (positive, negative) = margin_parts(reactants, products, margin)?;
    Ok((positive * yields).sum() / rows as f32 + negative)
}

/// Yield-adaptive margin loss: a low-yield reaction is only pulled to within a slack of its
/// products, since its reactants do not turn fully into them:
///
/// ```text
/// loss = (1/B) Σ_i max(0, d_ii − s·(1 − y_i)) + 1/(B(B−1)) Σ_{i≠j} max(0, γ − d_ij)
/// ```
///
/// With every yield 1 the hinge is `max(0, d_ii) = d_ii`: exactly [`molr_margin_loss`]. A
/// zero-yield reaction has no loss while `d_ii ≤ s`; keep `s < γ` ([`DEFAULT_SLACK`] = γ/2)
/// so positives still end up closer than negatives.
///
/// Shapes: `reactants` `[B, D]`, `products` `[B, D]`, `yields` `[B]` → `[1]`. Errors: as
/// [`yield_weighted_margin_loss`], plus `slack` negative or not finite.
pub fn yield_adaptive_margin_loss(
    reactants: Tensor<2>,
    products: Tensor<2>,
    yields: Tensor<1>,
    margin: f32,
    slack: f32,
) -> Result<Tensor<1>> {
    let [rows, _] = reactants.dims();
    check::yields(&yields, rows)?;
    check::non_negative("slack", slack)?;
    let (positive, negative) = margin_parts(reactants, products, margin)?;
    let allowance = (yields.neg() + 1.0) * slack; // s·(1 − y)
    Ok(relu(positive - allowance).mean() + negative)
}
