//! GAT (Veličković et al. 2018): multi-head attention over incoming edges, optional bond
//! features in the attention scores and messages.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, Tensor};
use molkd_graph::GraphBatch;
use molkd_graph::message_passing::{gather_segments, segment_softmax, segment_sum};

use super::edge_embedding;
use crate::embedding::CategoricalEmbedding;
use crate::error::{ModelError, Result};

/// Configuration of [`GatConv`].
#[derive(Config, Debug)]
pub struct GatConvConfig {
    /// Node feature width (input = output = heads × head width).
    pub d_model: usize,
    /// Attention heads; must divide `d_model`.
    #[config(default = 4)]
    pub heads: usize,
    /// Bond vocabularies; empty = no edge features.
    #[config(default = "Vec::new()")]
    pub bond_vocab_sizes: Vec<usize>,
    /// Slope of the LeakyReLU on attention scores.
    #[config(default = 0.2)]
    pub negative_slope: f64,
}

/// Per head `h`: `α_uv = softmax_{u → v}(LeakyReLU(a_src·W x_u + a_dst·W x_v + a_edge·e_uv))`,
/// `x_v' = ‖_h Σ_u α_uv (W x_u + e_uv) + b`.
#[derive(Module, Debug)]
pub struct GatConv {
    /// `W` (no bias).
    pub linear: Linear,
    /// Source attention vectors `[heads, d_head]`.
    pub att_src: Param<Tensor<2>>,
    /// Destination attention vectors `[heads, d_head]`.
    pub att_dst: Param<Tensor<2>>,
    /// Edge attention vectors `[heads, d_head]`, with edge features.
    pub att_edge: Option<Param<Tensor<2>>>,
    /// Bond embeddings, with edge features.
    pub edge_embedding: Option<CategoricalEmbedding>,
    /// Output bias `[d_model]`.
    pub bias: Param<Tensor<1>>,
    #[module(skip)]
    heads: usize,
    #[module(skip)]
    negative_slope: f64,
}

impl GatConvConfig {
    /// Initialises the layer; `heads` must divide `d_model`.
    pub fn init(&self, device: &Device) -> Result<GatConv> {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::try_init_atomic(|| self.build(device))
    }

    fn build(&self, device: &Device) -> Result<GatConv> {
        if self.heads == 0 || !self.d_model.is_multiple_of(self.heads) {
            return Err(ModelError::InvalidConfig(format!(
                "GAT: {} heads do not divide width {}",
                self.heads, self.d_model
            )));
        }
        let d_head = self.d_model / self.heads;
        let attention = || {
            Initializer::XavierUniform { gain: 1.0 }.init_with(
                [self.heads, d_head],
                Some(d_head),
                Some(1),
                device,
            )
        };
        let edge_embedding = edge_embedding(&self.bond_vocab_sizes, self.d_model, device);
        Ok(GatConv {
            linear: LinearConfig::new(self.d_model, self.d_model)
                .with_bias(false)
                .init(device),
            att_src: attention(),
            att_dst: attention(),
            att_edge: edge_embedding.as_ref().map(|_| attention()),
            edge_embedding,
            bias: Initializer::Zeros.init([self.d_model], device),
            heads: self.heads,
            negative_slope: self.negative_slope,
        })
    }
}

impl GatConv {
    /// Checks that `batch` fits this layer.
    pub fn check(&self, batch: &GraphBatch) -> Result<()> {
        self.edge_embedding
            .as_ref()
            .map_or(Ok(()), |e| e.check("GatConv", &batch.bond_feature_max))
    }

    /// Attention score per row and head: `Σ_c x[r, h, c] · a[h, c]`.
    ///
    /// Shapes: `x` `[R, H, C]`, `a` `[H, C]` → `[R, H]`.
    fn score(x: Tensor<3>, a: Tensor<2>) -> Tensor<2> {
        let [rows, heads, _] = x.dims();
        (x * a.unsqueeze_dim::<3>(0))
            .sum_dim(2)
            .reshape([rows, heads])
    }

    /// Shapes: `x` `[N, d]` → `[N, d]`.
    pub fn forward(&self, x: Tensor<2>, batch: &GraphBatch) -> Tensor<2> {
        let [n, d] = x.dims();
        let (heads, d_head) = (self.heads, d / self.heads);
        let (src, dst) = (&batch.by_src, &batch.by_dst);
        let h = self.linear.forward(x); // [N, d]
        let h3 = h.clone().reshape([n, heads, d_head]);
        let node_src = Self::score(h3.clone(), self.att_src.val()); // [N, H]
        let node_dst = Self::score(h3, self.att_dst.val()); // [N, H]
        let mut scores = gather_segments(node_src, src) + gather_segments(node_dst, dst); // [E, H]
        let mut messages = gather_segments(h, src); // [E, d]
        let e = messages.dims()[0];
        if let (Some(embedding), Some(att)) = (&self.edge_embedding, &self.att_edge) {
            let edges = embedding.forward(batch.edge_features.clone()); // [E, d]
            scores = scores + Self::score(edges.clone().reshape([e, heads, d_head]), att.val());
            messages = messages + edges;
        }
        let alpha = segment_softmax(leaky_relu(scores, self.negative_slope), dst); // [E, H]
        let weighted = messages.reshape([e, heads, d_head]) * alpha.unsqueeze_dim::<3>(2); // [E, H, C]
        segment_sum(weighted.reshape([e, d]), dst) + self.bias.val().unsqueeze_dim::<2>(0)
    }
}
