//! The MoleBLEND / Transformer-M relation Transformer: a Transformer over a molecule's atoms and
//! a graph (CLS) token whose attention is biased, per head, by atom-pair relations — 2D
//! (shortest-path distance, multi-hop bond paths) and 3D (distances through Gaussian
//! kernels) — computed once per forward pass and shared by every layer
//! (`shared/docs/moleblend.md` §1–§2).
//!
//! Input: a padded [`DenseBatch`] built from the same pre-featurised graphs as the GNNs'
//! batches (OGB features: atom feature 0 is the atomic number − 1). What the relations are
//! made of is chosen per forward pass ([`RelationInput`]): 2D only, 3D only, both summed, or
//! an explicit per-pair blend (each pair sees one modality; used by blend pre-training).

mod bias;
mod blend;
mod block;
mod heads;
mod pretrain;

pub use bias::{
    EdgePathBias, EdgePathBiasConfig, Gaussian3d, GaussianBias, GaussianBiasConfig, GaussianInit,
    SpdBias, SpdBiasConfig,
};
pub use blend::{BlendAssignment, BlendConfig, BlendPartition, PAIR_3D, PAIR_EDGE, PAIR_SPD};
pub use block::{RelationBlock, RelationBlockConfig};
pub use heads::{
    BlendHeads, BlendHeadsConfig, BlendPredictions, DenoiseHead, PairBilinear, PairTrunk,
};
pub use pretrain::{BlendModel, BlendModelConfig};

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::LinearConfig;
use burn::nn::{Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig, Linear};
use burn::tensor::{Bool, Device, Int, Tensor};
use molkd_graph::random::Generator;
use molkd_graph::{DenseBatch, DenseCollate};

use crate::embedding::{CategoricalEmbedding, CategoricalEmbeddingConfig, lookup};
use crate::error::{ModelError, Result};

/// N(0, 0.02): how the original (re-)initialises every Linear weight and every Embedding
/// (§2.5).
pub(crate) const ORIGINAL_INIT: Initializer = Initializer::Normal {
    mean: 0.0,
    std: 0.02,
};

/// `Linear(d_in, d_out)` with weights [`ORIGINAL_INIT`] and a zero bias, as the original.
pub(crate) fn linear(d_in: usize, d_out: usize, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(d_in, d_out)
        .with_initializer(ORIGINAL_INIT)
        .init(device);
    layer.bias = Some(Param::from_tensor(Tensor::zeros([d_out], device)));
    layer
}

/// Which relations a forward pass sees.
#[derive(Debug, Clone)]
pub enum RelationInput {
    /// SPD and edge-path biases summed, degree embedding (MoleBLEND's fine-tuning on
    /// MoleculeNet).
    TwoD,
    /// 3D bias and the 3D node feature (Transformer-M's QM9 setting); needs coordinates.
    ThreeD,
    /// Both, summed (Transformer-M's 2D + 3D).
    Both,
    /// Each atom pair sees exactly one modality and each atom one node feature (blend
    /// pre-training); needs coordinates.
    Blend(Box<BlendAssignment>),
}

impl RelationInput {
    fn needs_coords(&self) -> bool {
        !matches!(self, RelationInput::TwoD)
    }
}

/// Configuration of [`RelationTransformer`]. Defaults: [`RelationTransformerConfig::cpu`];
/// [`RelationTransformerConfig::base`] is the paper's.
#[derive(Config, Debug)]
pub struct RelationTransformerConfig {
    /// Atom feature vocabularies (OGB's: `OgbFeaturizer::atom_vocab_sizes()`).
    pub atom_vocab_sizes: Vec<usize>,
    /// Bond feature vocabularies (OGB's).
    pub bond_vocab_sizes: Vec<usize>,
    /// Blocks.
    #[config(default = 4)]
    pub num_layers: usize,
    /// Width `d`.
    #[config(default = 128)]
    pub d_model: usize,
    /// Attention heads.
    #[config(default = 8)]
    pub heads: usize,
    /// FFN inner width.
    #[config(default = 128)]
    pub ffn_dim: usize,
    /// Gaussian kernels.
    #[config(default = 32)]
    pub kernels: usize,
    /// Hops of the edge-path encoding.
    #[config(default = 5)]
    pub max_hops: usize,
    /// Rows of the SPD table (the last one: longer and unreachable pairs).
    #[config(default = 512)]
    pub spd_rows: usize,
    /// Rows of the degree table (the last one: higher degrees).
    #[config(default = 512)]
    pub degree_rows: usize,
    /// Attention-probability dropout.
    #[config(default = 0.1)]
    pub attention_dropout: f64,
    /// Dropout after the FFN activation (0.1 in pre-training, 0 in fine-tuning).
    #[config(default = 0.0)]
    pub activation_dropout: f64,
    /// Residual dropout.
    #[config(default = 0.0)]
    pub dropout: f64,
    /// Largest stochastic-depth probability, reached by the last block (linear from 0).
    #[config(default = 0.0)]
    pub drop_path: f64,
    /// Initialisation of the Gaussian kernels.
    #[config(default = "GaussianInit::Documented")]
    pub gaussian_init: GaussianInit,
    /// Refuse molecules of more atoms (`None`: any size).
    #[config(default = "None")]
    pub max_atoms: Option<usize>,
}

