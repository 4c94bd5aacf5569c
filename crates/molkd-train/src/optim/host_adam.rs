//! Adam whose update is one fused pass over host memory on the CPU backends.
//!
//! burn's [`Adam`] builds each update from about a dozen element-wise tensor ops, each a pass
//! over the parameter into a fresh buffer: for the 1.8 M-parameter GIN student at batch 32 that
//! was ~5 % of a CPU training step, all on one thread. On host devices (flex, ndarray; autodiff
//! over either) [`HostAdam`] does the same f32 arithmetic in the same order in one loop, so its
//! updates are bit-identical to burn's, and its state *is* burn's [`AdamState`], so a
//! checkpoint written with either optimiser resumes with the other. On other devices (GPU) it
//! is burn's [`Adam`].

use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, Optimizer};
use burn::tensor::{DType, Device, Tensor, TensorData};
use molkd_graph::random::is_host_device;
use rayon::prelude::*;

/// Parameters at least this large are updated on all rayon threads: the training step runs
/// its element-wise ops on one thread, so the others are idle while the optimiser runs.
const PARALLEL_LEN: usize = 1 << 16;
const CHUNK: usize = 1 << 14;

/// Adam (no weight decay, no AMSGrad) with a fused host update; see the module docs.
#[derive(Clone)]
pub struct HostAdam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    /// burn's Adam with the same settings, for devices whose tensors are not in host memory.
    device_adam: Adam,
}

impl HostAdam {
    /// Adam with these β₁, β₂ and ε (PyTorch's defaults: 0.9, 0.999, 1e-8).
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Self {
        let device_adam = AdamConfig::new()
            .with_beta_1(beta_1)
            .with_beta_2(beta_2)
            .with_epsilon(epsilon)
            .build();
        Self {
            beta_1,
            beta_2,
            epsilon,
            device_adam,
        }
    }
}

impl Optimizer for HostAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let f32_state = state.as_ref().is_none_or(|s| {
            s.momentum.max_moment_2.is_none()
                && s.momentum.moment_1.dtype() == DType::F32
                && s.momentum.moment_2.dtype() == DType::F32
        });
        let device = tensor.device();
        if !(is_host_device(&device)
            && tensor.dtype() == DType::F32
            && grad.dtype() == DType::F32
            && f32_state)
        {
            return self.device_adam.step(lr, tensor, grad, state);
        }
        let shape = tensor.shape();
        let mut param = host_vec(tensor);
        let grad = host_vec(grad);
        let (time, first, mut moment_1, mut moment_2) = match state {
            Some(AdamState { momentum: m }) => {
                let (m_1, m_2) = (host_vec(m.moment_1), host_vec(m.moment_2));
                (m.time + 1, false, m_1, m_2)
            }
            None => (1, true, vec![0.0; grad.len()], vec![0.0; grad.len()]),
        };
        let update = self.update(time, lr as f32, first);
        if param.len() >= PARALLEL_LEN {
            (
                param.par_chunks_mut(CHUNK),
                grad.par_chunks(CHUNK),
                moment_1.par_chunks_mut(CHUNK),
                moment_2.par_chunks_mut(CHUNK),
            )
                .into_par_iter()
                .for_each(|(p, g, m, v)| update.apply(p, g, m, v));
        } else {
            update.apply(&mut param, &grad, &mut moment_1, &mut moment_2);
        }
        let to_tensor = |values: Vec<f32>| {
            Tensor::<D>::from_data(TensorData::new(values, shape.clone()), &device)
        };
        let momentum = AdaptiveMomentumState::new(time, to_tensor(moment_1), to_tensor(moment_2));
        (to_tensor(param), Some(AdamState::new(momentum)))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        Adam::to_device(state, device)
    }
}

impl HostAdam {
    /// The per-step constants, computed as burn's `AdaptiveMomentum` computes them.
    fn update(&self, time: usize, lr: f32, first: bool) -> Update {
        let time_i = time as i32;
        let bias_correction2_sqrt = (1.0 - self.beta_2.powi(time_i)).sqrt();
        Update {
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            factor_1: 1.0 - self.beta_1,
            factor_2: 1.0 - self.beta_2,
            combined: bias_correction2_sqrt / (1.0 - self.beta_1.powi(time_i)),
            epsilon: self.epsilon * bias_correction2_sqrt,
            lr,
            first,
        }
    }
}

/// One step's constants; `apply` is burn's op sequence, element by element.
#[derive(Clone, Copy)]
struct Update {
    beta_1: f32,
    beta_2: f32,
    factor_1: f32,
    factor_2: f32,
    combined: f32,
    epsilon: f32,
    lr: f32,
    /// The first step sets the moments to `g·(1-β)` instead of decaying zeros (as burn does;
    /// the two differ only in the sign of zero).
    first: bool,
}

