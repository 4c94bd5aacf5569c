//! Gather rows per edge and scatter them back into nodes.

use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor};
use serde::{Deserialize, Serialize};

use super::segment::{Segments, segment_mean, segment_sum};

/// Rows of `x` picked by `index`: `out[e] = x[index[e]]`, e.g. source-node features per edge.
///
/// Shapes: `x` `[N, D]`, `index` `[E]` → `[E, D]`.
pub fn gather(x: Tensor<2>, index: Tensor<1, Int>) -> Tensor<2> {
    x.select(0, index)
}

/// Sums rows of `values` into `num_nodes` rows by `index`: `out[index[e]] += values[e]`.
/// Rows no edge points to are zero.
///
/// Shapes: `values` `[E, D]`, `index` `[E]` → `[num_nodes, D]`.
pub fn scatter_sum(values: Tensor<2>, index: Tensor<1, Int>, num_nodes: usize) -> Tensor<2> {
    let [_, d] = values.dims();
    let device = values.device();
    Tensor::zeros([num_nodes, d], &device).select_assign(0, index, values, IndexingUpdateOp::Add)
}

/// Number of entries of `index` equal to each node, as floats `[num_nodes, 1]`.
pub(crate) fn index_counts(index: Tensor<1, Int>, num_nodes: usize, device: &Device) -> Tensor<2> {
    let [e] = index.dims();
    scatter_sum(Tensor::ones([e, 1], device), index, num_nodes)
}

/// Mean of the rows of `values` per destination; rows no edge points to are zero.
///
/// Shapes: `values` `[E, D]`, `index` `[E]` → `[num_nodes, D]`.
pub fn scatter_mean(values: Tensor<2>, index: Tensor<1, Int>, num_nodes: usize) -> Tensor<2> {
    let device = values.device();
    let counts = index_counts(index.clone(), num_nodes, &device).clamp_min(1.0);
    scatter_sum(values, index, num_nodes) / counts
}

/// Element-wise maximum of the rows of `values` per destination; rows no edge points to are
/// zero (as in PyG).
///
/// burn's scatter-max has no defined gradient when indices repeat, so the maximum is found on
/// detached values and the output is rebuilt as a masked scatter-sum of the winning entries:
/// the gradient reaches the arg-max entries (split evenly between ties).
///
/// Shapes: `values` `[E, D]`, `index` `[E]` → `[num_nodes, D]`.
pub fn scatter_max(values: Tensor<2>, index: Tensor<1, Int>, num_nodes: usize) -> Tensor<2> {
    let [_, d] = values.dims();
    let device = values.device();
    let detached = values.clone().detach();
    let max = Tensor::full([num_nodes, d], f32::NEG_INFINITY, &device).select_assign(
        0,
        index.clone(),
        detached.clone(),
        IndexingUpdateOp::Max,
    );
    let winners = detached.equal(max.select(0, index.clone())).float(); // [E, D]
    let ties = scatter_sum(winners.clone(), index.clone(), num_nodes).clamp_min(1.0);
    scatter_sum(values * winners, index, num_nodes) / ties
}

/// How messages arriving at a node are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// Sum ([`segment_sum`]).
    #[default]
    Sum,
    /// Mean ([`segment_mean`]).
    Mean,
    /// Element-wise max ([`scatter_max`]).
    Max,
}

impl Aggregation {
    /// Aggregates `messages` `[E, D]` into `[N, D]` by the edges' grouping by destination
    /// (`GraphBatch::by_dst`).
    pub fn aggregate(self, messages: Tensor<2>, by_dst: &Segments) -> Tensor<2> {
        match self {
            Aggregation::Sum => segment_sum(messages, by_dst),
            Aggregation::Mean => segment_mean(messages, by_dst),
            Aggregation::Max => scatter_max(messages, by_dst.index.clone(), by_dst.len()),
        }
    }
}
