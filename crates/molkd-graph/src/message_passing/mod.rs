//! Message-passing primitives on edge lists, differentiable on every burn backend.
//!
//! A layer is written PyG-style: [`gather`] source features per edge, compute messages,
//! [`Aggregation::aggregate`] them into destination nodes, update. Graph-level readouts use
//! [`global_sum_pool`], [`global_mean_pool`] and [`global_max_pool`]; attention layers
//! normalise edge scores with [`segment_softmax`].

mod norm;
mod pool;
mod scatter;
mod softmax;

pub use norm::symmetric_norm;
pub use pool::{global_max_pool, global_mean_pool, global_sum_pool};
pub use scatter::{Aggregation, gather, scatter_max, scatter_mean, scatter_sum};
pub use softmax::segment_softmax;