impl RelationTransformerConfig {
    /// The collator of the batches a transformer of this configuration takes (its hops and
    /// size limit; without coordinates, `with_coords(true)` for 3D input), before one exists.
    pub fn collate(&self) -> DenseCollate {
        DenseCollate::new()
            .with_max_hops(self.max_hops)
            .with_max_atoms(self.max_atoms)
    }

    /// The CPU-sized default: 4 blocks, d 128, 8 heads, FFN 128, 32 kernels (~0.6 M
    /// parameters, ~1/80 of `base`): small enough to train MoleculeNet sets and a QM9 budget
    /// on 2 cores while keeping every mechanism of the original.
    pub fn cpu(atom_vocab_sizes: Vec<usize>, bond_vocab_sizes: Vec<usize>) -> Self {
        Self::new(atom_vocab_sizes, bond_vocab_sizes)
    }

    /// `moleblend_base` (§2.1): 12 blocks, d 768, 32 heads, FFN 768, 128 kernels; dropouts of
    /// pre-training (attention 0.1, activation 0.1, stochastic depth up to 0.1).
    pub fn base(atom_vocab_sizes: Vec<usize>, bond_vocab_sizes: Vec<usize>) -> Self {
        Self::new(atom_vocab_sizes, bond_vocab_sizes)
            .with_num_layers(12)
            .with_d_model(768)
            .with_heads(32)
            .with_ffn_dim(768)
            .with_kernels(128)
            .with_activation_dropout(0.1)
            .with_drop_path(0.1)
    }
}

/// See the module docs. Output: the hidden states of the CLS token and the atoms.
#[derive(Module, Debug)]
pub struct RelationTransformer {
    /// Sum of the atom-feature embeddings.
    pub atoms: CategoricalEmbedding,
    /// Degree embedding (the 2D node feature).
    pub degree: Embedding,
    /// The graph (CLS) token `[1, 1, d]`.
    pub graph_token: Param<Tensor<3>>,
    /// Learned per-head "virtual distance" of the CLS row and column `[H]`.
    pub virtual_distance: Param<Tensor<1>>,
    /// LayerNorm on the summed input embeddings.
    pub input_norm: LayerNorm,
    /// SPD bias.
    pub spd: SpdBias,
    /// Multi-hop edge bias.
    pub edges: EdgePathBias,
    /// 3D bias and node feature.
    pub gaussian: GaussianBias,
    /// The blocks.
    pub blocks: Vec<RelationBlock>,
    #[module(skip)]
    heads: usize,
    #[module(skip)]
    max_atoms: Option<usize>,
}

/// What [`RelationTransformer::forward`] returns.
#[derive(Debug, Clone)]
pub struct RelationOutput {
    /// CLS state `[B, d]` (the graph readout).
    pub graph: Tensor<2>,
    /// Atom states `[B, n, d]`.
    pub atoms: Tensor<3>,
    /// The attention bias of the atom block `[B, H, n, n]` (what the blocks saw).
    pub pair_bias: Tensor<4>,
    /// 3D unit vectors `[B, n, n, 3]` when the input had 3D.
    pub directions: Option<Tensor<4>>,
}

