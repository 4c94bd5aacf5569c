//! Message-passing primitives on edge lists, differentiable on every burn backend.
//!
//! A layer is written PyG-style: [`gather_segments`] source features per edge (by the batch's
//! `by_src` grouping), compute messages, [`Aggregation::aggregate`] them into destination
//! nodes (`by_dst`), update. Graph-level readouts use [`global_sum_pool`],
//! [`global_mean_pool`] and [`global_max_pool`] (by `by_graph`); attention layers normalise
//! edge scores with [`segment_softmax`]. Sums over a batch's groupings run as parallel,
//! deterministic kernels on GPUs ([`segment_sum`]); [`scatter_sum`] and [`gather`] take any
//! index.

mod norm;
mod pool;
mod scatter;
mod segment;
mod softmax;

pub use norm::symmetric_norm;
pub use pool::{global_max_pool, global_mean_pool, global_sum_pool};
pub use scatter::{Aggregation, gather, scatter_max, scatter_mean, scatter_sum};
pub use segment::{
    Segments, gather_segments, segment_kernels, segment_mean, segment_sum, set_segment_kernels,
    uses_segment_kernels,
};
pub use softmax::segment_softmax;
