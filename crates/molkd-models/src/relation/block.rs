//! One post-LN Transformer block with an additive per-head attention bias (Transformer-M /
//! MoleBLEND `moleblend_base`): `h ← LN(h + DropPath(MHA(h; B)))`, then
//! `h ← LN(h + DropPath(W₂ · ActDrop(GELU(W₁ · h))))`.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Device, Tensor};
use molkd_graph::random::Generator;

use super::linear;
use crate::dropout::{Dropout, DropoutConfig};
use crate::error::{ModelError, Result};

/// Configuration of [`RelationBlock`].
#[derive(Config, Debug)]
pub struct RelationBlockConfig {
    /// Width `d`.
    pub d_model: usize,
    /// Heads `H` (must divide `d`).
    pub heads: usize,
    /// Inner width of the feed-forward network (the paper: `d`, not `4d`).
    pub ffn_dim: usize,
    /// Dropout on the attention probabilities.
    #[config(default = 0.1)]
    pub attention_dropout: f64,
    /// Dropout after the FFN's activation.
    #[config(default = 0.1)]
    pub activation_dropout: f64,
    /// Residual dropout (the paper: 0).
    #[config(default = 0.0)]
    pub dropout: f64,
    /// Stochastic-depth probability of this block.
    #[config(default = 0.0)]
    pub drop_path: f64,
}

/// See the module docs.
#[derive(Module, Debug)]
pub struct RelationBlock {
    /// Query projection.
    pub query: Linear,
    /// Key projection.
    pub key: Linear,
    /// Value projection.
    pub value: Linear,
    /// Output projection.
    pub out: Linear,
    /// LayerNorm after attention.
    pub norm_attention: LayerNorm,
    /// FFN input layer.
    pub ffn_in: Linear,
    /// FFN output layer.
    pub ffn_out: Linear,
    /// LayerNorm after the FFN.
    pub norm_ffn: LayerNorm,
    /// Attention-probability dropout.
    pub attention_dropout: Dropout,
    /// Activation dropout.
    pub activation_dropout: Dropout,
    /// Residual dropout.
    pub dropout: Dropout,
    /// Stochastic depth (the whole branch of a sample).
    pub drop_path: Dropout,
    #[module(skip)]
    heads: usize,
}

impl RelationBlockConfig {
    /// Initialises the block (Linear N(0, 0.02), zero biases; LayerNorm γ = 1, β = 0).
    pub fn init(&self, device: &Device) -> Result<RelationBlock> {
        if self.heads == 0 || !self.d_model.is_multiple_of(self.heads) {
            return Err(ModelError::InvalidConfig(format!(
                "relation Transformer: {} heads do not divide width {}",
                self.heads, self.d_model
            )));
        }
        let dropout = |p: f64| DropoutConfig::new(p).init();
        let (attention_dropout, activation_dropout) = (
            dropout(self.attention_dropout)?,
            dropout(self.activation_dropout)?,
        );
        let (residual, drop_path) = (dropout(self.dropout)?, dropout(self.drop_path)?);
        let d = self.d_model;
        Ok(molkd_graph::random::init_atomic(|| RelationBlock {
            query: linear(d, d, device),
            key: linear(d, d, device),
            value: linear(d, d, device),
            out: linear(d, d, device),
            norm_attention: LayerNormConfig::new(d).init(device),
            ffn_in: linear(d, self.ffn_dim, device),
            ffn_out: linear(self.ffn_dim, d, device),
            norm_ffn: LayerNormConfig::new(d).init(device),
            attention_dropout,
            activation_dropout,
            dropout: residual,
            drop_path,
            heads: self.heads,
        }))
    }
}

impl RelationBlock {
    /// Shapes: `h [B, T, d]`, `bias [B, H, T, T]` (−∞ at padding keys) → `[B, T, d]`.
    pub fn forward(&self, h: Tensor<3>, bias: Tensor<4>, rng: &mut Generator) -> Tensor<3> {
        let attended = self.attention(h.clone(), bias, rng);
        let h = self
            .norm_attention
            .forward(h + self.branch(self.dropout.forward(attended, rng), rng));
        self.feed_forward(h, rng)
    }

    /// The block's second half: `LN(h + DropPath(W₂ · ActDrop(GELU(W₁ · h))))`.
    ///
    /// Shapes: `[B, T, d]` → `[B, T, d]`.
    pub fn feed_forward(&self, h: Tensor<3>, rng: &mut Generator) -> Tensor<3> {
        let inner = self
            .activation_dropout
            .forward(gelu(self.ffn_in.forward(h.clone())), rng);
        let ffn = self.dropout.forward(self.ffn_out.forward(inner), rng);
        self.norm_ffn.forward(h + self.branch(ffn, rng))
    }

    /// Multi-head attention with the additive bias: `softmax(q·kᵀ/√d_h + B) · v`, before
    /// the residual and LayerNorm.
    ///
    /// Shapes: `h [B, T, d]`, `bias [B, H, T, T]` → `[B, T, d]`.
    pub fn attention(&self, h: Tensor<3>, bias: Tensor<4>, rng: &mut Generator) -> Tensor<3> {
        let [b, t, d] = h.dims();
        let dh = d / self.heads;
        let split = |x: Tensor<3>| x.reshape([b, t, self.heads, dh]).swap_dims(1, 2); // [B, H, T, dh]
        let q = split(self.query.forward(h.clone())) / (dh as f64).sqrt();
        let k = split(self.key.forward(h.clone()));
        let v = split(self.value.forward(h));
        let scores = q.matmul(k.swap_dims(2, 3)) + bias; // [B, H, T, T]
        let probs = self.attention_dropout.forward(softmax(scores, 3), rng);
        let out = probs.matmul(v).swap_dims(1, 2).reshape([b, t, d]);
        self.out.forward(out)
    }

    /// Stochastic depth: while training, each sample keeps the whole branch with probability
    /// `1 − p` (scaled by `1 / (1 − p)`), else drops it. Per sample, where the original draws
    /// per token position shared across the batch (`shared/docs/moleblend.md` §2.2): a quirk
    /// of its `[T, B, C]` layout, not a design choice.
    fn branch(&self, x: Tensor<3>, rng: &mut Generator) -> Tensor<3> {
        let [b, _, _] = x.dims();
        self.drop_path.forward_broadcast(x, [b, 1, 1], rng)
    }
}
