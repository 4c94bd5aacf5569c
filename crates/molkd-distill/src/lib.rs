//! # molkd-distill
//!
//! The losses of MolKD, as plain functions on burn tensors that check their inputs and
//! return `Result<Tensor<1>, DistillError>` (a one-element, differentiable loss):
//!
//! - [`reaction`]: teacher pre-training on reactions. MolR's margin loss
//!   ([`molr_margin_loss`], Wang et al. ICLR 2022), InfoNCE ([`info_nce_loss`]) and
//!   yield-aware forms ([`yield_weighted_margin_loss`], [`yield_adaptive_margin_loss`],
//!   [`yield_regression_loss`]), selected by [`ReactionLossConfig`].
//! - [`kd`]: reaction-to-molecule distillation from the frozen teacher to the student:
//!   feature alignment ([`feature_alignment_loss`]), contrastive ([`contrastive_kd_loss`]),
//!   relational ([`relational_kd_loss`]) and logit ([`logit_kd_loss`]) distillation,
//!   selected by [`KdConfig`].
//! - [`task`]: masked task losses ([`masked_bce_with_logits`], [`masked_mse`],
//!   [`masked_mae`]) for molecules with missing labels.
//!
//! Shape mismatches, too-small batches and out-of-range parameters (temperature ≤ 0,
//! negative margin, yields outside `[0, 1]`) are errors, never panics. Square roots of
//! squared norms are clamped at [`SQUARED_NORM_EPS`], so identical or zero vectors give
//! finite gradients.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use molkd_distill::{DEFAULT_MARGIN, ReactionLoss, ReactionLossConfig, molr_margin_loss};
//!
//! let device = Device::default();
//! let reactants = Tensor::<2>::from_floats([[0.0, 0.0], [3.0, 4.0]], &device);
//! let products = Tensor::<2>::from_floats([[0.0, 0.0], [3.0, 4.0]], &device);
//! // Positives at distance 0; the two negatives at distance 5 > γ = 4: no loss.
//! let loss = molr_margin_loss(reactants.clone(), products.clone(), DEFAULT_MARGIN).unwrap();
//! assert!(loss.into_scalar::<f32>() < 1e-5);
//!
//! let config = ReactionLossConfig::new().with_form("yield-weighted".parse().unwrap());
//! assert_eq!(config.form, ReactionLoss::YieldWeighted);
//! assert!(config.loss(reactants, products, None, None).is_err()); // needs yields
//! ```

pub mod blend;
pub mod error;
pub mod kd;
pub mod reaction;
pub mod self_supervised;
pub mod task;

mod check;
mod ops;

pub use error::{DistillError, Result};
pub use kd::{
    AlignKind, KdConfig, KdForm, KdInputs, contrastive_kd_loss, feature_alignment_loss,
    logit_kd_loss, relational_kd_loss,
};
pub use ops::SQUARED_NORM_EPS;
pub use reaction::{
    DEFAULT_MARGIN, DEFAULT_SLACK, DEFAULT_TEMPERATURE, ReactionLoss, ReactionLossConfig,
    info_nce_loss, molr_margin_loss, yield_adaptive_margin_loss, yield_regression_loss,
    yield_weighted_margin_loss,
};
pub use task::{masked_bce_with_logits, masked_mae, masked_mse};
