//! The MolKD teacher: a molecule encoder whose embeddings obey reaction equivalence
//! (Σ reactants ≈ Σ products, MolR, Wang et al. ICLR 2022), with an optional yield head.

use burn::config::Config;
use burn::module::{Module, RunningState};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use molkd_graph::message_passing::{global_sum_pool, scatter_sum};
use molkd_graph::{GraphBatch, ReactionBatch};

use molkd_graph::random::Generator;
use serde::{Deserialize, Serialize};

use crate::conv::{Conv, ConvKind, check_stack, init_stack};
use crate::embedding::CategoricalEmbedding;
use crate::encoder::{GnnEncoder, GnnEncoderConfig, JumpingKnowledge};
use crate::error::Result;

/// Configuration of [`TeacherModel`]; defaults follow MolR (GCN, 2 layers, 1024 dims).
#[derive(Config, Debug)]
pub struct TeacherModelConfig {
    /// Atom feature vocabularies.
    pub atom_vocab_sizes: Vec<usize>,
    /// Bond feature vocabularies.
    pub bond_vocab_sizes: Vec<usize>,
    /// Layer kind.
    #[config(default = "ConvKind::Gcn")]
    pub conv: ConvKind,
    /// Number of layers.
    #[config(default = 2)]
    pub num_layers: usize,
    /// Embedding width.
    #[config(default = 1024)]
    pub d_model: usize,
    /// Add a yield-regression head on `[h_R ‖ h_P]`.
    #[config(default = false)]
    pub yield_head: bool,
    /// The encoder's form; `None` (and configurations saved before it existed) = MolR's
    /// plain stack.
    #[config(default = "None")]
    pub encoder: Option<TeacherEncoderKind>,
}

/// The form of the teacher's encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TeacherEncoderKind {
    /// MolR's: atom embedding and layers with ReLU between them, no normalisation.
    #[default]
    Plain,
    /// The student's GNN ([`GnnEncoder`]: BatchNorm after every layer, no ReLU after the
    /// last, no dropout), so the teacher is the student's architecture and its encoder can
    /// start a student (`--init`).
    Student,
}

/// MolR's encoder: atom embedding, then the layers with ReLU between them.
#[derive(Module, Debug)]
pub struct PlainStack {
    /// Atom embedding.
    pub atom_embedding: CategoricalEmbedding,
    /// Message-passing layers.
    pub layers: Vec<Conv>,
}

/// The teacher's molecule encoder, of either form.
#[derive(Module, Debug)]
pub enum TeacherEncoder {
    /// MolR's plain stack.
    Plain(PlainStack),
    /// The student's GNN.
    Student(GnnEncoder),
}

impl TeacherEncoder {
    /// Node states `[N, d]`.
    fn forward(&self, batch: &GraphBatch) -> Tensor<2> {
        match self {
            TeacherEncoder::Plain(stack) => {
                let last = stack.layers.len() - 1;
                let mut h = stack.atom_embedding.forward(batch.atom_features.clone()); // [N, d]
                for (l, layer) in stack.layers.iter().enumerate() {
                    h = layer.forward(h, batch);
                    if l != last {
                        h = relu(h);
                    }
                }
                h
            }
            // No dropout: nothing is drawn.
            TeacherEncoder::Student(gnn) => gnn.forward(batch, &mut Generator::new(0)),
        }
    }
}

/// Molecule encoder with sum pooling, ReLU between layers (none after the last), and MolR's
/// one-time embedding scale: on the first forward pass the embeddings are scaled so their mean
/// norm is `sqrt(d)`, and that factor is kept as module state (saved with the parameters).
#[derive(Module, Debug)]
pub struct TeacherModel {
    /// Molecule encoder.
    pub encoder: TeacherEncoder,
    /// Embedding scale `[1]`; 0 until the first forward pass sets it.
    pub scale: RunningState<Tensor<1>>,
    /// Yield head `Linear(2d, 1)`.
    pub yield_head: Option<Linear>,
}

