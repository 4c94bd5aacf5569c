//! Command-line arguments shared by the `molkd` binary and the examples, so both take the
//! same flags and defaults. The logic lives in `molkd-train`.

use std::path::PathBuf;

use clap::Args;

use crate::distill::{ReactionLoss, ReactionLossConfig};
use crate::graph::FeatureScheme;
use crate::models::{ConvKind, TeacherModelConfig};
use crate::train::Result;
use crate::train::data::{ReactionFormat, ReactionLoadOptions, data_dir, default_cache_dir};
use crate::train::optim::OptimConfig;
use crate::train::pretrain::TeacherPretrainConfig;
use crate::train::pretrain::job::PretrainJob;

/// `molkd pretrain-teacher`: pre-train a reaction teacher (defaults: USPTO yields, GCN 2 × 256,
/// InfoNCE — the best form in the README's ablation — 5 epochs, about 20 min on 2 CPU cores).
#[derive(Debug, Clone, Args)]
pub struct PretrainTeacherArgs {
    /// Reaction file (default: $MOLKD_DATA_DIR/reactions/uspto_yields_above.csv.xz).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Layout of the file: uspto-yields, buchwald-hartwig, suzuki-miyaura or jin.
    #[arg(long, default_value = "uspto-yields")]
    pub format: ReactionFormat,
    /// Output directory (run/ checkpoints, teacher/ model, report.json, report.md).
    #[arg(long, default_value = "results/teacher")]
    pub out: PathBuf,
    /// Loss: info-nce, molr, yield-weighted, yield-adaptive-margin or yield-regression.
    /// Default by measurement (README ablation): info-nce had the best retrieval and yield
    /// correlation; yield-weighted is the best of the yield-aware margin forms.
    #[arg(long, default_value = "info-nce")]
    pub loss: ReactionLoss,
    /// Margin γ of the margin losses.
    #[arg(long, default_value_t = 4.0)]
    pub margin: f32,
    /// Slack of the yield-adaptive margin.
    #[arg(long, default_value_t = 2.0)]
    pub slack: f32,
    /// Temperature of InfoNCE.
    #[arg(long, default_value_t = 0.1)]
    pub temperature: f32,
    /// Weight of the yield regression term.
    #[arg(long, default_value_t = 1.0)]
    pub yield_weight: f32,
    /// Layer: gcn, gin, sage, sage-pool, gat[:heads], tag[:hops].
    #[arg(long, default_value = "gcn")]
    pub conv: ConvKind,
    /// Message-passing layers.
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    /// Embedding width (MolR: 1024; 256 keeps a CPU run under an hour).
    #[arg(long, default_value_t = 256)]
    pub dim: usize,
    /// Feature scheme of the teacher's molecules: pretrain-gnns (the student's; has the
    /// self-loop bond category GCN / GIN need) or ogb (with sage, gat or tag).
    #[arg(long, default_value = "pretrain-gnns")]
    pub scheme: FeatureScheme,
    /// Epochs.
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    /// Reactions per step.
    #[arg(long, default_value_t = 512)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Per-tensor gradient norm clip.
    #[arg(long)]
    pub grad_clip: Option<f32>,
    /// Run seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Use at most this many training reactions.
    #[arg(long)]
    pub max_train: Option<usize>,
    /// Score at most this many test reactions.
    #[arg(long)]
    pub max_test: Option<usize>,
    /// Validation reactions scored after each epoch.
    #[arg(long, default_value_t = 2000)]
    pub eval_size: usize,
    /// Drop reactant components that appear unchanged among the products.
    #[arg(long)]
    pub drop_unchanged_reactants: bool,
    /// Continue from the latest checkpoint in OUT/run.
    #[arg(long)]
    pub resume: bool,
    /// Featurised-reaction cache directory (default: $MOLKD_CACHE_DIR or ~/.cache/molkd).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Do not cache featurised reactions.
    #[arg(long)]
    pub no_cache: bool,
}

impl PretrainTeacherArgs {
    /// The job these arguments describe.
    pub fn job(&self) -> Result<PretrainJob> {
        let format = self.format;
        let data = match &self.data {
            Some(p) => p.clone(),
            None => data_dir(None)?.join("reactions/uspto_yields_above.csv.xz"),
        };
        let featurizer = self.scheme.featurizer();
        let model = TeacherModelConfig::new(
            featurizer.atom_vocab_sizes().to_vec(),
            featurizer.bond_vocab_sizes().to_vec(),
        )
        .with_conv(self.conv)
        .with_num_layers(self.layers)
        .with_d_model(self.dim)
        .with_yield_head(self.loss.needs_predicted_yields());
        let loss = ReactionLossConfig::new()
            .with_form(self.loss)
            .with_margin(self.margin)
            .with_slack(self.slack)
            .with_temperature(self.temperature)
            .with_yield_weight(self.yield_weight);
        let optim = OptimConfig::new()
            .with_epochs(self.epochs)
            .with_batch_size(self.batch_size)
            .with_lr(self.lr)
            .with_seed(self.seed)
            .with_grad_clip(self.grad_clip);
        let config = TeacherPretrainConfig::new(model, loss, optim).with_eval_size(self.eval_size);
        let cache = if self.no_cache {
            None
        } else {
            self.cache_dir.clone().or_else(default_cache_dir)
        };
        let mut load = ReactionLoadOptions::default().cache_in(cache);
        load.drop_unchanged_reactants = self.drop_unchanged_reactants;
        Ok(PretrainJob {
            data,
            format,
            scheme: self.scheme,
            out: self.out.clone(),
            config,
            max_train: self.max_train,
            max_test: self.max_test,
            resume: self.resume,
            load,
        })
    }
}
