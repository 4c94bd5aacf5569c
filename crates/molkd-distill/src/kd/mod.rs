//! Reaction-to-molecule distillation: a student `[B, D]` learns from a frozen, reaction-aware
//! teacher `[B, D']` on the same molecules (row `i` of both is molecule `i`).
//!
//! The caller passes the teacher's tensors already detached; these functions do not detach.
//!
//! - [`feature_alignment_loss`]: MSE (optionally on unit rows) or `1 − cos`, equal widths.
//! - [`contrastive_kd_loss`]: InfoNCE, student row against the teacher rows.
//! - [`relational_kd_loss`]: KL between in-batch similarity distributions, any widths.
//! - [`logit_kd_loss`]: tempered sigmoid targets for multi-label binary tasks.
//!
//! [`KdConfig`] selects one by name for a training loop.

mod align;
mod config;
mod contrastive;
mod logit;
mod relational;

pub use align::{AlignKind, feature_alignment_loss};
pub use config::{KdConfig, KdForm, KdInputs};
pub use contrastive::contrastive_kd_loss;
pub use logit::logit_kd_loss;
pub use relational::relational_kd_loss;
