//! The two encoder families behind [`crate::StudentModel`]: message-passing GNNs
//! ([`GnnEncoder`], node states pooled by a readout) and the relation Transformer
//! ([`RelationEncoder`], the graph token's state). One student, one training loop, one
//! checkpoint format for both; each encoder says which batches it needs
//! ([`MoleculeEncoder::collate`]).

use std::fmt;
use std::str::FromStr;

use burn::config::Config;
use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};
use molkd_graph::random::Generator;
use molkd_graph::{Collate, DenseBatch, Featurizer, MoleculeCollate};
use serde::{Deserialize, Deserializer, Serialize};

use crate::encoder::{GnnEncoder, GnnEncoderConfig};
use crate::error::Result;
use crate::relation::{RelationInput, RelationTransformer, RelationTransformerConfig, linear};

/// Which relations the relation encoder sees when it trains and predicts (blending is
/// pre-training's, not a fine-tuning input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RelationModality {
    /// SPD and bond-path biases, degree embedding: MoleBLEND's MoleculeNet fine-tuning.
    #[default]
    #[serde(rename = "2d")]
    TwoD,
    /// Distances through Gaussian kernels and the 3D node feature: Transformer-M's QM9
    /// setting; every molecule needs coordinates.
    #[serde(rename = "3d")]
    ThreeD,
    /// Both, summed; every molecule needs coordinates.
    #[serde(rename = "2d3d")]
    Both,
}

impl RelationModality {
    /// The forward-pass input.
    pub fn input(self) -> RelationInput {
        match self {
            RelationModality::TwoD => RelationInput::TwoD,
            RelationModality::ThreeD => RelationInput::ThreeD,
            RelationModality::Both => RelationInput::Both,
        }
    }

    /// Whether molecules need coordinates.
    pub fn needs_coords(self) -> bool {
        self != RelationModality::TwoD
    }
}

impl fmt::Display for RelationModality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RelationModality::TwoD => "2d",
            RelationModality::ThreeD => "3d",
            RelationModality::Both => "2d3d",
        })
    }
}

impl FromStr for RelationModality {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "2d" => Ok(RelationModality::TwoD),
            "3d" => Ok(RelationModality::ThreeD),
            "2d3d" | "2d+3d" | "both" => Ok(RelationModality::Both),
            _ => Err(format!("`{s}` is not an input: use 2d, 3d or 2d3d")),
        }
    }
}

/// Configuration of [`RelationEncoder`].
#[derive(Config, Debug)]
pub struct RelationEncoderConfig {
    /// The Transformer (defaults: [`RelationTransformerConfig::cpu`]).
    pub transformer: RelationTransformerConfig,
    /// Relations seen in training and prediction.
    #[config(default = "RelationModality::TwoD")]
    pub input: RelationModality,
}

/// The relation Transformer as a molecule encoder: the graph token's state through
/// `Linear(d, d)` and GELU, MoleBLEND's fine-tuning readout (`shared/docs/moleblend.md` §6.1:
/// CLS → Linear → GELU → Linear(d, T), the last layer being the student's task head).
#[derive(Module, Debug)]
pub struct RelationEncoder {
    /// The Transformer.
    pub transformer: RelationTransformer,
    /// `Linear(d, d)` before GELU.
    pub pooler: Linear,
    #[module(skip)]
    input: RelationModality,
}

impl RelationEncoderConfig {
    /// Initialises the encoder.
    pub fn init(&self, device: &Device) -> Result<RelationEncoder> {
        molkd_graph::random::try_init_atomic(|| {
            let transformer = self.transformer.init(device)?;
            let d = transformer.output_dim();
            Ok(RelationEncoder {
                transformer,
                pooler: linear(d, d, device),
                input: self.input,
            })
        })
    }
}

impl RelationEncoder {
    /// Relations this encoder sees.
    pub fn modality(&self) -> RelationModality {
        self.input
    }

    /// Checks that `batch` fits the model and its input (vocabularies, size, coordinates).
    pub fn check(&self, batch: &DenseBatch) -> Result<()> {
        self.transformer.check(batch, &self.input.input())
    }

    /// Shapes: `B` molecules → graph embeddings `[B, d]`.
    pub fn forward(&self, batch: &DenseBatch, rng: &mut Generator) -> Tensor<2> {
        let out = self.transformer.forward(batch, &self.input.input(), rng);
        gelu(self.pooler.forward(out.graph))
    }
}

