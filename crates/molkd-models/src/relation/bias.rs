//! The three atom-pair relations of MoleBLEND / Transformer-M as per-head attention biases:
//! shortest-path distance (SPD), the multi-hop edge (path) encoding, and 3D distances through
//! Gaussian basis kernels, plus the 3D node feature (`shared/docs/moleblend.md` §1.3–§1.5).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Embedding, EmbeddingConfig, Initializer, Linear};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Int, Tensor};
use molkd_graph::DenseBatch;
use serde::{Deserialize, Serialize};

use super::{ORIGINAL_INIT, linear};
use crate::embedding::{CategoricalEmbedding, CategoricalEmbeddingConfig, lookup};

/// How the Gaussian-kernel parameters start (`shared/docs/moleblend.md` §1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GaussianInit {
    /// The documented init: means and widths uniform on (0, 3), affine scale 1 and shift 0,
    /// so the kernels cover the distances of a molecule from the first step.
    #[default]
    Documented,
    /// What the released code ends up with after its global re-initialisation: everything
    /// N(0, 0.02), so kernels start narrow around zero.
    Global,
}

/// Configuration of [`SpdBias`].
#[derive(Config, Debug)]
pub struct SpdBiasConfig {
    /// Attention heads.
    pub heads: usize,
    /// Rows of the table: SPDs `0..rows - 1`, the last row for longer and unreachable pairs.
    #[config(default = 512)]
    pub rows: usize,
}

/// `φ_SPD(i, j) ∈ R^H`: one learned per-head scalar per shortest-path distance.
#[derive(Module, Debug)]
pub struct SpdBias {
    /// `[rows, H]`.
    pub table: Embedding,
}

impl SpdBiasConfig {
    /// Initialises the table (N(0, 0.02)).
    pub fn init(&self, device: &Device) -> SpdBias {
        molkd_graph::random::init_atomic(|| SpdBias {
            table: EmbeddingConfig::new(self.rows.max(2), self.heads)
                .with_initializer(ORIGINAL_INIT)
                .init(device),
        })
    }
}

impl SpdBias {
    /// Shapes: `spd [B, n, n]` → `[B, n, n, H]`.
    pub fn forward(&self, spd: Tensor<3, Int>) -> Tensor<4> {
        let [b, n, _] = spd.dims();
        let rows = self.table.weight.dims()[0] as i64;
        let index = spd.clamp(0, rows - 1).reshape([b, n * n]);
        let heads = self.table.weight.dims()[1];
        lookup(&self.table, index).reshape([b, n, n, heads])
    }
}

/// Configuration of [`EdgePathBias`].
#[derive(Config, Debug)]
pub struct EdgePathBiasConfig {
    /// Bond feature vocabularies (the featuriser's; stored `+ 1` in the batch, 0 = no hop).
    pub bond_vocab_sizes: Vec<usize>,
    /// Attention heads.
    pub heads: usize,
    /// Hops of a path that count (Graphormer's `multi_hop_max_dist`).
    #[config(default = 5)]
    pub max_hops: usize,
}

/// `c_edge(i, j) = Σ_t (mean of hop t's bond-feature embeddings) · W_t / clamp(SPD, 1, T)`,
/// Graphormer's multi-hop edge encoding, per head.
#[derive(Module, Debug)]
pub struct EdgePathBias {
    /// Bond-feature embeddings `[Σ (vocab + 1), H]` (row 0 of each block: no hop).
    pub bonds: CategoricalEmbedding,
    /// One `H × H` matrix per hop, `[T, H, H]`.
    pub hop_weights: Param<Tensor<3>>,
}

