//! MoleBLEND's pre-training losses (`shared/docs/moleblend.md` §4): recover every relation of
//! every atom pair from a blended input — SPD classes, the bond category of every hop of a
//! shortest path, the direction of the clean relative position — and the coordinate noise.
//! Losses run over **all** valid pairs, not only those whose modality was hidden (as the
//! original: it never passes the blend to the loss).
//!
//! ```
//! use burn::tensor::{Device, Int, Tensor, TensorData};
//! use molkd_distill::blend::spd_loss;
//! let device = Device::default();
//! // Ethanol: SPD [[0,1,2],[1,0,1],[2,1,0]]; confident, correct logits give a loss near 0.
//! let spd = Tensor::<3, Int>::from_data(TensorData::new(vec![0i64, 1, 2, 1, 0, 1, 2, 1, 0], [1, 3, 3]), &device);
//! let class = spd.clone().clamp(1, 11) - 1; // SPD 1 → class 0, SPD 2 → class 1
//! let logits = class.one_hot::<4>(11).float() * 50.0;
//! assert!(spd_loss(logits, spd).unwrap().into_scalar::<f32>() < 1e-6);
//! ```

use burn::config::Config;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};
use molkd_graph::DENSE_SPD_UNREACHABLE;

use crate::error::{DistillError, Result};

/// Weights of the four terms (the original's run script: 0.1 / 0.1 / 0.5 / 6).
#[derive(Config, Debug)]
pub struct BlendLossConfig {
    /// SPD classification.
    #[config(default = 0.1)]
    pub spd_weight: f64,
    /// Edge-path classification.
    #[config(default = 0.1)]
    pub edge_weight: f64,
    /// Pair direction.
    #[config(default = 0.5)]
    pub direction_weight: f64,
    /// Coordinate denoising.
    #[config(default = 6.0)]
    pub denoise_weight: f64,
}

/// The four terms of a batch and their weighted sum.
#[derive(Debug, Clone)]
pub struct BlendLosses {
    /// SPD cross-entropy `[1]`.
    pub spd: Tensor<1>,
    /// Edge-path cross-entropy `[1]`.
    pub edge: Tensor<1>,
    /// Direction `1 − cos` `[1]`.
    pub direction: Tensor<1>,
    /// Denoising `1 − cos` `[1]`.
    pub denoise: Tensor<1>,
    /// The weighted sum `[1]`.
    pub total: Tensor<1>,
}

impl BlendLossConfig {
    /// Checks the weights are finite and non-negative.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("spd_weight", self.spd_weight),
            ("edge_weight", self.edge_weight),
            ("direction_weight", self.direction_weight),
            ("denoise_weight", self.denoise_weight),
        ] {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(DistillError::InvalidParameter {
                    name,
                    value,
                    reason: "must be finite and ≥ 0",
                });
            }
        }
        Ok(())
    }

    /// The weighted sum of the four terms.
    pub fn combine(
        &self,
        spd: Tensor<1>,
        edge: Tensor<1>,
        direction: Tensor<1>,
        denoise: Tensor<1>,
    ) -> BlendLosses {
        let total = spd.clone() * self.spd_weight
            + edge.clone() * self.edge_weight
            + direction.clone() * self.direction_weight
            + denoise.clone() * self.denoise_weight;
        BlendLosses {
            spd,
            edge,
            direction,
            denoise,
            total,
        }
    }
}

/// SPD classes and their mask: SPD `s ∈ 1 … C−1` → class `s − 1`, `s ≥ C` → class `C − 1`
/// (the original's "11 to 19", clamped instead of overflowing past 19). The diagonal, padding
/// and unreachable pairs are masked out.
///
/// Shapes: `spd [B, n, n]` → (classes `[B, n, n]`, mask `[B, n, n]` of 0/1).
pub fn spd_targets(spd: Tensor<3, Int>, classes: usize) -> (Tensor<3, Int>, Tensor<3>) {
    let valid = spd
        .clone()
        .greater_equal_elem(1)
        .bool_and(spd.clone().lower_elem(DENSE_SPD_UNREACHABLE));
    let class = spd.clamp(1, classes as i64) - 1;
    (class, valid.float())
}

