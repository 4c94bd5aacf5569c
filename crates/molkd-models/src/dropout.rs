//! Inverted dropout drawing its masks from the run's generator through
//! [`molkd_graph::random::dropout_mask`].

use burn::config::Config;
use burn::module::{Flag, Module, Param};
use burn::tensor::Tensor;
use molkd_graph::random::Generator;

use crate::error::{ModelError, Result};

/// Configuration of [`Dropout`].
#[derive(Config, Debug)]
pub struct DropoutConfig {
    /// Probability of zeroing an element during training, in `[0, 1)`.
    pub prob: f64,
}

/// Zeroes elements with probability `prob` during training and scales the rest by
/// `1 / (1 - prob)`; the identity at inference.
///
/// Behaves like `burn::nn::Dropout` (active only on an autodiff device while its training flag
/// is set, cleared by `Module::freeze`), but its masks come from the [`Generator`] passed to
/// `forward` (the run's own, so a seed fixes the masks whatever else the process draws)
/// through [`molkd_graph::random::dropout_mask`], several times faster on the CPU backends.
#[derive(Module, Debug)]
pub struct Dropout {
    /// Probability of zeroing an element.
    pub prob: f64,
    /// Whether to behave as during training.
    pub training: Param<Flag>,
}

impl DropoutConfig {
    /// Builds the layer; `prob` outside `[0, 1)` is an error.
    pub fn init(&self) -> Result<Dropout> {
        if !self.prob.is_finite() || !(0.0..1.0).contains(&self.prob) {
            return Err(ModelError::InvalidConfig(format!(
                "dropout {} is not in [0, 1)",
                self.prob
            )));
        }
        Ok(Dropout {
            prob: self.prob,
            training: Param::from_bool(true),
        })
    }
}

impl Dropout {
    /// Shapes: `[..]` → same. Draws from `rng` only while training.
    pub fn forward<const D: usize>(&self, input: Tensor<D>, rng: &mut Generator) -> Tensor<D> {
        let shape = input.dims();
        self.forward_broadcast(input, shape, rng)
    }

    /// Dropout with one draw per element of `mask_shape` (1 on the broadcast axes), so whole
    /// slices are kept or dropped together: `[B, 1, 1]` over `[B, T, d]` is stochastic depth,
    /// one draw per sample.
    pub fn forward_broadcast<const D: usize>(
        &self,
        input: Tensor<D>,
        mask_shape: [usize; D],
        rng: &mut Generator,
    ) -> Tensor<D> {
        if !self.is_active(&input) {
            return input;
        }
        let mask =
            molkd_graph::random::dropout_mask(mask_shape, 1.0 - self.prob, &input.device(), rng);
        input * mask
    }

    /// Whether `forward` on `input` drops anything: training flag set, autodiff device,
    /// non-zero probability.
    fn is_active<const D: usize>(&self, input: &Tensor<D>) -> bool {
        self.training.is_enabled() && input.device().is_autodiff() && self.prob > 0.0
    }
}
