//! The student: a molecule encoder of either family (a message-passing GNN or the relation
//! Transformer) with a task head and an optional projection for distillation.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use molkd_graph::random::Generator;
use molkd_graph::{BatchRef, Featurizer, MoleculeCollate};

use crate::error::{ModelError, Result};
use crate::molecule_encoder::{EncoderConfig, MoleculeEncoder};
use crate::readout::{Readout, ReadoutConfig, ReadoutKind};

/// Configuration of [`StudentModel`].
#[derive(Config, Debug)]
pub struct StudentModelConfig {
    /// Encoder, of either family (`GnnEncoderConfig::new(..).into()` for the pretrain-gnns
    /// GIN 5 × 300).
    pub encoder: EncoderConfig,
    /// Number of tasks (logits for classification, values for regression).
    pub num_tasks: usize,
    /// Graph readout of a GNN encoder (pretrain-gnns: mean); the relation encoder reads out
    /// its graph token instead, and refuses any other kind than the default.
    #[config(default = "ReadoutKind::Mean")]
    pub readout: ReadoutKind,
    /// Width of the projection head used by distillation; `None` = no projection.
    #[config(default = "None")]
    pub projection_dim: Option<usize>,
}

/// Encoder → graph embedding (a GNN's readout, or the relation Transformer's graph token) →
/// linear task head, plus an optional `Linear–ReLU–Linear` projection of the graph embedding
/// into the teacher's space for distillation.
#[derive(Module, Debug)]
pub struct StudentModel {
    /// Encoder.
    pub encoder: MoleculeEncoder,
    /// Graph readout of a GNN encoder (`None` for the relation encoder).
    pub readout: Option<Readout>,
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
        if matches!(self.encoder, EncoderConfig::Relation(_)) && self.readout != ReadoutKind::Mean {
            return Err(ModelError::InvalidConfig(
                "the relation encoder reads out its graph token: leave the readout at its \
                 default"
                    .into(),
            ));
        }
        let encoder = self.encoder.init(device)?;
        let d = encoder.output_dim();
        Ok(StudentModel {
            readout: matches!(encoder, MoleculeEncoder::Gnn(_))
                .then(|| ReadoutConfig::new(d).with_kind(self.readout).init(device)),
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
    /// The collator of the batches this model takes, for graphs made by `featurizer` (see
    /// [`MoleculeEncoder::collate`]).
    pub fn collate(&self, featurizer: &dyn Featurizer) -> MoleculeCollate {
        self.encoder.collate(featurizer)
    }

    /// Checks that `batch` fits the model (its family's batch type, vocabularies, self-loops,
    /// size, coordinates): use before `forward` on batches built from untrusted input.
    pub fn check<'b>(&self, batch: impl Into<BatchRef<'b>>) -> Result<()> {
        match (&self.encoder, batch.into()) {
            (MoleculeEncoder::Gnn(e), BatchRef::Graph(b)) => e.check(b),
            (MoleculeEncoder::Relation(e), BatchRef::Dense(b)) => e.check(b),
            (encoder, batch) => Err(ModelError::InvalidConfig(format!(
                "the {} encoder cannot take {} (collate with the model's `collate()`)",
                match encoder {
                    MoleculeEncoder::Gnn(_) => "GNN",
                    MoleculeEncoder::Relation(_) => "relation",
                },
                batch.kind()
            ))),
        }
    }

    /// Shapes: batch of `G` molecules → `[G, num_tasks]` predictions and `[G, d]` embeddings.
    ///
    /// While training (autodiff device, training flags set) dropout draws from `rng`, the
    /// run's generator; at inference nothing is drawn ([`StudentModel::infer`]).
    ///
    /// # Panics
    /// On a batch of the other family's type (what [`StudentModel::check`] reports).
    pub fn forward<'b>(
        &self,
        batch: impl Into<BatchRef<'b>>,
        rng: &mut Generator,
    ) -> StudentOutput {
        let graph_embedding = match (&self.encoder, batch.into()) {
            (MoleculeEncoder::Gnn(encoder), BatchRef::Graph(batch)) => {
                let nodes = encoder.forward(batch, rng); // [N, d]
                let readout = self.readout.as_ref().expect("a GNN student has a readout");
                readout.forward(nodes, batch) // [G, d]
            }
            (MoleculeEncoder::Relation(encoder), BatchRef::Dense(batch)) => {
                encoder.forward(batch, rng) // [G, d]
            }
            (_, batch) => panic!(
                "the student's encoder cannot take {}: call check() first",
                batch.kind()
            ),
        };
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
    pub fn infer<'b>(&self, batch: impl Into<BatchRef<'b>>) -> StudentOutput {
        // Unused: dropout is off at inference.
        self.forward(batch, &mut Generator::new(0))
    }
}
