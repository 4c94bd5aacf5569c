//! Softmax over the edges that share a destination node.

use burn::tensor::{IndexingUpdateOp, Int, Tensor};

use super::scatter::scatter_sum;

/// Softmax of edge `scores` over each group of edges with the same `index` (destination), per
/// column (attention head): `out[e] = exp(s[e]) / Σ_{e' : index[e'] = index[e]} exp(s[e'])`.
///
/// The per-group maximum is subtracted first for stability; it is a constant for the
/// gradient (softmax is shift-invariant), so it is computed on detached scores.
///
/// Shapes: `scores` `[E, H]`, `index` `[E]` → `[E, H]`.
pub fn segment_softmax(scores: Tensor<2>, index: Tensor<1, Int>, num_nodes: usize) -> Tensor<2> {
    let [_, h] = scores.dims();
    let device = scores.device();
    let max = Tensor::full([num_nodes, h], f32::NEG_INFINITY, &device).select_assign(
        0,
        index.clone(),
        scores.clone().detach(),
        IndexingUpdateOp::Max,
    );
    let exp = (scores - max.select(0, index.clone())).exp();
    let denominator = scatter_sum(exp.clone(), index.clone(), num_nodes).select(0, index);
    exp / denominator
}