/// Masked cross-entropy `Σ m · −log p(target) / Σ m` (0 when nothing is selected).
/// Shapes: logits `[N, C]`, targets `[N]` (any value where masked out), mask `[N]` → `[1]`.
pub fn masked_cross_entropy(
    logits: Tensor<2>,
    targets: Tensor<1, Int>,
    mask: Tensor<1>,
) -> Tensor<1> {
    let [_, c] = logits.dims();
    let targets = targets.clamp(0, c as i64 - 1).unsqueeze_dim::<2>(1); // [N, 1]
    let nll = log_softmax(logits, 1)
        .gather(1, targets)
        .squeeze_dim::<1>(1)
        .neg(); // [N]
    masked_mean(nll, mask)
}

/// SPD classification loss (§4.2).
///
/// Shapes: logits `[B, n, n, C]`, `spd [B, n, n]` (a [`molkd_graph::DenseBatch`]'s) → `[1]`.
/// Errors: the logits do not cover the pairs of `spd`.
pub fn spd_loss(logits: Tensor<4>, spd: Tensor<3, Int>) -> Result<Tensor<1>> {
    let [b, n, m, c] = logits.dims();
    same(
        "SPD logits' pairs (must match the SPD matrix)",
        &[b, n, m],
        &spd.dims(),
    )?;
    let (class, mask) = spd_targets(spd, c);
    let pairs = b * n * m;
    Ok(masked_cross_entropy(
        logits.reshape([pairs, c]),
        class.reshape([pairs]),
        mask.reshape([pairs]),
    ))
}

/// The bond category of every hop of every path and its mask: a hop's features `v`
/// (stored `v + 1`, 0 = no hop) read as one mixed-radix number over `bond_vocab_sizes`, so
/// every category the featuriser can emit has its own class (OGB: 5 · 6 · 2 = 60).
///
/// Shapes: `path_features [B, n, n, T, F]` → (classes `[B, n, n, T]`, mask `[B, n, n, T]`).
pub fn edge_targets(
    path_features: Tensor<5, Int>,
    bond_vocab_sizes: &[usize],
) -> (Tensor<4, Int>, Tensor<4>) {
    let [b, n, m, t, f] = path_features.dims();
    let device = path_features.device();
    let mut strides = vec![0i64; f];
    let mut stride = 1i64;
    for k in (0..f).rev() {
        strides[k] = stride;
        stride *= bond_vocab_sizes.get(k).copied().unwrap_or(1) as i64;
    }
    let exists = path_features
        .clone()
        .narrow(4, 0, 1)
        .greater_elem(0)
        .reshape([b, n, m, t]);
    let strides = Tensor::<5, Int>::from_data(TensorData::new(strides, [1, 1, 1, 1, f]), &device);
    let class = ((path_features - 1).clamp_min(0) * strides)
        .sum_dim(4)
        .reshape([b, n, m, t]);
    (class, exists.float())
}

/// Edge-path classification loss (§4.3), over the hops both the logits and the paths have.
///
/// Shapes: logits `[B, n, n, T, C]`, `path_features [B, n, n, T', F]` → `[1]`. Errors: the
/// pairs differ, or `C` is not the product of `bond_vocab_sizes`.
pub fn edge_loss(
    logits: Tensor<5>,
    path_features: Tensor<5, Int>,
    bond_vocab_sizes: &[usize],
) -> Result<Tensor<1>> {
    let [b, n, m, t_logits, c] = logits.dims();
    let [pb, pn, pm, t_paths, _] = path_features.dims();
    same(
        "edge logits' pairs (must match the paths)",
        &[b, n, m],
        &[pb, pn, pm],
    )?;
    let categories = bond_vocab_sizes.iter().product::<usize>().max(1);
    if categories != c {
        return Err(DistillError::ShapeMismatch {
            what: "edge classes (the product of the bond vocabularies)".into(),
            expected: vec![categories],
            got: vec![c],
        });
    }
    let t = t_logits.min(t_paths);
    let (class, mask) = edge_targets(path_features.narrow(3, 0, t), bond_vocab_sizes);
    let entries = b * n * m * t;
    Ok(masked_cross_entropy(
        logits.narrow(3, 0, t).reshape([entries, c]),
        class.reshape([entries]),
        mask.reshape([entries]),
    ))
}