impl EdgePathBiasConfig {
    /// Initialises the embeddings (N(0, 0.02)) and hop matrices (N(0, 0.02)).
    pub fn init(&self, device: &Device) -> EdgePathBias {
        molkd_graph::random::init_atomic(|| {
            let vocab: Vec<usize> = self.bond_vocab_sizes.iter().map(|v| v + 1).collect();
            EdgePathBias {
                bonds: CategoricalEmbeddingConfig::new(vocab, self.heads)
                    .with_initializer(Some(ORIGINAL_INIT))
                    .init(device),
                hop_weights: ORIGINAL_INIT
                    .init([self.max_hops.max(1), self.heads, self.heads], device),
            }
        })
    }
}

impl EdgePathBias {
    /// Shapes: `path_features [B, n, n, T_batch, F]`, `spd [B, n, n]` → `[B, n, n, H]`. Hops
    /// beyond the configured `T` are ignored.
    pub fn forward(&self, path_features: Tensor<5, Int>, spd: Tensor<3, Int>) -> Tensor<4> {
        let [b, n, _, t_batch, f] = path_features.dims();
        let [t_max, h, _] = self.hop_weights.dims();
        let t = t_batch.min(t_max);
        let paths = path_features.narrow(3, 0, t); // [B, n, n, T, F]
        let pairs = b * n * n;
        // A hop exists where its first feature is not the "no hop" 0.
        let exists = paths
            .clone()
            .narrow(4, 0, 1)
            .greater_elem(0)
            .float()
            .reshape([pairs * t, 1]);
        let hops = self.bonds.forward(paths.reshape([pairs * t, f])) / f as f64 * exists; // [P·T, H]
        let hops = hops.reshape([pairs, t, h]).swap_dims(0, 1); // [T, P, H]
        let weights = self.hop_weights.val().narrow(0, 0, t); // [T, H, H]
        let summed = hops.matmul(weights).sum_dim(0).reshape([pairs, h]); // [P, H]
        let length = spd.clamp(1, t.max(1) as i64).float().reshape([pairs, 1]);
        (summed / length).reshape([b, n, n, h])
    }
}

/// Configuration of [`GaussianBias`].
#[derive(Config, Debug)]
pub struct GaussianBiasConfig {
    /// Gaussian kernels `K` (the paper: 128).
    pub kernels: usize,
    /// Attention heads.
    pub heads: usize,
    /// Model width (for the 3D node feature).
    pub d_model: usize,
    /// Atom types (rows of the per-type affine; atom feature 0 indexes them).
    #[config(default = 128)]
    pub atom_types: usize,
    /// Initialisation of the kernels and the per-type affine.
    #[config(default = "GaussianInit::Documented")]
    pub init: GaussianInit,
}

/// Transformer-M's 3D relation: per-type affine of the distance, `K` Gaussian kernels, an MLP
/// to per-head biases, and the 3D node feature `Linear(Σ_j ψ_ij)`.
#[derive(Module, Debug)]
pub struct GaussianBias {
    /// Scale of the row atom's type `[types, 1]`.
    pub mul_row: Embedding,
    /// Scale of the column atom's type.
    pub mul_col: Embedding,
    /// Shift of the row atom's type.
    pub bias_row: Embedding,
    /// Shift of the column atom's type.
    pub bias_col: Embedding,
    /// Kernel means `[K]`.
    pub means: Param<Tensor<1>>,
    /// Kernel widths before `|·| + 0.01`, `[K]`.
    pub widths: Param<Tensor<1>>,
    /// `Linear(K, K)` of the bias MLP.
    pub hidden: Linear,
    /// `Linear(K, H)` of the bias MLP.
    pub output: Linear,
    /// `Linear(K, d)` of the 3D node feature.
    pub node: Linear,
}

/// What [`GaussianBias::forward`] gives.
#[derive(Debug, Clone)]
pub struct Gaussian3d {
    /// Per-head bias `[B, n, n, H]`.
    pub bias: Tensor<4>,
    /// 3D node feature `[B, n, d]` (already scaled by 0.01).
    pub node: Tensor<3>,
    /// Unit vectors `(p_j − p_i) / (d_ij + 1e-5)`, `[B, n, n, 3]` (for a denoising head).
    pub directions: Tensor<4>,
}

