//! The model MoleBLEND pre-trains: the relation Transformer and its four recovery heads.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::Device;
use molkd_graph::DenseBatch;
use molkd_graph::random::Generator;

use super::{
    BlendAssignment, BlendHeads, BlendHeadsConfig, BlendPredictions, RelationInput, RelationOutput,
    RelationTransformer, RelationTransformerConfig,
};
use crate::error::{ModelError, Result};

/// Configuration of [`BlendModel`]. The heads take their hops, bond categories and dropout
/// from the encoder's configuration.
#[derive(Config, Debug)]
pub struct BlendModelConfig {
    /// The encoder (what fine-tuning takes over).
    pub transformer: RelationTransformerConfig,
    /// Side `r` of the heads' pair trunks (the original: 32; CPU-sized: 16).
    #[config(default = 16)]
    pub rank: usize,
    /// Hidden width of the direction head (the original: 256; CPU-sized: 64).
    #[config(default = 64)]
    pub direction_hidden: usize,
    /// SPD classes (1 … 10 hops and "11 or more", as the original).
    #[config(default = 11)]
    pub spd_classes: usize,
    /// One denoising readout for the three axes (equivariant) instead of the original's
    /// three ([`BlendHeadsConfig::shared_denoise_readout`]).
    #[config(default = false)]
    pub shared_denoise_readout: bool,
}

impl BlendModelConfig {
    /// Bond categories of one hop: the product of the bond vocabularies, so every category
    /// the featuriser can emit has its class (OGB: 5 types × 6 stereo × 2 = 60).
    pub fn edge_classes(&self) -> usize {
        self.transformer
            .bond_vocab_sizes
            .iter()
            .product::<usize>()
            .max(1)
    }

    /// Initialises encoder and heads.
    pub fn init(&self, device: &Device) -> Result<BlendModel> {
        let t = &self.transformer;
        if t.bond_vocab_sizes.is_empty() {
            return Err(ModelError::InvalidConfig(
                "blend pre-training needs bond features (the edge-path target)".into(),
            ));
        }
        let heads = BlendHeadsConfig::new(t.d_model, t.heads, t.max_hops, self.edge_classes())
            .with_rank(self.rank)
            .with_direction_hidden(self.direction_hidden)
            .with_spd_classes(self.spd_classes)
            .with_attention_dropout(t.attention_dropout)
            .with_shared_denoise_readout(self.shared_denoise_readout);
        Ok(BlendModel {
            encoder: t.init(device)?,
            heads: heads.init(device)?,
        })
    }
}

/// The relation Transformer with MoleBLEND's pre-training heads.
#[derive(Module, Debug)]
pub struct BlendModel {
    /// The encoder.
    pub encoder: RelationTransformer,
    /// The recovery heads.
    pub heads: BlendHeads,
}

impl BlendModel {
    /// Runs the encoder on `batch` (its coordinates already noised) under `blend`, then the
    /// heads. Check the batch with `encoder.check` first.
    ///
    /// # Panics
    /// When the batch has no coordinates (the blend's 3D inputs need them).
    pub fn forward(
        &self,
        batch: &DenseBatch,
        blend: BlendAssignment,
        rng: &mut Generator,
    ) -> (RelationOutput, BlendPredictions) {
        let output = self
            .encoder
            .forward(batch, &RelationInput::Blend(Box::new(blend)), rng);
        let directions = output
            .directions
            .clone()
            .expect("a blended input has 3D: the batch needs coordinates");
        let predictions = self.heads.forward(
            output.atoms.clone(),
            output.pair_bias.clone(),
            batch.padding_mask.clone(),
            directions,
            rng,
        );
        (output, predictions)
    }
}
