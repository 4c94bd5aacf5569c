//! Modality blending, MoleBLEND's input corruption (`shared/docs/moleblend.md` §3): every atom
//! pair sees exactly one relation modality (SPD, edge path or 3D distance), every atom one
//! structural node feature (degree or 3D), and the 3D inputs come from noised coordinates.
//! The model is then asked to recover every modality for every pair.

use burn::config::Config;
use burn::tensor::{Bool, Device, Int, Shape, Tensor, TensorData};
use molkd_graph::random::Generator;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Pair modality codes of [`BlendAssignment::pairs`].
pub const PAIR_SPD: i64 = 0;
/// The edge-path modality.
pub const PAIR_EDGE: i64 = 1;
/// The 3D-distance modality.
pub const PAIR_3D: i64 = 2;

/// A blend: which modality each atom pair sees and which node feature each atom gets.
#[derive(Debug, Clone)]
pub struct BlendAssignment {
    /// Per pair `[B, n, n]` (or `[1, n, n]`, shared by the batch): [`PAIR_SPD`],
    /// [`PAIR_EDGE`] or [`PAIR_3D`]. The graph token's row and column are never blended.
    pub pairs: Tensor<3, Int>,
    /// Per atom `[B, n]`: true = the 3D node feature, false = the degree embedding.
    pub nodes_3d: Tensor<2, Bool>,
}

/// Whether one partition of the pairs serves the whole batch or each molecule draws its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlendPartition {
    /// One `[n, n]` partition for every molecule of the batch, as the released code draws it.
    #[default]
    PerBatch,
    /// A partition per molecule.
    PerMolecule,
}

/// How inputs are blended (defaults: the original's, §3).
#[derive(Config, Debug)]
pub struct BlendConfig {
    /// Probabilities of a pair seeing (SPD, edge path, 3D); they must sum to 1.
    #[config(default = "[0.2, 0.2, 0.6]")]
    pub pair_probs: [f64; 3],
    /// Probability of an atom getting the 3D node feature instead of the degree embedding.
    #[config(default = 0.6)]
    pub node_3d_prob: f64,
    /// Standard deviation (Å) of the Gaussian noise added to every coordinate of the 3D
    /// inputs; the targets stay clean.
    #[config(default = 0.2)]
    pub noise_std: f64,
    /// One partition per batch (the original) or per molecule.
    #[config(default = "BlendPartition::PerBatch")]
    pub partition: BlendPartition,
    /// Draw `(i, j)` and `(j, i)` together (the original draws them independently).
    #[config(default = false)]
    pub symmetric: bool,
}

impl BlendConfig {
    /// Checks the probabilities.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let p = self.pair_probs;
        if p.iter().any(|&x| !(0.0..=1.0).contains(&x))
            || (p.iter().sum::<f64>() - 1.0).abs() > 1e-6
        {
            return Err(format!(
                "pair blend probabilities {p:?} must lie in [0, 1] and sum to 1"
            ));
        }
        if !(0.0..=1.0).contains(&self.node_3d_prob) {
            return Err(format!(
                "the 3D node-feature probability {} is not in [0, 1]",
                self.node_3d_prob
            ));
        }
        if !(self.noise_std >= 0.0 && self.noise_std.is_finite()) {
            return Err(format!("coordinate noise {} is not ≥ 0", self.noise_std));
        }
        Ok(())
    }

    /// Whether any input is 3D (a pair or an atom can see the coordinates).
    pub fn uses_3d(&self) -> bool {
        self.pair_probs[2] > 0.0 || self.node_3d_prob > 0.0
    }

    /// Draws a blend for `b` molecules padded to `n` atoms from `rng`. Padding positions get
    /// draws too; the encoder masks them.
    pub fn draw(
        &self,
        b: usize,
        n: usize,
        rng: &mut Generator,
        device: &Device,
    ) -> BlendAssignment {
        let partitions = match self.partition {
            BlendPartition::PerBatch => 1,
            BlendPartition::PerMolecule => b,
        };
        let [p_spd, p_edge, _] = self.pair_probs;
        let mut pairs = vec![0i64; partitions * n * n];
        for k in 0..partitions {
            for i in 0..n {
                for j in 0..n {
                    let at = (k * n + i) * n + j;
                    if self.symmetric && j < i {
                        pairs[at] = pairs[(k * n + j) * n + i];
                        continue;
                    }
                    let u: f64 = rng.random();
                    pairs[at] = if u < p_spd {
                        PAIR_SPD
                    } else if u < p_spd + p_edge {
                        PAIR_EDGE
                    } else {
                        PAIR_3D
                    };
                }
            }
        }
        let nodes: Vec<bool> = (0..b * n)
            .map(|_| rng.random::<f64>() < self.node_3d_prob)
            .collect();
        BlendAssignment {
            pairs: Tensor::from_data(TensorData::new(pairs, [partitions, n, n]), device),
            nodes_3d: Tensor::from_data(TensorData::new(nodes, [b, n]), device),
        }
    }

    /// Gaussian noise `[B, n, 3]` of [`Self::noise_std`] Å for the real atoms (`num_atoms`
    /// per molecule, padded to `n`), zero on padding.
    pub fn draw_noise(
        &self,
        num_atoms: &[usize],
        n: usize,
        rng: &mut Generator,
        device: &Device,
    ) -> Tensor<3> {
        let b = num_atoms.len();
        let mut noise = vec![0f32; b * n * 3];
        for (k, &m) in num_atoms.iter().enumerate() {
            for value in &mut noise[k * n * 3..(k * n + m.min(n)) * 3] {
                *value = (standard_normal(rng) * self.noise_std) as f32;
            }
        }
        Tensor::from_data(TensorData::new(noise, Shape::new([b, n, 3])), device)
    }
}

/// One N(0, 1) draw (Box–Muller), from the run's generator.
fn standard_normal(rng: &mut Generator) -> f64 {
    // 1 − u lies in (0, 1], so the logarithm is finite.
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}
