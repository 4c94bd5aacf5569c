//! Reading a module's gradients back to the host: for comparing backends, checking a custom
//! op's backward, or inspecting what a step would change.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Gradients, Tensor};

/// The gradient of every trainable parameter of `module` that has one in `grads`, flattened,
/// in the module's visiting order (running statistics and other constants have none).
///
/// ```
/// use burn::nn::LinearConfig;
/// use burn::tensor::{Device, Tensor};
/// let device = Device::flex().autodiff();
/// let linear = LinearConfig::new(3, 2).init(&device);
/// let grads = linear.forward(Tensor::<2>::ones([4, 3], &device)).sum().backward();
/// let g = molkd_models::parameter_gradients(&linear, &grads);
/// assert_eq!(g.iter().map(Vec::len).collect::<Vec<_>>(), [6, 2]); // weight, bias
/// assert!(g[1].iter().all(|&v| v == 4.0)); // d(Σ y)/d bias = batch size
/// ```
pub fn parameter_gradients<M: Module>(module: &M, grads: &Gradients) -> Vec<Vec<f32>> {
    let mut collect = Collect {
        grads,
        out: Vec::new(),
    };
    module.visit(&mut collect);
    collect.out
}

struct Collect<'a> {
    grads: &'a Gradients,
    out: Vec<Vec<f32>>,
}

impl ModuleVisitor for Collect<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = param.val().grad(self.grads)
            && let Ok(values) = g.into_data().try_to_vec_as::<f32>()
        {
            self.out.push(values);
        }
    }
}
