//! Edge normalisation of GCN-style propagation.

use burn::tensor::Tensor;

use super::segment::Segments;

/// `1 / sqrt(deg(src) · deg(dst))` per edge, degrees counted as incoming edges (self-loops
/// included when the batch has them): the symmetric normalisation `D^-1/2 A D^-1/2` of GCN.
/// Degrees come from the batch's grouping of edges by destination, counted on the host.
///
/// Shapes: `by_src`, `by_dst` the edges (`E`) grouped by source and destination → `[E, 1]`.
pub fn symmetric_norm(by_src: &Segments, by_dst: &Segments) -> Tensor<2> {
    let degree = by_dst.counts.clone().clamp_min(1.0); // [N, 1]
    (degree.clone().select(0, by_src.index.clone()) * degree.select(0, by_dst.index.clone()))
        .powf_scalar(-0.5)
}
