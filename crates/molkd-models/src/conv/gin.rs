//! GIN with edge features, exactly as pretrain-gnns `chem/model.py` `GINConv`.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use molkd_graph::GraphBatch;
use molkd_graph::message_passing::{gather_segments, segment_sum};

use crate::embedding::{CategoricalEmbedding, CategoricalEmbeddingConfig};
use crate::error::Result;

/// Configuration of [`GinConv`].
#[derive(Config, Debug)]
pub struct GinConvConfig {
    /// Node feature width (input = output).
    pub d_model: usize,
    /// Bond feature vocabularies (pretrain-gnns: `[6, 3]`, type incl. self-loop and mask,
    /// direction).
    pub bond_vocab_sizes: Vec<usize>,
}

/// `h_v' = MLP(Σ_{u ∈ N(v) ∪ {v}} (h_u + e_uv))` with `MLP = Linear(d, 2d) – ReLU – Linear(2d, d)`
/// and `e_uv` the sum of per-layer bond-type and bond-direction embeddings (Xavier init).
///
/// Like pretrain-gnns, every node has a self-loop edge whose bond type is the self-loop
/// category: collate with `Collate::with_self_loops(true)`.
#[derive(Module, Debug)]
pub struct GinConv {
    /// Bond embeddings of this layer.
    pub edge_embedding: CategoricalEmbedding,
    /// MLP first layer `d → 2d`.
    pub mlp_in: Linear,
    /// MLP second layer `2d → d`.
    pub mlp_out: Linear,
}

impl GinConvConfig {
    /// Initialises the layer on `device`.
    pub fn init(&self, device: &burn::tensor::Device) -> GinConv {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::init_atomic(|| self.build(device))
    }

    fn build(&self, device: &burn::tensor::Device) -> GinConv {
        GinConv {
            edge_embedding: CategoricalEmbeddingConfig::new(
                self.bond_vocab_sizes.clone(),
                self.d_model,
            )
            .init(device),
            mlp_in: LinearConfig::new(self.d_model, 2 * self.d_model).init(device),
            mlp_out: LinearConfig::new(2 * self.d_model, self.d_model).init(device),
        }
    }
}

impl GinConv {
    /// Checks that `batch` fits this layer (self-loops, bond vocabulary).
    pub fn check(&self, batch: &GraphBatch) -> Result<()> {
        super::check_with_self_loops("GinConv", Some(&self.edge_embedding), batch)
    }

    /// Shapes: `x` `[N, d]` → `[N, d]`.
    pub fn forward(&self, x: Tensor<2>, batch: &GraphBatch) -> Tensor<2> {
        let messages = gather_segments(x, &batch.by_src); // [E, d]
        // Σ (h_u + e_uv) = Σ h_u + Σ e_uv; the bond part as category counts × table.
        let aggregated = segment_sum(messages, &batch.by_dst)
            + self
                .edge_embedding
                .segment_sum(batch.edge_features.clone(), &batch.by_dst, None); // [N, d]
        self.mlp_out.forward(relu(self.mlp_in.forward(aggregated)))
    }
}
