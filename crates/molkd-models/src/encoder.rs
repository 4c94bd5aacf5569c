//! `GnnEncoder`: atom embedding, L message-passing layers with BatchNorm, ReLU, dropout, and
//! jumping knowledge — the pretrain-gnns `GNN` module.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use molkd_graph::GraphBatch;
use molkd_graph::random::Generator;
use serde::{Deserialize, Serialize};

use crate::conv::{Conv, ConvKind, check_stack, init_stack};
use crate::dropout::{Dropout, DropoutConfig};
use crate::embedding::CategoricalEmbedding;
use crate::error::Result;
use crate::norm::{NodeBatchNorm, NodeBatchNormConfig};

/// How the per-layer node representations are combined (Xu et al. 2018), over the input
/// embedding and every layer's output as in pretrain-gnns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JumpingKnowledge {
    /// The last layer's output.
    #[default]
    Last,
    /// Concatenation of all `L + 1` representations (`(L + 1)·d` features).
    Concat,
    /// Element-wise max over them.
    Max,
    /// Their sum.
    Sum,
}

/// Configuration of [`GnnEncoder`]; defaults are the pretrain-gnns student (GIN, 5 × 300,
/// dropout 0.5, JK last). Every layer kind gets bond embeddings except TAG.
#[derive(Config, Debug)]
pub struct GnnEncoderConfig {
    /// Atom feature vocabularies (`Featurizer::atom_vocab_sizes()`).
    pub atom_vocab_sizes: Vec<usize>,
    /// Bond feature vocabularies (`Featurizer::bond_vocab_sizes()`).
    pub bond_vocab_sizes: Vec<usize>,
    /// Layer kind.
    #[config(default = "ConvKind::Gin")]
    pub conv: ConvKind,
    /// Number of message-passing layers.
    #[config(default = 5)]
    pub num_layers: usize,
    /// Hidden width.
    #[config(default = 300)]
    pub d_model: usize,
    /// Dropout after every layer.
    #[config(default = 0.5)]
    pub dropout: f64,
    /// Jumping knowledge.
    #[config(default = "JumpingKnowledge::Last")]
    pub jk: JumpingKnowledge,
}

/// Node encoder: `[N, F_atom]` categorical features → `[N, d]` (or `[N, (L + 1)·d]` with JK
/// concat) node representations.
#[derive(Module, Debug)]
pub struct GnnEncoder {
    /// Atom embedding.
    pub atom_embedding: CategoricalEmbedding,
    /// Message-passing layers.
    pub layers: Vec<Conv>,
    /// BatchNorm after each layer.
    pub norms: Vec<NodeBatchNorm>,
    /// Dropout after each layer.
    pub dropout: Dropout,
    #[module(skip)]
    jk: JumpingKnowledge,
    #[module(skip)]
    d_model: usize,
}

impl GnnEncoderConfig {
    /// Initialises the encoder; at least one layer is needed.
    pub fn init(&self, device: &Device) -> Result<GnnEncoder> {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::try_init_atomic(|| self.build(device))
    }

    fn build(&self, device: &Device) -> Result<GnnEncoder> {
        let dropout = DropoutConfig::new(self.dropout).init()?;
        let (atom_embedding, layers) = init_stack(
            "GnnEncoder",
            self.conv,
            self.num_layers,
            self.d_model,
            &self.atom_vocab_sizes,
            &self.bond_vocab_sizes,
            device,
        )?;
        Ok(GnnEncoder {
            atom_embedding,
            layers,
            norms: (0..self.num_layers)
                .map(|_| NodeBatchNormConfig::new(self.d_model).init(device))
                .collect(),
            dropout,
            jk: self.jk,
            d_model: self.d_model,
        })
    }
}

impl GnnEncoder {
    /// Width of the node representations this encoder returns.
    pub fn output_dim(&self) -> usize {
        match self.jk {
            JumpingKnowledge::Concat => (self.layers.len() + 1) * self.d_model,
            _ => self.d_model,
        }
    }

    /// Checks that `batch` fits the encoder (vocabularies, self-loops).
    pub fn check(&self, batch: &GraphBatch) -> Result<()> {
        check_stack(&self.atom_embedding, &self.layers, batch)
    }

    /// Node representations. Call [`GnnEncoder::check`] first on untrusted batches. Dropout
    /// draws from `rng` while training (the run's generator); at inference nothing is drawn.
    ///
    /// Shapes: batch of `N` atoms → `[N, output_dim]`.
    pub fn forward(&self, batch: &GraphBatch, rng: &mut Generator) -> Tensor<2> {
        let last = self.layers.len() - 1;
        let mut h = vec![self.atom_embedding.forward(batch.atom_features.clone())]; // [N, d]
        for (l, (layer, norm)) in self.layers.iter().zip(&self.norms).enumerate() {
            let x = norm.forward(layer.forward(h[l].clone(), batch));
            // pretrain-gnns: no ReLU after the last layer, so JK-last keeps signed features.
            let x = if l == last { x } else { relu(x) };
            h.push(self.dropout.forward(x, rng));
        }
        match self.jk {
            JumpingKnowledge::Last => h.pop().expect("at least one layer"),
            JumpingKnowledge::Concat => Tensor::cat(h, 1),
            JumpingKnowledge::Max => Tensor::stack::<3>(h, 0).max_dim(0).squeeze_dim(0),
            JumpingKnowledge::Sum => Tensor::stack::<3>(h, 0).sum_dim(0).squeeze_dim(0),
        }
    }
}
