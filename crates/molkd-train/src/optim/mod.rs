//! Optimisation settings shared by the training loops, and per-epoch seeding.

mod host_adam;

pub use host_adam::HostAdam;

use burn::config::Config;
use burn::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamWConfig, ModuleOptimizer};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// Which optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Adam (pretrain-gnns' protocol), no weight decay.
    #[default]
    Adam,
    /// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019), as Transformers
    /// are trained (MoleBLEND: weight decay 5e-5..1e-3 by sweep).
    AdamW,
}

impl std::str::FromStr for OptimizerKind {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "adam" => Ok(OptimizerKind::Adam),
            "adamw" => Ok(OptimizerKind::AdamW),
            _ => Err(format!("`{s}` is not an optimiser: use adam or adamw")),
        }
    }
}

/// How the learning rate moves over a run, after an optional linear warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrSchedule {
    /// The configured rate throughout (pretrain-gnns' protocol).
    #[default]
    Constant,
    /// Cosine decay from the configured rate to `min_lr` at the last step (MoleBLEND's
    /// fine-tuning: warm-up, then cosine).
    Cosine,
}

impl std::str::FromStr for LrSchedule {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "constant" => Ok(LrSchedule::Constant),
            "cosine" => Ok(LrSchedule::Cosine),
            _ => Err(format!("`{s}` is not a schedule: use constant or cosine")),
        }
    }
}

