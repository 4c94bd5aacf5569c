//! GraphSAGE (Hamilton et al. 2017) with mean or max-pool aggregation.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use molkd_graph::GraphBatch;
use molkd_graph::message_passing::{gather_segments, scatter_max, segment_mean};
use serde::{Deserialize, Serialize};

use super::edge_embedding;
use crate::embedding::CategoricalEmbedding;
use crate::error::Result;

/// How GraphSAGE aggregates neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SageAggregator {
    /// Mean of neighbour features.
    #[default]
    Mean,
    /// Element-wise max of `ReLU(W_pool h_u)`.
    Pool,
}

/// Configuration of [`SageConv`].
#[derive(Config, Debug)]
pub struct SageConvConfig {
    /// Node feature width (input = output).
    pub d_model: usize,
    /// Aggregator.
    #[config(default = "SageAggregator::Mean")]
    pub aggregator: SageAggregator,
    /// Bond vocabularies; empty = no edge features.
    #[config(default = "Vec::new()")]
    pub bond_vocab_sizes: Vec<usize>,
}

/// `h_v' = W_self h_v + W_neigh AGG_{u → v}(m_u)` with `m_u = h_u (+ e_uv)` (mean) or
/// `ReLU(W_pool (h_u (+ e_uv)))` (pool, max over neighbours).
#[derive(Module, Debug)]
pub struct SageConv {
    /// `W_self`.
    pub lin_self: Linear,
    /// `W_neigh`.
    pub lin_neigh: Linear,
    /// `W_pool` of the pool aggregator.
    pub pool: Option<Linear>,
    /// Bond embeddings, when edge features are used.
    pub edge_embedding: Option<CategoricalEmbedding>,
}

impl SageConvConfig {
    /// Initialises the layer on `device`.
    pub fn init(&self, device: &Device) -> SageConv {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::init_atomic(|| self.build(device))
    }

    fn build(&self, device: &Device) -> SageConv {
        let d = self.d_model;
        SageConv {
            lin_self: LinearConfig::new(d, d).init(device),
            lin_neigh: LinearConfig::new(d, d).init(device),
            pool: (self.aggregator == SageAggregator::Pool)
                .then(|| LinearConfig::new(d, d).init(device)),
            edge_embedding: edge_embedding(&self.bond_vocab_sizes, d, device),
        }
    }
}

impl SageConv {
    /// Checks that `batch` fits this layer (self-loops not required).
    pub fn check(&self, batch: &GraphBatch) -> Result<()> {
        self.edge_embedding
            .as_ref()
            .map_or(Ok(()), |e| e.check("SageConv", &batch.bond_feature_max))
    }

    /// Shapes: `x` `[N, d]` → `[N, d]`.
    pub fn forward(&self, x: Tensor<2>, batch: &GraphBatch) -> Tensor<2> {
        let n = batch.num_nodes();
        let mut messages = gather_segments(x.clone(), &batch.by_src); // [E, d]
        if let Some(embedding) = &self.edge_embedding {
            messages = messages + embedding.forward(batch.edge_features.clone());
        }
        let aggregated = match &self.pool {
            Some(pool) => scatter_max(relu(pool.forward(messages)), batch.edge_dst.clone(), n),
            None => segment_mean(messages, &batch.by_dst),
        };
        self.lin_self.forward(x) + self.lin_neigh.forward(aggregated)
    }
}