impl Update {
    fn apply(&self, param: &mut [f32], grad: &[f32], moment_1: &mut [f32], moment_2: &mut [f32]) {
        for (((p, &g), m), v) in param.iter_mut().zip(grad).zip(moment_1).zip(moment_2) {
            if self.first {
                *m = g * self.factor_1;
                *v = (g * g) * self.factor_2;
            } else {
                *m = *m * self.beta_1 + g * self.factor_1;
                *v = *v * self.beta_2 + (g * g) * self.factor_2;
            }
            let step = (*m * self.combined) / (v.sqrt() + self.epsilon);
            *p -= step * self.lr;
        }
    }
}

/// The f32 values of a host tensor (its dtype is checked by the caller).
fn host_vec<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .try_into_vec::<f32>()
        .expect("HostAdam::step checks every tensor is f32 before reading it")
}

#[cfg(test)]
mod tests {
    use burn::module::Param;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
    use burn::tensor::{Device, Tensor, TensorData};

    use super::HostAdam;

    fn burn_adam() -> ModuleOptimizer {
        AdamConfig::new().with_epsilon(1e-8).init()
    }

    fn host_adam() -> ModuleOptimizer {
        ModuleOptimizer::from(HostAdam::new(0.9, 0.999, 1e-8))
    }

    /// The bits of every parameter after `steps` Adam steps on a 300 → 300 linear layer (its
    /// weight takes the parallel path, its bias the serial one), with `first` for the first
    /// `switch` steps and then `then`, loaded from `first`'s record as a resumed run would.
    fn train(
        device: &Device,
        steps: usize,
        switch: usize,
        first: ModuleOptimizer,
        then: ModuleOptimizer,
    ) -> Vec<u32> {
        let device = device.clone().autodiff();
        // Fixed weights, not the device RNG: tests run in parallel and share its stream.
        let mut model: Linear = LinearConfig::new(300, 300).init(&device);
        model.weight = Param::from_tensor(pattern([300, 300], 7, &device));
        model.bias = Some(Param::from_tensor(pattern([300], 3, &device)));
        let mut optimizer = first;
        for step in 0..steps {
            if step == switch {
                optimizer = then.clone().load_record(optimizer.to_record());
            }
            let x = pattern([8, 300], step, &device);
            let loss = model.forward(x).sin().sum();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(1e-3, model, grads);
        }
        let mut bits = Vec::new();
        for tensor in [
            model.weight.val().flatten::<1>(0, 1),
            model.bias.unwrap().val(),
        ] {
            let data = tensor.into_data().try_to_vec::<f32>().unwrap();
            bits.extend(data.iter().map(|v| v.to_bits()));
        }
        bits
    }

    /// Values in [-1, 1) that vary with `offset`.
    fn pattern<const D: usize>(shape: [usize; D], offset: usize, device: &Device) -> Tensor<D> {
        let values = (0..shape.iter().product::<usize>())
            .map(|i| ((i * 37 + offset * 11) % 101) as f32 / 50.0 - 1.0)
            .collect::<Vec<_>>();
        Tensor::from_data(TensorData::new(values, shape), device)
    }

    /// How many values differ, and the largest difference in units in the last place.
    fn differences(a: &[u32], b: &[u32]) -> (usize, u32) {
        assert_eq!(a.len(), b.len());
        let ulps = a
            .iter()
            .zip(b)
            .map(|(x, y)| x.abs_diff(*y))
            .filter(|&d| d > 0);
        ulps.fold((0, 0), |(n, max), d| (n + 1, max.max(d)))
    }

    fn host_devices() -> Vec<Device> {
        #[allow(deprecated)]
        let ndarray = Device::ndarray();
        vec![Device::flex(), ndarray]
    }

    #[test]
    fn updates_are_bit_identical_to_burns_adam() {
        for device in host_devices() {
            let reference = train(&device, 6, usize::MAX, burn_adam(), burn_adam());
            let fused = train(&device, 6, usize::MAX, host_adam(), host_adam());
            assert_eq!(differences(&reference, &fused), (0, 0), "{device:?}");
            // The parameters moved: a no-op optimiser would not pass for the wrong reason.
            let untrained = train(&device, 0, usize::MAX, host_adam(), host_adam());
            assert_ne!(untrained, fused);
            let again = train(&device, 6, usize::MAX, burn_adam(), burn_adam());
            assert_eq!(
                differences(&reference, &again),
                (0, 0),
                "burn's Adam, twice"
            );
        }
    }

    #[test]
    fn checkpoints_resume_across_both_optimisers() {
        let device = Device::flex();
        let reference = train(&device, 6, usize::MAX, burn_adam(), burn_adam());
        let burn_then_host = train(&device, 6, 3, burn_adam(), host_adam());
        assert_eq!(differences(&reference, &burn_then_host), (0, 0));
        let host_then_burn = train(&device, 6, 3, host_adam(), burn_adam());
        assert_eq!(differences(&reference, &host_then_burn), (0, 0));
    }
}
