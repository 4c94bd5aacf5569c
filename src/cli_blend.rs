//! `molkd pretrain-blend` and `examples/pretrain_moleblend.rs`: MoleBLEND's blend-then-predict
//! pre-training of the relation Transformer on QM9 with its DFT geometries.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{DeviceArgs, ExistingRunArgs};
use crate::distill::blend::BlendLossConfig;
use crate::graph::FeatureScheme;
use crate::models::{BlendConfig, BlendPartition};
use crate::train::benchmark::QM9_FILE;
use crate::train::data::data_dir;
use crate::train::pretrain::blend::BlendPretrainConfig;
use crate::train::pretrain::blend_job::BlendJob;
use crate::train::{Result, TrainError};

/// What the pre-training asks the model to do (`--objective`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BlendObjective {
    /// MoleBLEND: pairs blended SPD / edge / 3D at 0.2 / 0.2 / 0.6, atoms degree / 3D at
    /// 0.4 / 0.6, noise 0.2 Å, all four losses (0.1 / 0.1 / 0.5 / 6).
    Blend,
    /// 2D only: pairs blended SPD / edge at 0.5 / 0.5, degree node features, no 3D input;
    /// SPD and edge recovery (0.1 / 0.1).
    #[value(name = "2d")]
    TwoD,
    /// 3D only (Transformer-M-style denoising): every pair and atom 3D, noise 0.2 Å, the
    /// denoising loss alone (6).
    #[value(name = "3d")]
    ThreeD,
}

impl BlendObjective {
    /// The blend and loss weights of the objective.
    pub fn settings(self) -> (BlendConfig, BlendLossConfig) {
        let blend = BlendConfig::new();
        let loss = BlendLossConfig::new();
        match self {
            BlendObjective::Blend => (blend, loss),
            BlendObjective::TwoD => (
                blend
                    .with_pair_probs([0.5, 0.5, 0.0])
                    .with_node_3d_prob(0.0),
                loss.with_direction_weight(0.0).with_denoise_weight(0.0),
            ),
            BlendObjective::ThreeD => (
                blend
                    .with_pair_probs([0.0, 0.0, 1.0])
                    .with_node_3d_prob(1.0),
                loss.with_spd_weight(0.0)
                    .with_edge_weight(0.0)
                    .with_direction_weight(0.0),
            ),
        }
    }
}

fn parse_probs(s: &str) -> std::result::Result<[f64; 3], String> {
    let values: Vec<f64> = s
        .split(',')
        .map(|t| {
            t.trim()
                .parse::<f64>()
                .map_err(|_| format!("`{t}` in `{s}` is not a number"))
        })
        .collect::<std::result::Result<_, _>>()?;
    <[f64; 3]>::try_from(values).map_err(|_| format!("`{s}`: give three probabilities SPD,EDGE,3D"))
}

