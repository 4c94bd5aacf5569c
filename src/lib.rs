//! # molkd
//!
//! Molecular property prediction with reaction-to-molecule knowledge distillation (MolKD), in
//! pure Rust on [burn](https://burn.dev). This facade re-exports the workspace crates:
//!
//! - [`graph`]: SMILES / reaction parsing, featurisation, scaffolds, batching, message passing;
//! - [`models`]: encoders, readouts, heads, teacher and student models;
//! - [`distill`]: reaction pre-training, distillation and task losses;
//! - [`train`]: data sets, splits, metrics, training loops, checkpoints;
//! - [`prelude`]: what a training or prediction program needs most.
//!
//! The molecule model ([`models::StudentModel`], the pretrain-gnns GIN 5 × 300 by default) on
//! a batch of two molecules, untrained:
//!
//! ```
//! use molkd::prelude::*;
//! use molkd::graph::MoleculeCollate;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let device = molkd::default_cpu_device();
//! let scheme = FeatureScheme::PretrainGnns;
//! let config = FinetuneConfig::protocol(scheme.featurizer(), 1).model;
//! let model = config.init(&device)?;
//! let graphs = [scheme.featurizer().featurize("CCO")?, scheme.featurizer().featurize("c1ccccc1N")?];
//! let collate: MoleculeCollate = model.collate(scheme.featurizer());
//! let batch = collate.collate(graphs.iter(), &device)?;
//! model.check(&batch)?;
//! let logits = model.infer(&batch).predictions; // [2, 1]
//! assert_eq!(logits.dims(), [2, 1]);
//! # Ok(())
//! # }
//! ```
//!
//! Backends are chosen at run time through [`burn::tensor::Device`]; the cargo features `flex`,
//! `ndarray` (CPU) and `wgpu` (GPU) decide which are compiled in. [`default_cpu_device`] gives
//! the fastest CPU backend built; [`DeviceChoice`] picks one by name (`--device` of the CLI
//! and the examples).
//!
//! Cargo features: `flex`, `ndarray` (default), `wgpu`, `vulkan`, `cuda` (backends); `cli`
//! (default: the `molkd` binary and the modules the examples share, with clap, progress bars
//! and mimalloc) and `plots` (default: learning curves as SVG, plotters). A project that only
//! trains and predicts through the library can depend on
//! `molkd = { version = "0.1", default-features = false, features = ["flex"] }`.

#[cfg(all(feature = "cli", any(feature = "flex", feature = "ndarray")))]
pub mod cli;
#[cfg(feature = "cli")]
pub mod cli_blend;
#[cfg(feature = "cli")]
pub mod cli_student;
mod device;

pub use device::{DeviceChoice, DeviceNotBuilt};

pub use burn;

/// What a program training or using molkd models needs most, in one `use molkd::prelude::*`:
/// the device, data sets and splits, the fine-tuning protocol and run, and the predictor.
///
/// ```no_run
/// use molkd::prelude::*;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let predictor = Predictor::load("results/bbbp/model".as_ref(), &Device::default())?;
/// let probabilities = predictor.predict_smiles(&["CCO"])?;
/// # Ok(())
/// # }
/// ```
pub mod prelude {
    pub use burn::tensor::Device;
    pub use molkd_graph::{FeatureScheme, Featurizer};
    pub use molkd_models::{Checkpointed, StudentModel, StudentModelConfig};
    pub use molkd_train::split::{
        Split, SplitFractions, SplitKind, random_scaffold_split, random_split, scaffold_split,
    };
    pub use molkd_train::{
        CsvSpec, ExistingRun, Finetune, FinetuneConfig, FinetuneEpoch, Finetuned, ModelCard,
        MoleculeDataset, OptimConfig, Predictor, RunDir, TaskType, TrainError, data_dir,
        dataset_spec,
    };
}
#[cfg(feature = "mimalloc")]
#[doc(hidden)]
pub use mimalloc;
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

/// Makes [mimalloc](https://github.com/microsoft/mimalloc) the global allocator of the binary
/// it is invoked in (at module level, once). molkd's CLI, examples and benches use it: a
/// training step allocates and frees tensors of a few MB many times over, and glibc's malloc
/// hands such blocks back to the kernel and faults them in again. With mimalloc the 5 × 300
/// student's training step ran 5–15 % faster here on 128- and 256-molecule batches (no change
/// at 32; docs/performance.md, "Where the time goes").
/// A library never picks the allocator for its users, so this is a macro for binaries.
///
/// ```
/// molkd::use_mimalloc!();
/// fn main() {
///     let v = vec![0f32; 1 << 20];
///     assert_eq!(v.len(), 1 << 20);
/// }
/// ```
#[cfg(feature = "mimalloc")]
#[macro_export]
macro_rules! use_mimalloc {
    () => {
        #[global_allocator]
        static MOLKD_GLOBAL_ALLOCATOR: $crate::mimalloc::MiMalloc = $crate::mimalloc::MiMalloc;
    };
}

/// Keeps memory that mimalloc has freed committed, instead of handing it back to the kernel
/// after a delay (mimalloc's `purge_delay` option set to -1, as `MIMALLOC_PURGE_DELAY=-1`
/// would). A training step frees and reallocates multi-MB tensor buffers; purged ones come
/// back as page faults and kernel zeroing of fresh pages. Keeping them made GIN training
/// 3–6 % faster here (docs/performance.md, "Where the time goes"); the price is that resident
/// memory stays at its peak. molkd's CLI and examples call it first thing in `main`, before any
/// thread starts (mimalloc's option setter is not thread-safe). It only matters where mimalloc
/// is the global allocator ([`use_mimalloc!`]); an explicit `MIMALLOC_PURGE_DELAY` wins.
#[cfg(feature = "mimalloc")]
pub fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option, before any other thread exists (see above).
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
    }
}

/// `mi_option_purge_delay`: position 15 of `mi_option_e` in both the v2 and the v3 headers of
/// the mimalloc that libmimalloc-sys builds, which does not export it as a constant.
#[cfg(feature = "mimalloc")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
