//! MoleBLEND's pre-training heads (`shared/docs/moleblend.md` §4): from the final atom
//! states, recover every relation of every pair — SPD classes, the bond category of each hop
//! of a shortest path, the direction of the clean relative position — and the coordinate
//! noise (Transformer-M's attention-based denoising head).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Bool, Device, Tensor};
use molkd_graph::random::Generator;

use super::{ORIGINAL_INIT, linear};
use crate::dropout::{Dropout, DropoutConfig};
use crate::error::{ModelError, Result};

/// The pair trunk of one head (the original's `TransformN2Head`): `row_i = LN(GELU(W_r h_i))`,
/// `col_j = LN(GELU(W_c h_j))`, whose outer product `row_i ⊗ col_j` (`r²` features,
/// asymmetric in `(i, j)`) the head reads. One LayerNorm (eps 1e-12) serves both sides.
#[derive(Module, Debug)]
pub struct PairTrunk {
    /// `W_r`, `d → r`.
    pub row: Linear,
    /// `W_c`, `d → r`.
    pub col: Linear,
    /// The LayerNorm of both sides.
    pub norm: LayerNorm,
}

impl PairTrunk {
    fn init(d: usize, rank: usize, device: &Device) -> Self {
        PairTrunk {
            row: linear(d, rank, device),
            col: linear(d, rank, device),
            norm: LayerNormConfig::new(rank).with_epsilon(1e-12).init(device),
        }
    }

    /// Shapes: atoms `[B, n, d]` → (rows, cols) `[B, n, r]` each.
    pub fn forward(&self, atoms: Tensor<3>) -> (Tensor<3>, Tensor<3>) {
        let side = |l: &Linear| self.norm.forward(gelu(l.forward(atoms.clone())));
        (side(&self.row), side(&self.col))
    }
}

/// `Linear(r² → C)` applied to the outer product `row_i ⊗ col_j` of every pair, computed as
/// the bilinear form `row_iᵀ W_c col_j + b_c` without materialising the `[B, n, n, r²]`
/// product.
#[derive(Module, Debug)]
pub struct PairBilinear {
    /// `W` laid out `[r, C·r]`: column block `c` is `W_c` (`[r, r]`).
    pub weight: Param<Tensor<2>>,
    /// `[C]`.
    pub bias: Param<Tensor<1>>,
}

impl PairBilinear {
    fn init(rank: usize, outputs: usize, device: &Device) -> Self {
        PairBilinear {
            weight: ORIGINAL_INIT.init([rank, outputs * rank], device),
            bias: Param::from_tensor(Tensor::zeros([outputs], device)),
        }
    }

    /// Shapes: rows, cols `[B, n, r]` → `[B, n, n, C]`.
    pub fn forward(&self, rows: Tensor<3>, cols: Tensor<3>) -> Tensor<4> {
        let [b, n, r] = rows.dims();
        let c = self.bias.dims()[0];
        let projected = rows
            .matmul(self.weight.val().unsqueeze_dim(0)) // [B, n, C·r]
            .reshape([b, n * c, r]);
        let logits = projected
            .matmul(cols.swap_dims(1, 2)) // [B, n·C, n]
            .reshape([b, n, c, n])
            .swap_dims(2, 3); // [B, n, n, C]
        logits + self.bias.val().reshape([1, 1, 1, c])
    }
}