/// Flags of `molkd pretrain-blend` (defaults: §9.3's CPU-sized run, 10 epochs over the
/// 110,000 training molecules of QM9's split 0).
#[derive(Debug, Clone, Args)]
pub struct PretrainBlendArgs {
    /// QM9 file with geometries (default: $MOLKD_DATA_DIR/3d/qm9_full.csv.gz).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output directory (run/ checkpoints, model/, report.json, report.md).
    #[arg(long, default_value = "results/pretrain-blend")]
    pub out: PathBuf,
    /// blend (MoleBLEND), 2d (SPD / edge blending only) or 3d (denoising only).
    #[arg(long, value_enum, default_value = "blend")]
    pub objective: BlendObjective,
    /// Pair modality probabilities SPD,EDGE,3D [default: the objective's].
    #[arg(long, value_parser = parse_probs, value_name = "P,P,P")]
    pub pair_probs: Option<[f64; 3]>,
    /// Probability of the 3D node feature [default: the objective's].
    #[arg(long)]
    pub node_3d_prob: Option<f64>,
    /// Coordinate noise σ, Å.
    #[arg(long, default_value_t = 0.2)]
    pub noise: f64,
    /// Draw a pair partition per molecule (the original: one per batch).
    #[arg(long)]
    pub per_molecule: bool,
    /// Draw (i, j) and (j, i) together (the original: independently).
    #[arg(long)]
    pub symmetric: bool,
    /// Weights of the SPD, edge, direction and denoising losses [default: the objective's].
    #[arg(long, value_name = "W")]
    pub spd_weight: Option<f64>,
    /// Weight of the edge-path loss.
    #[arg(long, value_name = "W")]
    pub edge_weight: Option<f64>,
    /// Weight of the direction loss.
    #[arg(long, value_name = "W")]
    pub direction_weight: Option<f64>,
    /// Weight of the denoising loss.
    #[arg(long, value_name = "W")]
    pub denoise_weight: Option<f64>,
    /// One denoising readout for the three axes (equivariant; the original has three).
    #[arg(long)]
    pub shared_denoise_readout: bool,
    /// Encoder blocks.
    #[arg(long, default_value_t = 4)]
    pub layers: usize,
    /// Encoder width (and FFN width).
    #[arg(long, default_value_t = 128)]
    pub dim: usize,
    /// Attention heads.
    #[arg(long, default_value_t = 8)]
    pub heads: usize,
    /// Side r of the heads' pair trunks.
    #[arg(long, default_value_t = 16)]
    pub rank: usize,
    /// Epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Molecules per step.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Peak learning rate (Adam; warm-up then cosine).
    #[arg(long, default_value_t = 2e-4)]
    pub lr: f64,
    /// Warm-up epochs [default: a tenth of the epochs].
    #[arg(long)]
    pub warmup_epochs: Option<usize>,
    /// Run seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Seed of QM9's random split (fine-tune QM9 on the same split seed).
    #[arg(long, default_value_t = 0)]
    pub split_seed: u64,
    /// Training molecules of the split.
    #[arg(long, default_value_t = 110_000)]
    pub train_size: usize,
    /// Validation molecules of the split.
    #[arg(long, default_value_t = 10_000)]
    pub valid_size: usize,
    /// Read only the first rows of the file.
    #[arg(long)]
    pub max_rows: Option<usize>,
    /// Pre-train on at most this many of the split's training molecules.
    #[arg(long)]
    pub max_train: Option<usize>,
    /// Validation molecules scored after every epoch.
    #[arg(long, default_value_t = 2000)]
    pub eval_size: usize,
    /// Test molecules scored at the end, trained against untrained.
    #[arg(long, default_value_t = 2000)]
    pub test_size: usize,
    /// What to do with an earlier run in OUT.
    #[command(flatten)]
    pub existing: ExistingRunArgs,
    /// Backend.
    #[command(flatten)]
    pub device: DeviceArgs,
}

impl PretrainBlendArgs {
    /// The job these arguments describe.
    pub fn job(&self) -> Result<BlendJob> {
        let data = match &self.data {
            Some(path) => path.clone(),
            None => data_dir(None)?.join(QM9_FILE),
        };
        let mut config = BlendPretrainConfig::cpu(FeatureScheme::Ogb.featurizer());
        let (blend, loss) = self.objective.settings();
        config.blend = blend
            .with_noise_std(self.noise)
            .with_partition(if self.per_molecule {
                BlendPartition::PerMolecule
            } else {
                BlendPartition::PerBatch
            })
            .with_symmetric(self.symmetric);
        if let Some(p) = self.pair_probs {
            config.blend.pair_probs = p;
        }
        if let Some(p) = self.node_3d_prob {
            config.blend.node_3d_prob = p;
        }
        config.loss = loss;
        let l = &mut config.loss;
        l.spd_weight = self.spd_weight.unwrap_or(l.spd_weight);
        l.edge_weight = self.edge_weight.unwrap_or(l.edge_weight);
        l.direction_weight = self.direction_weight.unwrap_or(l.direction_weight);
        l.denoise_weight = self.denoise_weight.unwrap_or(l.denoise_weight);
        config.blend.validate().map_err(TrainError::Invalid)?;
        let m = &mut config.model;
        m.rank = self.rank;
        m.shared_denoise_readout = self.shared_denoise_readout;
        let t = &mut m.transformer;
        (t.num_layers, t.d_model, t.ffn_dim, t.heads) =
            (self.layers, self.dim, self.dim, self.heads);
        let o = &mut config.optim;
        o.epochs = self.epochs;
        o.batch_size = self.batch_size;
        o.lr = self.lr;
        o.seed = self.seed;
        o.warmup_epochs = self
            .warmup_epochs
            .unwrap_or(self.epochs.div_ceil(10).min(self.epochs.saturating_sub(1)));
        config.eval_size = self.eval_size;
        Ok(BlendJob {
            data,
            out: self.out.clone(),
            config,
            train_size: self.train_size,
            valid_size: self.valid_size,
            split_seed: self.split_seed,
            max_rows: self.max_rows,
            max_train: self.max_train,
            test_size: self.test_size,
            existing: self.existing.existing(),
        })
    }
}