/// Optimisation settings shared by every loop.
#[derive(Config, Debug)]
pub struct OptimConfig {
    /// Passes over the training set.
    #[config(default = 10)]
    pub epochs: usize,
    /// Items (reactions or molecules) per step.
    #[config(default = 256)]
    pub batch_size: usize,
    /// Learning rate (the peak rate, with a warm-up or a schedule).
    #[config(default = 1e-3)]
    pub lr: f64,
    /// Optimiser.
    #[config(default = "OptimizerKind::Adam")]
    pub optimizer: OptimizerKind,
    /// Decoupled weight decay of AdamW (0 = none; Adam takes none).
    #[config(default = 0.0)]
    pub weight_decay: f64,
    /// Learning-rate schedule after the warm-up.
    #[config(default = "LrSchedule::Constant")]
    pub schedule: LrSchedule,
    /// Epochs of linear warm-up from `lr / warm-up steps` to `lr` (0 = none).
    #[config(default = 0)]
    pub warmup_epochs: usize,
    /// Rate the cosine schedule ends at.
    #[config(default = 1e-9)]
    pub min_lr: f64,
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
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(TrainError::Invalid(format!(
                "weight decay {} must be zero or positive",
                self.weight_decay
            )));
        }
        if self.weight_decay > 0.0 && self.optimizer == OptimizerKind::Adam {
            return Err(TrainError::Invalid(
                "weight decay needs the adamw optimiser (Adam's coupled L2 is not offered)".into(),
            ));
        }
        if self.warmup_epochs >= self.epochs && self.warmup_epochs > 0 {
            return Err(TrainError::Invalid(format!(
                "{} warm-up epochs leave nothing of a {}-epoch run",
                self.warmup_epochs, self.epochs
            )));
        }
        if !(self.min_lr.is_finite() && self.min_lr >= 0.0 && self.min_lr <= self.lr) {
            return Err(TrainError::Invalid(format!(
                "minimum learning rate {} must lie in [0, lr = {}]",
                self.min_lr, self.lr
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

    /// The configured optimiser with PyTorch's defaults (β = (0.9, 0.999), ε = 1e-8) and the
    /// configured clipping: Adam is [`HostAdam`] (burn's Adam with a fused update on CPU
    /// backends), AdamW burn's.
    pub fn optimizer(&self) -> ModuleOptimizer {
        let optimizer = match self.optimizer {
            OptimizerKind::Adam => ModuleOptimizer::from(HostAdam::new(0.9, 0.999, 1e-8)),
            OptimizerKind::AdamW => ModuleOptimizer::from(
                AdamWConfig::new()
                    .with_epsilon(1e-8)
                    .with_weight_decay(self.weight_decay as f32)
                    .build(),
            ),
        };
        match self.grad_clip {
            Some(norm) => optimizer.with_grad_clipping(GradientClippingConfig::Norm(norm).init()),
            None => optimizer,
        }
    }
}

impl OptimConfig {
    /// Settings a resumed run may change (run identities leave them out): the number of
    /// epochs, unless the schedule depends on it (cosine decays over the whole run, so a
    /// longer run has a different rate at every step).
    pub fn resumable_settings(&self) -> &'static [&'static str] {
        match self.schedule {
            LrSchedule::Constant => &["config.optim.epochs"],
            LrSchedule::Cosine => &[],
        }
    }

    /// The learning rate of step `step` (0-based) of epoch `epoch` (1-based) in a run of
    /// `steps_per_epoch` steps an epoch: a pure function of the position, so a resumed run
    /// steps exactly as an uninterrupted one (no scheduler state to checkpoint).
    pub fn lr_at(&self, epoch: usize, step: usize, steps_per_epoch: usize) -> f64 {
        let spe = steps_per_epoch.max(1);
        let s = (epoch.saturating_sub(1) * spe + step) as f64;
        let warmup = (self.warmup_epochs * spe) as f64;
        if s < warmup {
            return self.lr * (s + 1.0) / warmup;
        }
        match self.schedule {
            LrSchedule::Constant => self.lr,
            LrSchedule::Cosine => {
                let total = (self.epochs * spe) as f64;
                let progress = ((s - warmup) / (total - warmup).max(1.0)).clamp(0.0, 1.0);
                self.min_lr
                    + 0.5
                        * (self.lr - self.min_lr)
                        * (1.0 + (std::f64::consts::PI * progress).cos())
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_is_linear_and_cosine_ends_at_the_minimum() {
        let c = OptimConfig::new()
            .with_epochs(10)
            .with_lr(1e-3)
            .with_schedule(LrSchedule::Cosine)
            .with_warmup_epochs(2)
            .with_min_lr(1e-6);
        let spe = 5;
        // Warm-up: 10 steps rising linearly to the peak.
        assert!((c.lr_at(1, 0, spe) - 1e-4).abs() < 1e-12);
        assert!((c.lr_at(2, 4, spe) - 1e-3).abs() < 1e-12);
        // The first step after the warm-up is the peak; the last is near the minimum.
        assert!((c.lr_at(3, 0, spe) - 1e-3).abs() < 1e-12);
        let last = c.lr_at(10, 4, spe);
        assert!(last > 1e-6 && last < 1e-5, "{last}");
        // Halfway through the decay: the mean of peak and minimum.
        let half = c.lr_at(7, 0, spe);
        assert!((half - (1e-3 + 1e-6) / 2.0).abs() < 1e-9, "{half}");
        // Monotone after the warm-up.
        let rates: Vec<f64> = (3..=10)
            .flat_map(|e| (0..spe).map(move |s| (e, s)))
            .map(|(e, s)| c.lr_at(e, s, spe))
            .collect();
        assert!(rates.windows(2).all(|w| w[1] <= w[0]));
        // Constant without a warm-up is the configured rate throughout.
        let flat = OptimConfig::new().with_lr(3e-4);
        assert_eq!(flat.lr_at(1, 0, 7), 3e-4);
        assert_eq!(flat.lr_at(9, 6, 7), 3e-4);
        assert_eq!(flat.resumable_settings(), ["config.optim.epochs"]);
        assert!(c.resumable_settings().is_empty());
    }

    #[test]
    fn bad_optimiser_settings_are_named() {
        let base = OptimConfig::new().with_epochs(10);
        let cases = [
            (base.clone().with_weight_decay(1e-4), "adamw"),
            (base.clone().with_weight_decay(-1.0), "weight decay"),
            (base.clone().with_warmup_epochs(10), "warm-up"),
            (base.clone().with_min_lr(1.0), "minimum learning rate"),
        ];
        for (config, needle) in cases {
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
        base.with_optimizer(OptimizerKind::AdamW)
            .with_weight_decay(1e-4)
            .validate()
            .unwrap();
    }
}