impl RelationTransformerConfig {
    /// Initialises the encoder.
    pub fn init(&self, device: &Device) -> Result<RelationTransformer> {
        if self.num_layers == 0 || self.d_model == 0 || self.kernels == 0 {
            return Err(ModelError::InvalidConfig(
                "relation Transformer: layers, width and kernels must be positive".into(),
            ));
        }
        molkd_graph::random::try_init_atomic(|| {
            let atoms =
                CategoricalEmbeddingConfig::new(self.atom_vocab_sizes.clone(), self.d_model)
                    .with_initializer(Some(ORIGINAL_INIT))
                    .init(device);
            let blocks = (0..self.num_layers)
                .map(|l| {
                    // Stochastic depth grows linearly from 0 (first block) to `drop_path`.
                    let p = if self.num_layers > 1 {
                        self.drop_path * l as f64 / (self.num_layers - 1) as f64
                    } else {
                        0.0
                    };
                    RelationBlockConfig::new(self.d_model, self.heads, self.ffn_dim)
                        .with_attention_dropout(self.attention_dropout)
                        .with_activation_dropout(self.activation_dropout)
                        .with_dropout(self.dropout)
                        .with_drop_path(p)
                        .init(device)
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(RelationTransformer {
                atoms,
                degree: EmbeddingConfig::new(self.degree_rows.max(2), self.d_model)
                    .with_initializer(ORIGINAL_INIT)
                    .init(device),
                graph_token: ORIGINAL_INIT.init([1, 1, self.d_model], device),
                virtual_distance: ORIGINAL_INIT.init([self.heads], device),
                input_norm: LayerNormConfig::new(self.d_model).init(device),
                spd: SpdBiasConfig::new(self.heads)
                    .with_rows(self.spd_rows)
                    .init(device),
                edges: EdgePathBiasConfig::new(self.bond_vocab_sizes.clone(), self.heads)
                    .with_max_hops(self.max_hops)
                    .init(device),
                gaussian: GaussianBiasConfig::new(self.kernels, self.heads, self.d_model)
                    .with_init(self.gaussian_init)
                    .with_atom_types(self.atom_vocab_sizes.first().copied().unwrap_or(1))
                    .init(device),
                blocks,
                heads: self.heads,
                max_atoms: self.max_atoms,
            })
        })
    }
}

impl RelationTransformer {
    /// Checks that `batch` fits the model and `input`: feature vocabularies, the size limit,
    /// coordinates where the input needs 3D. Errors name the molecule's position in the batch.
    pub fn check(&self, batch: &DenseBatch, input: &RelationInput) -> Result<()> {
        self.atoms.check("atom features", &batch.atom_feature_max)?;
        bias::check_relations(&self.edges.bonds, batch)?;
        if let Some(limit) = self.max_atoms
            && let Some(k) = batch.num_atoms.iter().position(|&n| n > limit)
        {
            return Err(ModelError::InvalidConfig(format!(
                "molecule {k} of the batch has {} atoms, more than the {limit} this model takes",
                batch.num_atoms[k]
            )));
        }
        if input.needs_coords() && batch.coords.is_none() {
            return Err(ModelError::InvalidConfig(
                "this input needs 3D coordinates, and the batch has none (collate with \
                 coordinates, from molecules that have them)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Shapes: a batch of `B` molecules padded to `n` atoms → CLS `[B, d]`, atoms `[B, n, d]`.
    /// Call [`RelationTransformer::check`] first on untrusted batches. Dropout and stochastic
    /// depth draw from `rng` while training.
    ///
    /// # Panics
    /// When `input` needs coordinates the batch does not have (what `check` reports).
    pub fn forward(
        &self,
        batch: &DenseBatch,
        input: &RelationInput,
        rng: &mut Generator,
    ) -> RelationOutput {
        let [b, n, f] = batch.atom_features.dims();
        let d = self.graph_token.dims()[2];
        let real = batch.padding_mask.clone().bool_not().float(); // [B, n]

        // Node inputs: Σ atom-feature embeddings + a structural node feature.
        let atoms = self
            .atoms
            .forward(batch.atom_features.clone().reshape([b * n, f]))
            .reshape([b, n, d]);
        // Computed only where used: an autodiff op whose output never reaches the loss stays
        // in burn's graph as long as its parameter lives, and such orphans pile up step after
        // step (seen as a 4× slowdown of 3D-only training by its third epoch).
        let degree = || {
            let degree_rows = self.degree.weight.dims()[0] as i64;
            lookup(&self.degree, batch.degree.clone().clamp(0, degree_rows - 1)) // [B, n, d]
        };
        let needs_3d = input.needs_coords();
        let gaussian = needs_3d.then(|| {
            let coords = batch
                .coords
                .clone()
                .expect("3D input without coordinates: call check() first");
            let types = batch.atom_features.clone().narrow(2, 0, 1).reshape([b, n]);
            self.gaussian.forward(coords, types, real.clone())
        });
        let spd = || self.spd.forward(batch.spd.clone());
        let edges = || {
            self.edges
                .forward(batch.path_features.clone(), batch.spd.clone())
        };
        let two_d = || spd() + edges();
        let (node, pair) = match input {
            RelationInput::TwoD => (degree(), two_d()),
            RelationInput::ThreeD => {
                let g = gaussian.as_ref().expect("3D");
                (g.node.clone(), g.bias.clone())
            }
            RelationInput::Both => {
                let g = gaussian.as_ref().expect("3D");
                (degree() + g.node.clone(), two_d() + g.bias.clone())
            }
            RelationInput::Blend(blend) => {
                let g = gaussian.as_ref().expect("3D");
                let pick = |k: i64| {
                    blend
                        .pairs
                        .clone()
                        .equal_elem(k)
                        .float()
                        .unsqueeze_dim::<4>(3) // [B|1, n, n, 1]
                };
                let pair = spd() * pick(PAIR_SPD)
                    + edges() * pick(PAIR_EDGE)
                    + g.bias.clone() * pick(PAIR_3D);
                let three = blend.nodes_3d.clone().float().unsqueeze_dim::<3>(2); // [B, n, 1]
                let node = degree() * (three.clone().neg() + 1.0) + g.node.clone() * three;
                (node, pair)
            }
        };
        let atoms_in = (atoms + node) * real.clone().unsqueeze_dim::<3>(2);
        let tokens = Tensor::cat(vec![self.graph_token.val().repeat_dim(0, b), atoms_in], 1); // [B, n+1, d]
        let tokens = self.input_norm.forward(tokens);

        let pair_bias = pair.permute([0, 3, 1, 2]); // [B, H, n, n]
        let bias = self.attention_bias(pair_bias.clone(), batch.padding_mask.clone());

        let mut hidden = tokens;
        for block in &self.blocks {
            hidden = block.forward(hidden, bias.clone(), rng);
        }
        RelationOutput {
            graph: hidden.clone().narrow(1, 0, 1).reshape([b, d]),
            atoms: hidden.narrow(1, 1, n),
            pair_bias,
            directions: gaussian.map(|g| g.directions),
        }
    }

    /// The attention bias of every block `[B, H, n+1, n+1]` from the atom block's relations
    /// `pair_bias [B, H, n, n]`: token 0 is the graph token, whose row and column get the
    /// learned per-head virtual distance whatever the relations (a blend never reaches
    /// them); keys at padding atoms (`padding_mask [B, n]`) get −∞.
    pub fn attention_bias(&self, pair_bias: Tensor<4>, padding_mask: Tensor<2, Bool>) -> Tensor<4> {
        let [b, h, n, _] = pair_bias.dims();
        let device = pair_bias.device();
        let t = self.virtual_distance.val().reshape([1, h, 1, 1]);
        let top = t.clone().repeat_dim(0, b).repeat_dim(3, n + 1); // [B, H, 1, n+1]
        let left = t.repeat_dim(0, b).repeat_dim(2, n); // [B, H, n, 1]
        let bias = Tensor::cat(vec![top, Tensor::cat(vec![left, pair_bias], 3)], 2);
        let key_padding = Tensor::cat(
            vec![
                Tensor::<2, Int>::zeros([b, 1], &device).equal_elem(1), // the CLS key: real
                padding_mask,
            ],
            1,
        )
        .reshape([b, 1, 1, n + 1]);
        bias.mask_fill(
            key_padding.repeat_dim(1, h).repeat_dim(2, n + 1),
            f32::NEG_INFINITY,
        )
    }

    /// The collator of the batches this model takes: its hops and size limit, without
    /// coordinates (`with_coords(true)` for 3D input).
    pub fn collate(&self) -> DenseCollate {
        DenseCollate::new()
            .with_max_hops(self.edges.hop_weights.dims()[0])
            .with_max_atoms(self.max_atoms)
    }

    /// Width of the outputs.
    pub fn output_dim(&self) -> usize {
        self.graph_token.dims()[2]
    }
}
