//! # molkd-graph
//!
//! Molecules → graph tensors for molkd: SMILES and reaction SMILES parsing (via
//! `chematic-smiles`' port of RDKit), OGB and pretrain-gnns featurisation, Murcko scaffolds,
//! 3D coordinates and atom-pair relations, batching into burn tensors (sparse graph batches
//! for GNNs, padded dense batches for relation Transformers), and differentiable
//! message-passing primitives.
//!
//! Nothing here names a backend: tensors live on the [`burn::tensor::Device`] the caller passes.
//!
//! ```
//! use burn::tensor::Device;
//! use molkd_graph::{Collate, Featurizer, OgbFeaturizer, message_passing::global_sum_pool};
//! let graphs: Vec<_> = ["CCO", "c1ccncc1"].iter().map(|s| OgbFeaturizer.featurize(s).unwrap()).collect();
//! let batch = Collate::new(&OgbFeaturizer).collate(&graphs, &Device::default()).unwrap();
//! let x = batch.atom_features.clone().float();                       // [N, 9]
//! let pooled = global_sum_pool(x, &batch.by_graph); // [2, 9]
//! assert_eq!(pooled.dims(), [2, 9]);
//! ```

pub mod batch;
pub mod context;
pub mod dense;
pub mod error;
pub mod featurize;
pub mod masking;
pub mod message_passing;
pub mod mol_graph;
pub mod molecule_batch;
pub mod random;
pub mod reaction;
pub mod relations;
pub mod scaffold;

pub use batch::{Collate, GraphBatch, ReactionBatch};
pub use dense::{DENSE_SPD_UNREACHABLE, DenseBatch, DenseCollate};
pub use error::{GraphError, Result};
pub use featurize::{
    FeatureScheme, Featurizer, OgbFeaturizer, PretrainGnnFeaturizer, parse_smiles,
};
pub use mol_graph::MolGraph;
pub use molecule_batch::{BatchRef, MoleculeBatch, MoleculeCollate};
pub use reaction::{Reaction, ReactionGraph};
pub use scaffold::{murcko_scaffold, murcko_scaffold_of};

/// burn, re-exported so users get the same version molkd was built with.
pub use burn;
