//! Graph-level pooling of node features by the batch's grouping of atoms into molecules.

use burn::tensor::Tensor;

use super::scatter::scatter_max;
use super::segment::{Segments, segment_mean, segment_sum};

/// Sum of node features per graph.
///
/// Shapes: `x` `[N, D]`, `graphs` atoms grouped by molecule (`GraphBatch::by_graph`) →
/// `[G, D]`.
pub fn global_sum_pool(x: Tensor<2>, graphs: &Segments) -> Tensor<2> {
    segment_sum(x, graphs)
}

/// Mean of node features per graph. Shapes as [`global_sum_pool`].
pub fn global_mean_pool(x: Tensor<2>, graphs: &Segments) -> Tensor<2> {
    segment_mean(x, graphs)
}

/// Element-wise max of node features per graph. Shapes as [`global_sum_pool`].
pub fn global_max_pool(x: Tensor<2>, graphs: &Segments) -> Tensor<2> {
    scatter_max(x, graphs.index.clone(), graphs.len())
}
