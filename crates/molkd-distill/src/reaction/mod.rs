//! Teacher pre-training on reactions: MolR's reaction-equivalence losses (Wang et al.,
//! "Chemical-Reaction-Aware Molecule Representation Learning", ICLR 2022) and yield-aware
//! variants.
//!
//! Every loss takes `reactants` `[B, D]` (the sum of the reactant embeddings of each reaction)
//! and `products` `[B, D]`; row `i` of both is reaction `i`, and the other rows of the batch
//! are its negatives.
//!
//! - [`molr_margin_loss`]: MolR's loss, exactly as its reference code.
//! - [`info_nce_loss`]: symmetric InfoNCE on cosine similarities.
//! - Yield-aware forms, with yields as fractions in `[0, 1]`. The MolKD paper's yield-aware
//!   formula is not available to us; these are this crate's own, documented options, and the
//!   two margin variants reduce exactly to [`molr_margin_loss`] when every yield is 1:
//!   - [`yield_weighted_margin_loss`]: positives weighted by yield;
//!   - [`yield_adaptive_margin_loss`]: low-yield positives only pulled to within a slack;
//!   - [`yield_regression_loss`]: MSE of an auxiliary yield head, added to MolR's loss by
//!     [`ReactionLoss::YieldRegression`].
//!
//! [`ReactionLossConfig`] selects one by name for a training loop.

mod config;
mod info_nce;
mod margin;
mod yield_regression;

pub use config::{ReactionLoss, ReactionLossConfig};
pub use info_nce::{DEFAULT_TEMPERATURE, info_nce_loss};
pub use margin::{
    DEFAULT_MARGIN, DEFAULT_SLACK, molr_margin_loss, yield_adaptive_margin_loss,
    yield_weighted_margin_loss,
};
pub use yield_regression::yield_regression_loss;
