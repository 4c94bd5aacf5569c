//! Softmax over the rows that share a segment (edges into a node, atoms of a molecule).

use burn::tensor::{IndexingUpdateOp, Tensor};

use super::segment::{Segments, gather_segments, segment_sum};

/// Softmax of `scores` over each segment of rows (edges with the same destination, atoms of
/// the same molecule), per column (attention head):
/// `out[r] = exp(s[r]) / Σ_{r' : index[r'] = index[r]} exp(s[r'])`.
///
/// The per-segment maximum is subtracted first for stability; it is a constant for the
/// gradient (softmax is shift-invariant), so it is computed on detached scores.
///
/// Shapes: `scores` `[R, H]`, `segments` the rows' grouping → `[R, H]`.
pub fn segment_softmax(scores: Tensor<2>, segments: &Segments) -> Tensor<2> {
    let [_, h] = scores.dims();
    let device = scores.device();
    let max = Tensor::full([segments.len(), h], f32::NEG_INFINITY, &device).select_assign(
        0,
        segments.index.clone(),
        scores.clone().detach(),
        IndexingUpdateOp::Max,
    );
    let exp = (scores - max.select(0, segments.index.clone())).exp();
    let denominator = gather_segments(segment_sum(exp.clone(), segments), segments);
    exp / denominator
}
