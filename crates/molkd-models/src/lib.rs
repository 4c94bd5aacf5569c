//! # molkd-models
//!
//! Encoders, readouts, heads and the MolKD student, built the burn way: a
//! `#[derive(Config)]` per module with `init(&device)`, a `#[derive(Module)]` struct and a
//! `forward` with shape comments. Layers are small modules on `molkd_graph::message_passing`.
//!
//! Status: GIN (pretrain-gnns), GCN, GraphSAGE (mean / pool), GAT and TAG layers, the
//! categorical embeddings, `GnnEncoder` (BatchNorm, ReLU, dropout, jumping knowledge),
//! readouts, `StudentModel`, the reaction `TeacherModel` and checkpoints (burnpack parameters
//! + JSON config).
//!
//! ```
//! use burn::tensor::Device;
//! use molkd_graph::{Collate, Featurizer, PretrainGnnFeaturizer};
//! use molkd_models::{GnnEncoderConfig, StudentModelConfig};
//!
//! let f = PretrainGnnFeaturizer;
//! let device = Device::default();
//! let graphs = [f.featurize("CCO").unwrap(), f.featurize("c1ccccc1O").unwrap()];
//! let batch = Collate::new(&f).with_self_loops(true).unwrap().collate(&graphs, &device).unwrap();
//! let encoder = GnnEncoderConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
//!     .with_num_layers(2)
//!     .with_d_model(16);
//! let model = StudentModelConfig::new(encoder.into(), 3).init(&device).unwrap();
//! model.check(&batch).unwrap();
//! assert_eq!(model.infer(&batch).predictions.dims(), [2, 3]);
//! ```

pub mod checkpoint;
pub mod conv;
pub mod dropout;
pub mod embedding;
pub mod encoder;
pub mod error;
pub mod gnn_pretrain;
pub mod gradients;
pub mod molecule_encoder;
pub mod norm;
pub mod readout;
pub mod relation;
pub mod student;
pub mod teacher;

pub use checkpoint::{CheckpointError, Checkpointed};
pub use conv::{
    Conv, ConvKind, GatConv, GatConvConfig, GcnConv, GcnConvConfig, GinConv, GinConvConfig,
    SageAggregator, SageConv, SageConvConfig, TagConv, TagConvConfig,
};
pub use dropout::{Dropout, DropoutConfig};
pub use embedding::{CategoricalEmbedding, CategoricalEmbeddingConfig};
pub use encoder::{GnnEncoder, GnnEncoderConfig, JumpingKnowledge};
pub use error::{ModelError, Result};
pub use gnn_pretrain::{GnnPretrainMethod, GnnPretrainModel, GnnPretrainModelConfig, MaskedLogits};
pub use gradients::parameter_gradients;
pub use molecule_encoder::{
    EncoderConfig, MoleculeEncoder, RelationEncoder, RelationEncoderConfig, RelationModality,
};
pub use norm::{NodeBatchNorm, NodeBatchNormConfig};
pub use readout::{Readout, ReadoutConfig, ReadoutKind};
pub use relation::{
    BlendAssignment, BlendConfig, BlendModel, BlendModelConfig, BlendPartition, RelationInput,
    RelationOutput, RelationTransformer, RelationTransformerConfig,
};
pub use student::{ProjectionHead, StudentModel, StudentModelConfig, StudentOutput};
pub use teacher::{
    PlainStack, TeacherEncoder, TeacherEncoderKind, TeacherModel, TeacherModelConfig,
};
