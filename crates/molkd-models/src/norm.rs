//! Batch normalisation of node features `[N, C]`.
//!
//! `burn::nn::BatchNorm` takes `[batch, channels, ..]` and computes its statistics by swapping
//! the first two axes and making the result contiguous, twice forward and twice backward. On a
//! `[N, C]` matrix that is a full transposed copy per pass, ~5 % of a student training step
//! on flex. Reducing over rows (`mean_dim(0)`) needs no copy. Same parameters, statistics,
//! running-stat update and record layout as burn's module, so checkpoints are interchangeable.

use burn::config::Config;
use burn::module::{Flag, Module, Param, RunningState};
use burn::tensor::{Device, Tensor};

/// Configuration of [`NodeBatchNorm`] (defaults as `burn::nn::BatchNormConfig`).
#[derive(Config, Debug)]
pub struct NodeBatchNormConfig {
    /// Number of features `C`.
    pub num_features: usize,
    /// Added to the variance for numerical stability.
    #[config(default = 1e-5)]
    pub epsilon: f64,
    /// Weight of the batch statistics in the running-statistics update.
    #[config(default = 0.1)]
    pub momentum: f64,
}

/// `y = (x − mean) / √(var + ε) · γ + β` per feature, with batch statistics (biased variance)
/// while training on an autodiff device and the running statistics otherwise.
///
/// ```
/// use burn::tensor::{Device, Tensor};
/// use molkd_models::NodeBatchNormConfig;
/// let device = Device::default().autodiff();
/// let norm = NodeBatchNormConfig::new(2).init(&device);
/// let x = Tensor::<2>::from_floats([[1.0, 10.0], [3.0, 30.0]], &device);
/// let y = norm.forward(x).into_data().to_vec::<f32>().unwrap();
/// assert!((y[0] + 1.0).abs() < 1e-3 && (y[3] - 1.0).abs() < 1e-3);
/// ```
#[derive(Module, Debug)]
pub struct NodeBatchNorm {
    /// Scale γ, `[C]`.
    pub gamma: Param<Tensor<1>>,
    /// Shift β, `[C]`.
    pub beta: Param<Tensor<1>>,
    /// Whether training behaviour is enabled (cleared by `Module::freeze`).
    pub training: Param<Flag>,
    /// Running mean, `[C]`.
    pub running_mean: RunningState<Tensor<1>>,
    /// Running (biased) variance, `[C]`.
    pub running_var: RunningState<Tensor<1>>,
    /// Running-statistics momentum.
    pub momentum: f64,
    /// Variance epsilon.
    pub epsilon: f64,
}

impl NodeBatchNormConfig {
    /// γ = 1, β = 0, running mean 0 and variance 1, as burn's `BatchNorm`.
    pub fn init(&self, device: &Device) -> NodeBatchNorm {
        let c = self.num_features;
        NodeBatchNorm {
            gamma: Param::from_tensor(Tensor::ones([c], device)),
            beta: Param::from_tensor(Tensor::zeros([c], device)),
            training: Param::from_bool(true),
            running_mean: RunningState::new(Tensor::zeros([c], device)),
            running_var: RunningState::new(Tensor::ones([c], device)),
            momentum: self.momentum,
            epsilon: self.epsilon,
        }
    }
}

impl NodeBatchNorm {
    /// Shapes: `[N, C]` → `[N, C]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        if x.device().is_autodiff() && self.training.is_enabled() {
            self.forward_train(x)
        } else {
            self.forward_inference(x)
        }
    }

    fn forward_train(&self, x: Tensor<2>) -> Tensor<2> {
        let mean = x.clone().mean_dim(0); // [1, C]
        let centered = x - mean.clone(); // [N, C]
        let var = (centered.clone() * centered.clone()).mean_dim(0); // [1, C], biased
        let scale = (var.clone() + self.epsilon).sqrt().recip() * self.gamma.val().unsqueeze();
        let out = centered * scale + self.beta.val().unsqueeze(); // [N, C]

        let m = self.momentum;
        let device = out.device();
        let update = |state: &RunningState<Tensor<1>>, batch: Tensor<2>| {
            let batch: Tensor<1> = batch.detach().squeeze_dim(0);
            let old = state.value_sync().to_device(&device);
            state.update((old * (1.0 - m) + batch * m).detach());
        };
        update(&self.running_mean, mean);
        update(&self.running_var, var);
        out
    }

    fn forward_inference(&self, x: Tensor<2>) -> Tensor<2> {
        let device = x.device();
        let mean = self.running_mean.value().to_device(&device);
        let var = self.running_var.value().to_device(&device);
        // One multiply-add over [N, C]: y = x · a + b.
        let a = (var + self.epsilon).sqrt().recip() * self.gamma.val();
        let b = self.beta.val() - mean * a.clone();
        x * a.unsqueeze() + b.unsqueeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::BatchNormConfig;
    use burn::tensor::Distribution;

    fn max_diff(a: Tensor<2>, b: Tensor<2>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    /// Outputs, gradients and running statistics match burn's `BatchNorm` on the same input.
    #[test]
    fn matches_burn_batch_norm() {
        let device = Device::default().autodiff();
        let ours = NodeBatchNormConfig::new(6).init(&device);
        let reference = BatchNormConfig::new(6).init(&device);
        // Non-trivial γ, β so their gradients and the scaling are exercised.
        let gamma = Tensor::<1>::random([6], Distribution::Normal(1.0, 0.5), &device);
        let beta = Tensor::<1>::random([6], Distribution::Normal(0.0, 0.5), &device);
        let ours = NodeBatchNorm {
            gamma: Param::from_tensor(gamma.clone()),
            beta: Param::from_tensor(beta.clone()),
            ..ours
        };
        let mut reference = reference;
        reference.gamma = Param::from_tensor(gamma);
        reference.beta = Param::from_tensor(beta);

        let x = Tensor::<2>::random([40, 6], Distribution::Normal(2.0, 3.0), &device);
        let weights = Tensor::<2>::random([40, 6], Distribution::Default, &device);
        let xa = x.clone().require_grad();
        let xb = x.require_grad();
        let ya = ours.forward(xa.clone());
        let yb = reference.forward(xb.clone());
        assert!(max_diff(ya.clone(), yb.clone()) < 1e-4);

        let ga = (ya * weights.clone()).sum().backward();
        let gb = (yb * weights).sum().backward();
        let dx = max_diff(xa.grad(&ga).unwrap(), xb.grad(&gb).unwrap());
        assert!(dx < 1e-4, "input gradient differs by {dx}");
        for (a, b) in [
            (ours.gamma.grad(&ga), reference.gamma.grad(&gb)),
            (ours.beta.grad(&ga), reference.beta.grad(&gb)),
        ] {
            let d = max_diff(a.unwrap().unsqueeze(), b.unwrap().unsqueeze());
            assert!(d < 1e-3, "parameter gradient differs by {d}");
        }
        for (a, b) in [
            (ours.running_mean.value(), reference.running_mean.value()),
            (ours.running_var.value(), reference.running_var.value()),
        ] {
            assert!(max_diff(a.unsqueeze(), b.unsqueeze()) < 1e-4);
        }

        // Inference uses the running statistics, as burn's does.
        let ours = ours.valid();
        let reference = reference.valid();
        let inner = Device::default();
        let x = Tensor::<2>::random([7, 6], Distribution::Default, &inner);
        assert!(max_diff(ours.forward(x.clone()), reference.forward(x)) < 1e-5);
    }
}
