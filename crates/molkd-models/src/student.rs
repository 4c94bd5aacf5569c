//! The student: a molecule GNN with a task head and an optional projection for distillation.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use molkd_graph::GraphBatch;
use molkd_graph::random::Generator;

use crate::encoder::{GnnEncoder, GnnEncoderConfig};
use crate::error::{ModelError, Result};
use crate::readout::{Readout, ReadoutConfig, ReadoutKind};

/// Configuration of [`StudentModel`].
#[derive(Config, Debug)]
pub struct StudentModelConfig {
    /// Encoder (defaults: pretrain-gnns GIN 5 × 300).
    pub encoder: GnnEncoderConfig,
    /// Number of tasks (logits for classification, values for regression).
    pub num_tasks: usize,
    /// Graph readout (pretrain-gnns: mean).
    #[config(default = "ReadoutKind::Mean")]
    pub readout: ReadoutKind,
    /// Width of the projection head used by distillation; `None` = no projection.
    #[config(default = "None")]
    pub projection_dim: Option<usize>,
}

/// Encoder → readout → linear task head, plus an optional `Linear–ReLU–Linear` projection of
/// the graph embedding into the teacher's space for distillation.
#[derive(Module, Debug)]
pub struct StudentModel {
    /// Node encoder.
    pub encoder: GnnEncoder,
    /// Graph readout.
    pub readout: Readout,
    /// Task head `Linear(d_graph, num_tasks)`.
    pub head: Linear,
    /// Projection head for distillation.
    pub projection: Option<ProjectionHead>,
}

/// `Linear(d, d) – ReLU – Linear(d, p)`: maps graph embeddings into the teacher's space.
#[derive(Module, Debug)]
pub struct ProjectionHead {
    /// First layer.
    pub hidden: Linear,
    /// Output layer.
    pub output: Linear,
}

impl ProjectionHead {
    /// Shapes: `[G, d]` → `[G, p]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.output.forward(relu(self.hidden.forward(x)))
    }
}

/// What a forward pass returns.
#[derive(Debug, Clone)]
pub struct StudentOutput {
    /// Graph embeddings `[G, d_graph]`.
    pub graph_embedding: Tensor<2>,
    /// Task outputs `[G, num_tasks]`.
    pub predictions: Tensor<2>,
    /// Projected embeddings `[G, projection_dim]`, when the model has a projection head.
    pub projection: Option<Tensor<2>>,
}

impl StudentModelConfig {
    /// Initialises the model on `device`.
    pub fn init(&self, device: &Device) -> Result<StudentModel> {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::try_init_atomic(|| self.build(device))
    }

    fn build(&self, device: &Device) -> Result<StudentModel> {
        if self.num_tasks == 0 {
            return Err(ModelError::InvalidConfig(
                "num_tasks must be positive".into(),
            ));
        }
        let encoder = self.encoder.init(device)?;
        let d = encoder.output_dim();
        Ok(StudentModel {
            readout: ReadoutConfig::new(d).with_kind(self.readout).init(device),
            head: LinearConfig::new(d, self.num_tasks).init(device),
            projection: self.projection_dim.map(|p| ProjectionHead {
                hidden: LinearConfig::new(d, d).init(device),
                output: LinearConfig::new(d, p).init(device),
            }),
            encoder,
        })
    }
}

impl StudentModel {
    /// Checks that `batch` fits the model (vocabularies, self-loops): use before `forward` on
    /// batches built from untrusted input.
    pub fn check(&self, batch: &GraphBatch) -> Result<()> {
        self.encoder.check(batch)
    }

    /// Shapes: batch of `G` molecules → `[G, num_tasks]` predictions and `[G, d]` embeddings.
    ///
    /// While training (autodiff device, training flags set) dropout draws from `rng`, the
    /// run's generator; at inference nothing is drawn ([`StudentModel::infer`]).
    pub fn forward(&self, batch: &GraphBatch, rng: &mut Generator) -> StudentOutput {
        let nodes = self.encoder.forward(batch, rng); // [N, d]
        let graph_embedding = self.readout.forward(nodes, batch); // [G, d]
        let predictions = self.head.forward(graph_embedding.clone()); // [G, T]
        let projection = self
            .projection
            .as_ref()
            .map(|p| p.forward(graph_embedding.clone()));
        StudentOutput {
            graph_embedding,
            predictions,
            projection,
        }
    }

    /// [`StudentModel::forward`] for inference, where nothing random is drawn: on a
    /// non-autodiff device or a `valid()` copy.
    pub fn infer(&self, batch: &GraphBatch) -> StudentOutput {
        // Unused: dropout is off at inference.
        self.forward(batch, &mut Generator::new(0))
    }
}
