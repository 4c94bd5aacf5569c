//! Choosing the reaction pre-training loss from a configuration or the command line.

use std::fmt;
use std::str::FromStr;

use burn::config::Config;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{
    info_nce_loss, molr_margin_loss, yield_adaptive_margin_loss, yield_regression_loss,
    yield_weighted_margin_loss,
};
use crate::check;
use crate::error::{DistillError, Result};

/// Which reaction pre-training loss. Names (serde, [`FromStr`], [`fmt::Display`]): `molr`,
/// `yield-weighted`, `yield-adaptive-margin`, `yield-regression`, `info-nce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReactionLoss {
    /// [`molr_margin_loss`].
    #[default]
    Molr,
    /// [`yield_weighted_margin_loss`] (needs yields).
    YieldWeighted,
    /// [`yield_adaptive_margin_loss`] (needs yields).
    YieldAdaptiveMargin,
    /// [`molr_margin_loss`] `+ λ ·` [`yield_regression_loss`] (needs yields and the yield
    /// head's predictions).
    YieldRegression,
    /// [`info_nce_loss`].
    InfoNce,
}

impl ReactionLoss {
    /// Every form, in declaration order.
    pub const ALL: [ReactionLoss; 5] = [
        Self::Molr,
        Self::YieldWeighted,
        Self::YieldAdaptiveMargin,
        Self::YieldRegression,
        Self::InfoNce,
    ];

    /// The form's configuration and command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Molr => "molr",
            Self::YieldWeighted => "yield-weighted",
            Self::YieldAdaptiveMargin => "yield-adaptive-margin",
            Self::YieldRegression => "yield-regression",
            Self::InfoNce => "info-nce",
        }
    }

    /// Whether the form needs the measured yields.
    pub fn needs_yields(self) -> bool {
        matches!(
            self,
            Self::YieldWeighted | Self::YieldAdaptiveMargin | Self::YieldRegression
        )
    }

    /// Whether the form needs the yield head's predictions.
    pub fn needs_predicted_yields(self) -> bool {
        self == Self::YieldRegression
    }
}

impl fmt::Display for ReactionLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ReactionLoss {
    type Err = String;

    /// Accepts the kebab-case names, with `_` for `-` too.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let normalized = s.replace('_', "-");
        Self::ALL
            .into_iter()
            .find(|form| form.name() == normalized)
            .ok_or_else(|| {
                format!(
                    "unknown reaction loss `{s}` (expected one of: {})",
                    Self::ALL.map(Self::name).join(", ")
                )
            })
    }
}

/// Configuration of the reaction pre-training loss.
#[derive(Config, Debug)]
pub struct ReactionLossConfig {
    /// Which loss.
    #[config(default = "ReactionLoss::Molr")]
    pub form: ReactionLoss,
    /// Margin γ of the margin losses (MolR: 4).
    #[config(default = 4.0)]
    pub margin: f32,
    /// Slack `s` of [`ReactionLoss::YieldAdaptiveMargin`] (default γ/2 = 2).
    #[config(default = 2.0)]
    pub slack: f32,
    /// Temperature τ of [`ReactionLoss::InfoNce`].
    #[config(default = 0.1)]
    pub temperature: f32,
    /// Weight λ of the yield regression term of [`ReactionLoss::YieldRegression`].
    #[config(default = 1.0)]
    pub yield_weight: f32,
}

impl ReactionLossConfig {
    /// The configured loss of a batch of reactions.
    ///
    /// Shapes: `reactants` `[B, D]` and `products` `[B, D]` (summed embeddings per reaction),
    /// `yields` `[B]` (fractions in `[0, 1]`), `predicted_yields` `[B]` → `[1]`. Inputs the
    /// form does not use are ignored; a missing one it needs is a
    /// [`DistillError::MissingInput`].
    pub fn loss(
        &self,
        reactants: Tensor<2>,
        products: Tensor<2>,
        yields: Option<Tensor<1>>,
        predicted_yields: Option<Tensor<1>>,
    ) -> Result<Tensor<1>> {
        let missing = |input| DistillError::MissingInput {
            form: self.form.name().to_string(),
            input,
        };
        match self.form {
            ReactionLoss::Molr => molr_margin_loss(reactants, products, self.margin),
            ReactionLoss::YieldWeighted => yield_weighted_margin_loss(
                reactants,
                products,
                yields.ok_or_else(|| missing("yields"))?,
                self.margin,
            ),
            ReactionLoss::YieldAdaptiveMargin => yield_adaptive_margin_loss(
                reactants,
                products,
                yields.ok_or_else(|| missing("yields"))?,
                self.margin,
                self.slack,
            ),
            ReactionLoss::YieldRegression => {
                let predicted = predicted_yields.ok_or_else(|| missing("predicted yields"))?;
                let yields = yields.ok_or_else(|| missing("yields"))?;
                check::non_negative("yield_weight", self.yield_weight)?;
                let [rows, _] = reactants.dims();
                check::shape("predicted yields (one per reaction)", &predicted, &[rows])?;
                let margin = molr_margin_loss(reactants, products, self.margin)?;
                Ok(margin + yield_regression_loss(predicted, yields)? * self.yield_weight)
            }
            ReactionLoss::InfoNce => info_nce_loss(reactants, products, self.temperature),
        }
    }
}
