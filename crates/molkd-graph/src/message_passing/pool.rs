//! Graph-level pooling of node features by the batch vector.

use burn::tensor::{Int, Tensor};

use super::scatter::{scatter_max, scatter_mean, scatter_sum};

/// Sum of node features per graph.
///
/// Shapes: `x` `[N, D]`, `batch` `[N]` (graph id per node) → `[num_graphs, D]`.
pub fn global_sum_pool(x: Tensor<2>, batch: Tensor<1, Int>, num_graphs: usize) -> Tensor<2> {
    scatter_sum(x, batch, num_graphs)
}

/// Mean of node features per graph. Shapes as [`global_sum_pool`].
pub fn global_mean_pool(x: Tensor<2>, batch: Tensor<1, Int>, num_graphs: usize) -> Tensor<2> {
    scatter_mean(x, batch, num_graphs)
}

/// Element-wise max of node features per graph. Shapes as [`global_sum_pool`].
pub fn global_max_pool(x: Tensor<2>, batch: Tensor<1, Int>, num_graphs: usize) -> Tensor<2> {
    scatter_max(x, batch, num_graphs)
}