impl GaussianBiasConfig {
    /// Initialises the module (see [`GaussianInit`]).
    pub fn init(&self, device: &Device) -> GaussianBias {
        molkd_graph::random::init_atomic(|| {
            let (mul, shift, kernel) = match self.init {
                GaussianInit::Documented => (
                    Initializer::Constant { value: 0.5 },
                    Initializer::Zeros,
                    Initializer::Uniform { min: 0.0, max: 3.0 },
                ),
                GaussianInit::Global => (ORIGINAL_INIT, ORIGINAL_INIT, ORIGINAL_INIT),
            };
            let table = |init: &Initializer| {
                EmbeddingConfig::new(self.atom_types, 1)
                    .with_initializer(init.clone())
                    .init(device)
            };
            let k = self.kernels;
            GaussianBias {
                // The row and column scales are summed: 0.5 each gives the documented scale 1.
                mul_row: table(&mul),
                mul_col: table(&mul),
                bias_row: table(&shift),
                bias_col: table(&shift),
                means: kernel.init([k], device),
                widths: kernel.init([k], device),
                hidden: linear(k, k, device),
                output: linear(k, self.heads, device),
                node: linear(k, self.d_model, device),
            }
        })
    }
}

impl GaussianBias {
    /// Shapes: `coords [B, n, 3]`, atom types `[B, n]`, real-atom mask `[B, n]` (1 real, 0
    /// padding) → [`Gaussian3d`].
    pub fn forward(&self, coords: Tensor<3>, types: Tensor<2, Int>, real: Tensor<2>) -> Gaussian3d {
        let [b, n, _] = coords.dims();
        let delta = coords.clone().unsqueeze_dim::<4>(1) - coords.unsqueeze_dim::<4>(2); // [B, n, n, 3]: p_j − p_i
        // The small constant keeps the gradient of the root finite on the diagonal.
        let distance = (delta.clone().powi_scalar(2).sum_dim(3) + 1e-12).sqrt(); // [B, n, n, 1]
        let directions = delta / (distance.clone() + 1e-5);
        let rows = self.mul_row.weight.dims()[0] as i64;
        let types = types.clamp(0, rows - 1);
        let per_type = |e: &Embedding| lookup(e, types.clone()); // [B, n, 1]
        let scale = per_type(&self.mul_row).reshape([b, n, 1, 1])
            + per_type(&self.mul_col).reshape([b, 1, n, 1]);
        let shift = per_type(&self.bias_row).reshape([b, n, 1, 1])
            + per_type(&self.bias_col).reshape([b, 1, n, 1]);
        let x = scale * distance + shift; // [B, n, n, 1]
        let k = self.means.dims()[0];
        let means = self.means.val().reshape([1, 1, 1, k]);
        let widths = self.widths.val().abs().reshape([1, 1, 1, k]) + 0.01;
        let z = (x - means) / widths.clone();
        let psi = (z.powi_scalar(2) * -0.5).exp() / (widths * (2.0 * std::f64::consts::PI).sqrt()); // [B, n, n, K]
        let bias = self.output.forward(gelu(self.hidden.forward(psi.clone()))); // [B, n, n, H]
        // Σ over real atoms j (i itself included) → [B, n, K].
        let summed = (psi * real.reshape([b, 1, n, 1]))
            .sum_dim(2)
            .reshape([b, n, k]);
        Gaussian3d {
            bias,
            node: self.node.forward(summed) * 0.01,
            directions,
        }
    }
}

/// The relation inputs of a [`DenseBatch`] the biases read, checked against the vocabularies.
pub(crate) fn check_relations(
    bonds: &CategoricalEmbedding,
    batch: &DenseBatch,
) -> crate::error::Result<()> {
    // Path features are stored + 1: a value v is row v of a block of vocab + 1 rows.
    let shifted: Vec<i64> = batch.bond_feature_max.iter().map(|m| m + 1).collect();
    bonds.check("path bond features", &shifted)
}
