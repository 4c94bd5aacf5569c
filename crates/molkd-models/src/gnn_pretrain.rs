//! The GNN student's encoder with the heads of a self-supervised pre-training on molecules
//! alone (Hu et al. 2020, pretrain-gnns): attribute masking (linear atom- and bond-type heads
//! on node states) or context prediction (a second, shallower GNN encodes the context ring).
//! Only the encoder moves on to fine-tuning (`--init`).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor};
use molkd_graph::GraphBatch;
use molkd_graph::message_passing::{gather, scatter_mean};
use molkd_graph::random::Generator;
use serde::{Deserialize, Serialize};

use crate::encoder::{GnnEncoder, GnnEncoderConfig};
use crate::error::{ModelError, Result};

/// Which pre-training, with the sizes of its heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum GnnPretrainMethod {
    /// Predict masked atoms' types (and the types of bonds touching them, when
    /// `bond_classes` is set) from the node states: pretrain-gnns `pretrain_masking.py`
    /// (119 atom types, 4 bond types).
    AttrMasking {
        /// Atom-type classes.
        atom_classes: usize,
        /// Bond-type classes; `None` = atoms only.
        bond_classes: Option<usize>,
    },
    /// Tell a substructure's context from another's: pretrain-gnns
    /// `pretrain_contextpred.py` (the context GNN has `r2 − r1` = 3 layers).
    ContextPred {
        /// Layers of the context encoder.
        context_layers: usize,
    },
}

/// Configuration of [`GnnPretrainModel`].
#[derive(Config, Debug)]
pub struct GnnPretrainModelConfig {
    /// The encoder that fine-tuning takes over (pretrain-gnns pre-trains it without dropout).
    pub encoder: GnnEncoderConfig,
    /// The pre-training and its heads.
    pub method: GnnPretrainMethod,
}

/// Encoder plus pre-training heads.
#[derive(Module, Debug)]
pub struct GnnPretrainModel {
    /// The student's encoder.
    pub encoder: GnnEncoder,
    /// Attribute masking: `Linear(d, atom_classes)`.
    pub atom_head: Option<Linear>,
    /// Attribute masking with bonds: `Linear(d, bond_classes)` on `h_u + h_v`.
    pub bond_head: Option<Linear>,
    /// Context prediction: the context ring's encoder (same width, its own layer count).
    pub context_encoder: Option<GnnEncoder>,
}

impl GnnPretrainModelConfig {
    /// Initialises the model on `device`.
    pub fn init(&self, device: &Device) -> Result<GnnPretrainModel> {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::try_init_atomic(|| self.build(device))
    }

    fn build(&self, device: &Device) -> Result<GnnPretrainModel> {
        let encoder = self.encoder.init(device)?;
        let d = encoder.output_dim();
        let positive = |n: usize, what: &str| {
            if n == 0 {
                Err(ModelError::InvalidConfig(format!(
                    "{what} must be positive"
                )))
            } else {
                Ok(n)
            }
        };
        Ok(match self.method {
            GnnPretrainMethod::AttrMasking {
                atom_classes,
                bond_classes,
            } => GnnPretrainModel {
                atom_head: Some(
                    LinearConfig::new(d, positive(atom_classes, "atom_classes")?).init(device),
                ),
                bond_head: match bond_classes {
                    Some(c) => {
                        Some(LinearConfig::new(d, positive(c, "bond_classes")?).init(device))
                    }
                    None => None,
                },
                context_encoder: None,
                encoder,
            },
            GnnPretrainMethod::ContextPred { context_layers } => {
                let context = GnnEncoderConfig {
                    num_layers: positive(context_layers, "context_layers")?,
                    ..self.encoder.clone()
                };
                GnnPretrainModel {
                    atom_head: None,
                    bond_head: None,
                    context_encoder: Some(context.init(device)?),
                    encoder,
                }
            }
        })
    }
}

/// Attribute-masking predictions.
#[derive(Debug, Clone)]
pub struct MaskedLogits {
    /// Atom-type logits of the masked atoms `[M, atom_classes]`.
    pub atoms: Tensor<2>,
    /// Bond-type logits of the masked bonds `[E_m, bond_classes]`, with a bond head.
    pub bonds: Option<Tensor<2>>,
}

impl GnnPretrainModel {
    /// Checks that `batch` fits the encoders (vocabularies, self-loops).
    pub fn check(&self, batch: &GraphBatch) -> Result<()> {
        self.encoder.check(batch)?;
        if let Some(context) = &self.context_encoder {
            context.check(batch)?;
        }
        Ok(())
    }

    /// Attribute masking: logits for the masked atoms `atoms` `[M]` (node indices of `batch`)
    /// and, with a bond head, for the masked bonds given by their end atoms `bond_ends`
    /// (`[E_m]` each). Errors: a model without the masking heads.
    pub fn masked_logits(
        &self,
        batch: &GraphBatch,
        atoms: Tensor<1, Int>,
        bond_ends: Option<(Tensor<1, Int>, Tensor<1, Int>)>,
        rng: &mut Generator,
    ) -> Result<MaskedLogits> {
        let atom_head = self.atom_head.as_ref().ok_or_else(|| {
            ModelError::InvalidConfig("this model has no attribute-masking heads".into())
        })?;
        let h = self.encoder.forward(batch, rng); // [N, d]
        let atom_logits = atom_head.forward(gather(h.clone(), atoms)); // [M, C_atom]
        let bonds = match (&self.bond_head, bond_ends) {
            (Some(head), Some((u, v))) => Some(head.forward(gather(h.clone(), u) + gather(h, v))),
            _ => None,
        };
        Ok(MaskedLogits {
            atoms: atom_logits,
            bonds,
        })
    }

    /// Context prediction: the substructures' centre states `[G, d]` (node `centers` `[G]`
    /// of `substructs`) and the contexts' states `[G, d]`, the mean of the context encoder's
    /// states over each context's anchor atoms (`anchors` `[A]`, node indices of `contexts`,
    /// belonging to context `anchor_graph` `[A]`). Errors: a model without a context encoder.
    pub fn context_embeddings(
        &self,
        substructs: &GraphBatch,
        centers: Tensor<1, Int>,
        contexts: &GraphBatch,
        anchors: Tensor<1, Int>,
        anchor_graph: Tensor<1, Int>,
        rng: &mut Generator,
    ) -> Result<(Tensor<2>, Tensor<2>)> {
        let context_encoder = self
            .context_encoder
            .as_ref()
            .ok_or_else(|| ModelError::InvalidConfig("this model has no context encoder".into()))?;
        let g = centers.dims()[0];
        let substruct = gather(self.encoder.forward(substructs, rng), centers); // [G, d]
        let anchored = gather(context_encoder.forward(contexts, rng), anchors); // [A, d]
        let context = scatter_mean(anchored, anchor_graph, g); // [G, d]
        Ok((substruct, context))
    }
}