/// Which encoder family, with its configuration.
///
/// Serialised with a `"family"` tag (`"gnn"` or `"relation"`); a configuration without one
/// is a GNN's, as checkpoints wrote it before the relation family existed.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "family", rename_all = "lowercase")]
pub enum EncoderConfig {
    /// A message-passing GNN (node states, pooled by the student's readout).
    Gnn(GnnEncoderConfig),
    /// The relation Transformer (the graph token's state).
    Relation(RelationEncoderConfig),
}

impl<'de> Deserialize<'de> for EncoderConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(tag = "family", rename_all = "lowercase")]
        enum Tagged {
            Gnn(GnnEncoderConfig),
            Relation(RelationEncoderConfig),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            Tagged(Tagged),
            Untagged(GnnEncoderConfig),
        }
        Ok(match Any::deserialize(deserializer)? {
            Any::Tagged(Tagged::Gnn(c)) | Any::Untagged(c) => EncoderConfig::Gnn(c),
            Any::Tagged(Tagged::Relation(c)) => EncoderConfig::Relation(c),
        })
    }
}

impl burn::config::Config for EncoderConfig {}

impl From<GnnEncoderConfig> for EncoderConfig {
    fn from(c: GnnEncoderConfig) -> Self {
        EncoderConfig::Gnn(c)
    }
}

impl From<RelationEncoderConfig> for EncoderConfig {
    fn from(c: RelationEncoderConfig) -> Self {
        EncoderConfig::Relation(c)
    }
}

impl EncoderConfig {
    /// The encoder's label in reports and benchmark tables: the GNN's layer kind (`gin`,
    /// `gat:4`, …) or `moleblend-` and the relation input (`moleblend-2d`).
    pub fn label(&self) -> String {
        match self {
            EncoderConfig::Gnn(c) => c.conv.to_string(),
            EncoderConfig::Relation(c) => format!("moleblend-{}", c.input),
        }
    }

    /// The atom and bond feature vocabularies the encoder embeds (those of the featuriser
    /// its molecules come from).
    pub fn vocab_sizes(&self) -> (&[usize], &[usize]) {
        match self {
            EncoderConfig::Gnn(c) => (&c.atom_vocab_sizes, &c.bond_vocab_sizes),
            EncoderConfig::Relation(c) => (
                &c.transformer.atom_vocab_sizes,
                &c.transformer.bond_vocab_sizes,
            ),
        }
    }
}

/// An encoder of either family; [`EncoderConfig`] builds it.
// One per model, so the variants' size difference costs nothing; burn's Module derive takes
// the modules themselves, not boxes.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum MoleculeEncoder {
    /// A message-passing GNN.
    Gnn(GnnEncoder),
    /// The relation Transformer.
    Relation(RelationEncoder),
}

impl EncoderConfig {
    /// Initialises the encoder.
    pub fn init(&self, device: &Device) -> Result<MoleculeEncoder> {
        Ok(match self {
            EncoderConfig::Gnn(c) => MoleculeEncoder::Gnn(c.init(device)?),
            EncoderConfig::Relation(c) => MoleculeEncoder::Relation(c.init(device)?),
        })
    }
}

impl MoleculeEncoder {
    /// The collator of the batches this encoder takes, for graphs made by `featurizer`:
    /// sparse graphs with self-loops wherever the scheme has a self-loop bond category
    /// (pretrain-gnns' GIN adds them), or padded dense batches with the encoder's hops and size
    /// limit, and coordinates when its input needs 3D.
    pub fn collate(&self, featurizer: &dyn Featurizer) -> MoleculeCollate {
        match self {
            MoleculeEncoder::Gnn(_) => MoleculeCollate::Graph(Collate::new(featurizer)),
            MoleculeEncoder::Relation(e) => {
                MoleculeCollate::Dense(e.transformer.collate().with_coords(e.input.needs_coords()))
            }
        }
    }

    /// Width of the states the encoder returns (node states for GNNs, the graph embedding for
    /// the relation encoder).
    pub fn output_dim(&self) -> usize {
        match self {
            MoleculeEncoder::Gnn(e) => e.output_dim(),
            MoleculeEncoder::Relation(e) => e.transformer.output_dim(),
        }
    }
}
