//! GCN (Kipf & Welling 2017) with optional bond embeddings, as pretrain-gnns `GCNConv`.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use molkd_graph::GraphBatch;
use molkd_graph::message_passing::{gather_segments, segment_sum, symmetric_norm};

use super::edge_embedding;
use crate::embedding::CategoricalEmbedding;
use crate::error::Result;

/// Configuration of [`GcnConv`].
#[derive(Config, Debug)]
pub struct GcnConvConfig {
    /// Node feature width (input = output).
    pub d_model: usize,
    /// Bond vocabularies; empty = no edge features.
    #[config(default = "Vec::new()")]
    pub bond_vocab_sizes: Vec<usize>,
}

/// `h_v' = Σ_{u → v} (W h_u + e_uv) / sqrt(deg_u deg_v)` over incoming edges (self-loops
/// included, so collate with them).
#[derive(Module, Debug)]
pub struct GcnConv {
    /// `W`.
    pub linear: Linear,
    /// Bond embeddings, when edge features are used.
    pub edge_embedding: Option<CategoricalEmbedding>,
}

impl GcnConvConfig {
    /// Initialises the layer on `device`.
    pub fn init(&self, device: &Device) -> GcnConv {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::init_atomic(|| self.build(device))
    }

    fn build(&self, device: &Device) -> GcnConv {
        GcnConv {
            linear: LinearConfig::new(self.d_model, self.d_model).init(device),
            edge_embedding: edge_embedding(&self.bond_vocab_sizes, self.d_model, device),
        }
    }
}

impl GcnConv {
    /// Checks that `batch` fits this layer.
    pub fn check(&self, batch: &GraphBatch) -> Result<()> {
        super::check_with_self_loops("GcnConv", self.edge_embedding.as_ref(), batch)
    }

    /// Shapes: `x` `[N, d]` → `[N, d]`.
    pub fn forward(&self, x: Tensor<2>, batch: &GraphBatch) -> Tensor<2> {
        let messages = gather_segments(self.linear.forward(x), &batch.by_src); // [E, d]
        let norm = symmetric_norm(&batch.by_src, &batch.by_dst); // [E, 1]
        let out = segment_sum(messages * norm.clone(), &batch.by_dst); // [N, d]
        match &self.edge_embedding {
            // Σ norm·(W h_u + e_uv): the bond part as weighted category counts × table.
            Some(embedding) => {
                out + embedding.segment_sum(batch.edge_features.clone(), &batch.by_dst, Some(norm))
            }
            None => out,
        }
    }
}
