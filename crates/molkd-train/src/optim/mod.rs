//! Optimisation settings shared by the training loops, and per-epoch seeding.

mod host_adam;

pub use host_adam::HostAdam;

use burn::config::Config;
use burn::grad_clipping::GradientClippingConfig;
use burn::optim::ModuleOptimizer;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::error::{Result, TrainError};

/// Optimisation settings shared by every loop.
#[derive(Config, Debug)]
pub struct OptimConfig {
    /// Passes over the training set.
    #[config(default = 10)]
    pub epochs: usize,
    /// Items (reactions or molecules) per step.
    #[config(default = 256)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[config(default = 1e-3)]
    pub lr: f64,
    /// Run seed: data order, dropout and initialisation derive from it.
    #[config(default = 0)]
    pub seed: u64,
    /// Clip each parameter's gradient to this L2 norm (burn's per-tensor norm clipping).
    #[config(default = "None")]
    pub grad_clip: Option<f32>,
}

impl OptimConfig {
    /// Rejects zero epochs or batch size and non-positive learning rates.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(TrainError::Invalid(format!(
                "epochs ({}) and batch size ({}) must be positive",
                self.epochs, self.batch_size
            )));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(TrainError::Invalid(format!(
                "learning rate {} must be positive",
                self.lr
            )));
        }
        if let Some(c) = self.grad_clip
            && !(c.is_finite() && c > 0.0)
        {
            return Err(TrainError::Invalid(format!(
                "gradient clipping norm {c} must be positive"
            )));
        }
        Ok(())
    }

    /// Adam with PyTorch's defaults (β = (0.9, 0.999), ε = 1e-8) and the configured clipping:
    /// [`HostAdam`], burn's Adam with a fused update on CPU backends.
    pub fn adam(&self) -> ModuleOptimizer {
        let optimizer = ModuleOptimizer::from(HostAdam::new(0.9, 0.999, 1e-8));
        match self.grad_clip {
            Some(norm) => optimizer.with_grad_clipping(GradientClippingConfig::Norm(norm).init()),
            None => optimizer,
        }
    }
}

/// The seed of one epoch, derived from the run seed (SplitMix64 of both), so every epoch
/// draws from its own stream and a resumed run draws exactly what an uninterrupted one would.
pub fn epoch_seed(run_seed: u64, epoch: usize) -> u64 {
    let mut z = run_seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `items` shuffled with a generator seeded by `seed`.
pub fn epoch_order(items: &[usize], seed: u64) -> Vec<usize> {
    let mut order = items.to_vec();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    order
}