/// Configuration of [`BlendHeads`]. Defaults: the CPU-sized heads of §9.3 (rank 16, direction
/// hidden 64); the original's are rank 32 and hidden 256.
#[derive(Config, Debug)]
pub struct BlendHeadsConfig {
    /// Width `d` of the encoder.
    pub d_model: usize,
    /// Attention heads of the encoder (the denoising head attends with as many).
    pub heads: usize,
    /// Hops of the edge-path target.
    pub hops: usize,
    /// Bond categories of a hop: every category the featuriser can emit (the product of the
    /// bond vocabularies), not the original's 24 that OGB stereo values overflow.
    pub edge_classes: usize,
    /// Side `r` of the pair trunks (`r²` pair features).
    #[config(default = 16)]
    pub rank: usize,
    /// SPD classes: 1 … C−1 hops, and C or more in the last class.
    #[config(default = 11)]
    pub spd_classes: usize,
    /// Hidden width of the direction head (linear: it only reshapes the optimisation).
    #[config(default = 64)]
    pub direction_hidden: usize,
    /// Dropout on the denoising head's attention probabilities.
    #[config(default = 0.1)]
    pub attention_dropout: f64,
    /// One readout for the three axes of the denoising head, which makes its prediction
    /// rotate with the molecule; the original (false) has one per axis, which does not.
    #[config(default = false)]
    pub shared_denoise_readout: bool,
}

/// The four heads. See the module docs.
#[derive(Module, Debug)]
pub struct BlendHeads {
    /// SPD trunk.
    pub spd_trunk: PairTrunk,
    /// SPD logits.
    pub spd: PairBilinear,
    /// Edge-path trunk.
    pub edge_trunk: PairTrunk,
    /// Edge-path logits, hop-major (`hops × classes`).
    pub edge: PairBilinear,
    /// Direction trunk.
    pub direction_trunk: PairTrunk,
    /// Direction hidden layer.
    pub direction_hidden: PairBilinear,
    /// Direction output (x, y, z).
    pub direction: Linear,
    /// Denoising head.
    pub denoise: DenoiseHead,
    #[module(skip)]
    hops: usize,
}

/// What the heads predict.
#[derive(Debug, Clone)]
pub struct BlendPredictions {
    /// SPD logits `[B, n, n, C_spd]`.
    pub spd: Tensor<4>,
    /// Edge-path logits `[B, n, n, T, C_edge]`.
    pub edges: Tensor<5>,
    /// Relative-position directions `[B, n, n, 3]` (unnormalised).
    pub directions: Tensor<4>,
    /// Per-atom noise directions `[B, n, 3]` (unnormalised).
    pub noise: Tensor<3>,
}

impl BlendHeadsConfig {
    /// Initialises the heads (N(0, 0.02) weights, zero biases).
    pub fn init(&self, device: &Device) -> Result<BlendHeads> {
        if self.heads == 0 || !self.d_model.is_multiple_of(self.heads) {
            return Err(ModelError::InvalidConfig(format!(
                "blend heads: {} heads do not divide width {}",
                self.heads, self.d_model
            )));
        }
        if self.rank == 0 || self.hops == 0 || self.edge_classes == 0 || self.spd_classes < 2 {
            return Err(ModelError::InvalidConfig(
                "blend heads: rank, hops and edge classes must be positive, SPD classes ≥ 2".into(),
            ));
        }
        let dropout = DropoutConfig::new(self.attention_dropout).init()?;
        let (d, r) = (self.d_model, self.rank);
        Ok(molkd_graph::random::init_atomic(|| BlendHeads {
            spd_trunk: PairTrunk::init(d, r, device),
            spd: PairBilinear::init(r, self.spd_classes, device),
            edge_trunk: PairTrunk::init(d, r, device),
            edge: PairBilinear::init(r, self.hops * self.edge_classes, device),
            direction_trunk: PairTrunk::init(d, r, device),
            direction_hidden: PairBilinear::init(r, self.direction_hidden, device),
            direction: linear(self.direction_hidden, 3, device),
            denoise: DenoiseHead {
                query: linear(d, d, device),
                key: linear(d, d, device),
                value: linear(d, d, device),
                axes: ORIGINAL_INIT.init([d, 3], device),
                attention_dropout: dropout,
                heads: self.heads,
                shared_readout: self.shared_denoise_readout,
            },
            hops: self.hops,
        }))
    }
}

