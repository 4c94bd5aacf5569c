//! Edge normalisation of GCN-style propagation.

use burn::tensor::{Int, Tensor};

use super::scatter::index_counts;

/// `1 / sqrt(deg(src) · deg(dst))` per edge, degrees counted as incoming edges (self-loops
/// included when the batch has them): the symmetric normalisation `D^-1/2 A D^-1/2` of GCN.
///
/// Shapes: `src`, `dst` `[E]` → `[E, 1]`.
pub fn symmetric_norm(src: Tensor<1, Int>, dst: Tensor<1, Int>, num_nodes: usize) -> Tensor<2> {
    let device = dst.device();
    let degree = index_counts(dst.clone(), num_nodes, &device).clamp_min(1.0); // [N, 1]
    (degree.clone().select(0, src) * degree.select(0, dst)).powf_scalar(-0.5)
}