/// `1 − cos(a, b)` along the last axis, with norms clamped at `1e-6`.
/// Shapes: `[.., 3]` → `[..]` (the last axis kept as 1).
fn cosine_distance<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> Tensor<D> {
    let norm = |x: Tensor<D>| x.powi_scalar(2).sum_dim(D - 1).clamp_min(1e-12).sqrt();
    let dot = (a.clone() * b.clone()).sum_dim(D - 1);
    (dot / (norm(a) * norm(b))).neg() + 1.0
}

/// Clean relative positions `p_j − p_i` `[B, n, n, 3]` and the pairs whose direction is
/// defined `[B, n, n]`: both atoms real, and apart (not the diagonal, not coincident).
pub fn direction_targets(coords: Tensor<3>, real: Tensor<2>) -> (Tensor<4>, Tensor<3>) {
    let [b, n, _] = coords.dims();
    let relative = coords.clone().unsqueeze_dim::<4>(1) - coords.unsqueeze_dim::<4>(2); // [B, n, n, 3]
    let apart = relative
        .clone()
        .powi_scalar(2)
        .sum_dim(3)
        .greater_elem(1e-8)
        .float()
        .reshape([b, n, n]);
    let both = real.clone().reshape([b, n, 1]) * real.reshape([b, 1, n]);
    (relative, apart * both)
}

/// Pair-direction loss (§4.4): `1 − cos(v̂_ij, p_j − p_i)` against the clean coordinates,
/// averaged over the valid pairs of each molecule, then over the molecules that have any.
///
/// Shapes: predicted `[B, n, n, 3]`, clean coordinates `[B, n, 3]`, real-atom mask `[B, n]`
/// (1 real, 0 padding) → `[1]`.
pub fn direction_loss(predicted: Tensor<4>, coords: Tensor<3>, real: Tensor<2>) -> Tensor<1> {
    let [b, n, _, _] = predicted.dims();
    let (target, mask) = direction_targets(coords, real);
    let per_pair = cosine_distance(predicted, target).reshape([b, n * n]);
    let mask = mask.reshape([b, n * n]);
    let count = mask.clone().sum_dim(1).reshape([b]); // [B]
    let has = count.clone().greater_elem(0.0).float();
    let per_molecule = (per_pair * mask).sum_dim(1).reshape([b]) / count.clamp_min(1.0);
    masked_mean(per_molecule, has)
}

/// Denoising loss (§4.5): `1 − cos(f_i, ε_i)` over the `counted` atoms (those that saw the
/// 3D node feature, real, with non-zero noise), summed and divided by their number.
///
/// Shapes: predicted `[B, n, 3]`, noise `[B, n, 3]`, counted `[B, n]` (0/1) → `[1]`.
pub fn denoise_loss(predicted: Tensor<3>, noise: Tensor<3>, counted: Tensor<2>) -> Tensor<1> {
    let [b, n, _] = predicted.dims();
    let moved = noise
        .clone()
        .powi_scalar(2)
        .sum_dim(2)
        .greater_elem(0.0)
        .float()
        .reshape([b, n]);
    let per_atom = cosine_distance(predicted, noise).reshape([b * n]);
    masked_mean(per_atom, (counted * moved).reshape([b * n]))
}

/// `Σ m·x / Σ m`, 0 when nothing is selected. Shapes: `[N]`, `[N]` → `[1]`.
fn masked_mean(values: Tensor<1>, mask: Tensor<1>) -> Tensor<1> {
    let total = mask.clone().sum();
    let empty = total.clone().equal_elem(0.0).float();
    (values * mask).sum() / (total + empty)
}

fn same(what: &str, expected: &[usize], got: &[usize]) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(DistillError::ShapeMismatch {
            what: what.into(),
            expected: expected.to_vec(),
            got: got.to_vec(),
        })
    }
}