impl BlendHeads {
    /// Shapes: atom states `[B, n, d]`, the blended pair bias the encoder saw `[B, H, n, n]`,
    /// padding `[B, n]`, noisy unit vectors `u_ij` `[B, n, n, 3]` → [`BlendPredictions`].
    pub fn forward(
        &self,
        atoms: Tensor<3>,
        pair_bias: Tensor<4>,
        padding_mask: Tensor<2, Bool>,
        unit_vectors: Tensor<4>,
        rng: &mut Generator,
    ) -> BlendPredictions {
        let [b, n, _] = atoms.dims();
        let (rows, cols) = self.spd_trunk.forward(atoms.clone());
        let spd = self.spd.forward(rows, cols);
        let (rows, cols) = self.edge_trunk.forward(atoms.clone());
        let edges = self.edge.forward(rows, cols);
        let classes = edges.dims()[3] / self.hops;
        let edges = edges.reshape([b, n, n, self.hops, classes]);
        let (rows, cols) = self.direction_trunk.forward(atoms.clone());
        let directions = self
            .direction
            .forward(self.direction_hidden.forward(rows, cols));
        let noise = self
            .denoise
            .forward(atoms, pair_bias, padding_mask, unit_vectors, rng);
        BlendPredictions {
            spd,
            edges,
            directions,
            noise,
        }
    }
}

/// Transformer-M's equivariant denoising head (`AtomTaskHead`): attention with fresh
/// projections over the blended bias, whose values are weighted per axis by the noisy unit
/// vectors, `o_i^c = concat_h Σ_j A_h(i, j) · u_ij[c] · v_h(j)`, read out per axis by
/// `f_i^c = w_c · o_i^c`. With one `w` for the three axes the prediction rotates with the
/// input coordinates; with the original's three it need not.
#[derive(Module, Debug)]
pub struct DenoiseHead {
    /// Query projection.
    pub query: Linear,
    /// Key projection.
    pub key: Linear,
    /// Value projection.
    pub value: Linear,
    /// The three per-axis readouts `w_x, w_y, w_z` as the columns of `[d, 3]` (only the
    /// first with a shared readout). Without the original's zero-initialised biases: a
    /// learned constant vector would not rotate with the molecule.
    pub axes: Param<Tensor<2>>,
    /// Attention-probability dropout.
    pub attention_dropout: Dropout,
    #[module(skip)]
    heads: usize,
    #[module(skip)]
    shared_readout: bool,
}

impl DenoiseHead {
    /// Shapes: atoms `[B, n, d]`, bias `[B, H, n, n]`, padding `[B, n]`, unit vectors
    /// `[B, n, n, 3]` → `[B, n, 3]`.
    pub fn forward(
        &self,
        atoms: Tensor<3>,
        bias: Tensor<4>,
        padding_mask: Tensor<2, Bool>,
        unit_vectors: Tensor<4>,
        rng: &mut Generator,
    ) -> Tensor<3> {
        let [b, n, d] = atoms.dims();
        let h = self.heads;
        let dh = d / h;
        let split = |x: Tensor<3>| x.reshape([b, n, h, dh]).swap_dims(1, 2); // [B, H, n, dh]
        let q = split(self.query.forward(atoms.clone())) / (dh as f64).sqrt();
        let k = split(self.key.forward(atoms.clone()));
        let v = split(self.value.forward(atoms));
        let keys = padding_mask
            .reshape([b, 1, 1, n])
            .repeat_dim(1, h)
            .repeat_dim(2, n);
        let scores = (q.matmul(k.swap_dims(2, 3)) + bias).mask_fill(keys, f32::NEG_INFINITY);
        let probs = self.attention_dropout.forward(softmax(scores, 3), rng); // [B, H, n, n]
        let weight = self.axes.val(); // [d, 3]
        let axis = |c: usize| {
            let u = unit_vectors.clone().narrow(3, c, 1).reshape([b, 1, n, n]);
            let o = (probs.clone() * u)
                .matmul(v.clone())
                .swap_dims(1, 2)
                .reshape([b, n, d]);
            let column = if self.shared_readout { 0 } else { c };
            o.matmul(weight.clone().narrow(1, column, 1).unsqueeze_dim(0)) // [B, n, 1]
        };
        Tensor::cat(vec![axis(0), axis(1), axis(2)], 2) // [B, n, 3]
    }
}