impl TeacherModelConfig {
    /// Initialises the teacher on `device`.
    pub fn init(&self, device: &Device) -> Result<TeacherModel> {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::try_init_atomic(|| self.build(device))
    }

    /// The student-form encoder's configuration (what `--init` compares a student with).
    pub fn student_encoder(&self) -> GnnEncoderConfig {
        GnnEncoderConfig::new(self.atom_vocab_sizes.clone(), self.bond_vocab_sizes.clone())
            .with_conv(self.conv)
            .with_num_layers(self.num_layers)
            .with_d_model(self.d_model)
            .with_dropout(0.0)
            .with_jk(JumpingKnowledge::Last)
    }

    fn build(&self, device: &Device) -> Result<TeacherModel> {
        let encoder = match self.encoder.unwrap_or_default() {
            TeacherEncoderKind::Plain => {
                let (atom_embedding, layers) = init_stack(
                    "TeacherModel",
                    self.conv,
                    self.num_layers,
                    self.d_model,
                    &self.atom_vocab_sizes,
                    &self.bond_vocab_sizes,
                    device,
                )?;
                TeacherEncoder::Plain(PlainStack {
                    atom_embedding,
                    layers,
                })
            }
            TeacherEncoderKind::Student => {
                TeacherEncoder::Student(self.student_encoder().init(device)?)
            }
        };
        Ok(TeacherModel {
            encoder,
            scale: RunningState::new(Tensor::zeros([1], device)),
            yield_head: self
                .yield_head
                .then(|| LinearConfig::new(2 * self.d_model, 1).init(device)),
        })
    }
}

impl TeacherModel {
    /// Checks that `batch` fits the encoder.
    pub fn check(&self, batch: &GraphBatch) -> Result<()> {
        match &self.encoder {
            TeacherEncoder::Plain(stack) => {
                check_stack(&stack.atom_embedding, &stack.layers, batch)
            }
            TeacherEncoder::Student(gnn) => gnn.check(batch),
        }
    }

    /// Molecule embeddings. Shapes: batch of `G` molecules → `[G, d]`.
    pub fn embed(&self, batch: &GraphBatch) -> Tensor<2> {
        let h = self.encoder.forward(batch); // [N, d]
        let pooled = global_sum_pool(h, &batch.by_graph); // [G, d]
        pooled.clone() * self.scale_for(&pooled).unsqueeze_dim::<2>(0)
    }

    /// The stored scale, set from `pooled` the first time (mean norm → `sqrt(d)`).
    fn scale_for(&self, pooled: &Tensor<2>) -> Tensor<1> {
        let scale = self.scale.value_sync();
        if scale.clone().into_scalar::<f32>() != 0.0 {
            return scale.to_device(&pooled.device());
        }
        let [_, d] = pooled.dims();
        let detached = pooled.clone().detach();
        let mean_norm = detached.powi_scalar(2).sum_dim(1).sqrt().mean(); // [1]
        let factor = mean_norm.clamp_min(1e-12).recip() * (d as f32).sqrt();
        self.scale.update(factor.clone());
        // Publish the update now, so records and clones made before the next forward see it.
        let _ = self.scale.value_sync();
        factor
    }

    /// `(Σ reactant embeddings, Σ product embeddings)` per reaction, `[R, d]` each.
    pub fn embed_reaction(&self, batch: &ReactionBatch) -> (Tensor<2>, Tensor<2>) {
        let r = batch.num_reactions;
        let reactants = scatter_sum(
            self.embed(&batch.reactants),
            batch.reactant_reaction.clone(),
            r,
        );
        let products = scatter_sum(
            self.embed(&batch.products),
            batch.product_reaction.clone(),
            r,
        );
        (reactants, products)
    }

    /// Yield prediction from `[h_R ‖ h_P]`, `[R, 1]`; `None` without a yield head.
    pub fn predict_yield(&self, reactants: Tensor<2>, products: Tensor<2>) -> Option<Tensor<2>> {
        self.yield_head
            .as_ref()
            .map(|head| head.forward(Tensor::cat(vec![reactants, products], 1)))
    }
}
