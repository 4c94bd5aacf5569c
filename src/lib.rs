//! # molkd
//!
//! Molecular property prediction with reaction-to-molecule knowledge distillation (MolKD), in
//! pure Rust on [burn](https://burn.dev). This facade re-exports the workspace crates:
//!
//! - [`graph`]: SMILES / reaction parsing, featurisation, scaffolds, batching, message passing;
//! - [`models`]: encoders, readouts, heads, teacher and student models;
//! - [`distill`]: reaction pre-training, distillation and task losses;
//! - [`train`]: data sets, splits, metrics, training loops, checkpoints.
//!
//! Backends are chosen at run time through [`burn::tensor::Device`]; the cargo features `flex`,
//! `ndarray` (CPU) and `wgpu` (GPU) decide which are compiled in. [`default_cpu_device`] gives
//! the fastest CPU backend built.

#[cfg(any(feature = "flex", feature = "ndarray"))]
pub mod cli;

pub use burn;
pub use molkd_distill as distill;
pub use molkd_graph as graph;
pub use molkd_models as models;
pub use molkd_train as train;

/// The default CPU device: flex when built (faster on our benches), else ndarray.
#[cfg(any(feature = "flex", feature = "ndarray"))]
pub fn default_cpu_device() -> burn::tensor::Device {
    #[cfg(feature = "flex")]
    {
        burn::tensor::Device::flex()
    }
    #[cfg(all(not(feature = "flex"), feature = "ndarray"))]
    #[allow(deprecated)]
    {
        burn::tensor::Device::ndarray()
    }
}
