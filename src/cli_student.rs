//! `molkd pretrain-student`: pre-training of the GIN student's encoder: pretrain-gnns'
//! self-supervised attribute masking or context prediction on the distinct molecules of
//! reaction files, or the teacher's reaction pre-training with the student's architecture.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{DeviceArgs, ExistingRunArgs};
use crate::distill::{ReactionLoss, ReactionLossConfig};
use crate::graph::FeatureScheme;
use crate::models::{ConvKind, GnnPretrainMethod, TeacherEncoderKind, TeacherModelConfig};
use crate::train::data::{
    MoleculeSource, ReactionFormat, ReactionLoadOptions, data_dir, default_cache_dir,
};
use crate::train::optim::OptimConfig;
use crate::train::pretrain::TeacherPretrainConfig;
use crate::train::pretrain::job::PretrainJob;
use crate::train::pretrain::student::{StudentPretext, StudentPretrainConfig};
use crate::train::pretrain::student_job::StudentPretrainJob;
use crate::train::{Result, TrainError};

/// The reaction files pre-trained on by default, under `$MOLKD_DATA_DIR`: USPTO with yields
/// and Jin et al.'s USPTO-480k validation and test sets.
pub const DEFAULT_MOLECULE_SOURCES: [(ReactionFormat, &str); 3] = [
    (
        ReactionFormat::UsptoYields,
        "reactions/uspto_yields_above.csv.xz",
    ),
    (
        ReactionFormat::Jin,
        "reactions/uspto_480k_jin/valid.txt.tar.gz",
    ),
    (
        ReactionFormat::Jin,
        "reactions/uspto_480k_jin/test.txt.tar.gz",
    ),
];

fn parse_source(s: &str) -> std::result::Result<MoleculeSource, String> {
    let (format, path) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}`: give FORMAT:PATH, e.g. jin:valid.txt.tar.gz"))?;
    Ok(MoleculeSource {
        format: format.parse().map_err(|e| format!("`{s}`: {e}"))?,
        path: PathBuf::from(path),
    })
}

/// Which pre-training (`--method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StudentPretrainMethod {
    /// Attribute masking (Hu et al. 2020) on the reaction files' molecules.
    AttrMasking,
    /// Context prediction (Hu et al. 2020) on the reaction files' molecules.
    ContextPred,
    /// Reaction equivalence (the teacher's loop and InfoNCE loss) with the student's GIN as
    /// encoder, on one reaction file (default USPTO with yields); writes `teacher/`.
    Reaction,
}

/// The job `pretrain-student` runs.
#[derive(Debug, Clone)]
pub enum StudentPretrainRun {
    /// Attribute masking or context prediction.
    Pretext(StudentPretrainJob),
    /// Reaction pre-training of a student-form teacher.
    Reaction(PretrainJob),
}

/// Flags of `molkd pretrain-student` (defaults: pretrain-gnns' settings for the GIN 5 × 300,
/// over the distinct molecules of USPTO with yields and USPTO-480k valid + test).
#[derive(Debug, Clone, Args)]
pub struct PretrainStudentArgs {
    /// attr-masking, context-pred or reaction.
    #[arg(long, value_enum)]
    pub method: StudentPretrainMethod,
    /// Reaction files as FORMAT:PATH, repeatable (formats: uspto-yields, buchwald-hartwig,
    /// suzuki-miyaura, jin) [default: USPTO yields, Jin valid and test under
    /// $MOLKD_DATA_DIR/reactions].
    #[arg(long = "data", value_parser = parse_source, value_name = "FORMAT:PATH")]
    pub data: Vec<MoleculeSource>,
    /// Output directory (run/ checkpoints, model/, report.json, report.md).
    #[arg(long, default_value = "results/pretrain-student")]
    pub out: PathBuf,
    /// Attribute masking: share of atoms masked [default: 0.15].
    #[arg(long)]
    pub mask_rate: Option<f64>,
    /// Attribute masking: also mask and predict the bonds of masked atoms.
    #[arg(long)]
    pub mask_bonds: bool,
    /// Context prediction: hops of the context ring (r2 − r1; also the context GNN's layers)
    /// [default: 3].
    #[arg(long)]
    pub context_size: Option<usize>,
    /// Context prediction: negative contexts per substructure [default: 1].
    #[arg(long)]
    pub negatives: Option<usize>,
    /// Message-passing layers of the GIN (also the substructure radius k).
    #[arg(long, default_value_t = 5)]
    pub layers: usize,
    /// Width.
    #[arg(long, default_value_t = 300)]
    pub dim: usize,
    /// Epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Molecules per step [default: 256; reactions per step for --method reaction: 512].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Run seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Seed of the held-out draw [default: 0].
    #[arg(long)]
    pub split_seed: Option<u64>,
    /// Validation molecules held out [default: 2000].
    #[arg(long)]
    pub valid_size: Option<usize>,
    /// Test molecules held out and scored at the end [default: 2000].
    #[arg(long)]
    pub test_size: Option<usize>,
    /// Validation molecules scored after every epoch.
    #[arg(long, default_value_t = 2000)]
    pub eval_size: usize,
    /// Pre-train on at most this many molecules.
    #[arg(long)]
    pub max_train: Option<usize>,
    /// Featurised-reaction cache directory (default: $MOLKD_CACHE_DIR or ~/.cache/molkd).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Do not cache featurised reactions.
    #[arg(long)]
    pub no_cache: bool,
    /// What to do with an earlier run in OUT.
    #[command(flatten)]
    pub existing: ExistingRunArgs,
    /// Backend.
    #[command(flatten)]
    pub device: DeviceArgs,
}

impl PretrainStudentArgs {
    /// The job these arguments describe, or an error naming flags of another method.
    pub fn job(&self) -> Result<StudentPretrainRun> {
        let pretext = match self.method {
            StudentPretrainMethod::AttrMasking => StudentPretext::AttrMasking,
            StudentPretrainMethod::ContextPred => StudentPretext::ContextPred,
            StudentPretrainMethod::Reaction => {
                return self.reaction_job().map(StudentPretrainRun::Reaction);
            }
        };
        self.pretext_job(pretext).map(StudentPretrainRun::Pretext)
    }

    fn cache(&self) -> Option<PathBuf> {
        if self.no_cache {
            None
        } else {
            self.cache_dir.clone().or_else(default_cache_dir)
        }
    }

    /// Reaction pre-training of the student's architecture: the teacher job with a
    /// student-form GIN and pretrain-teacher's defaults (InfoNCE at τ 0.1, batch 512).
    fn reaction_job(&self) -> Result<PretrainJob> {
        let flags = [
            ("--mask-rate", self.mask_rate.is_some()),
            ("--mask-bonds", self.mask_bonds),
            ("--context-size", self.context_size.is_some()),
            ("--negatives", self.negatives.is_some()),
            ("--valid-size", self.valid_size.is_some()),
            ("--test-size", self.test_size.is_some()),
            ("--split-seed", self.split_seed.is_some()),
        ];
        let given: Vec<&str> = flags.iter().filter(|f| f.1).map(|f| f.0).collect();
        if !given.is_empty() {
            return Err(TrainError::Invalid(format!(
                "{} do not apply to --method reaction (it holds out the file's test split)",
                given.join(", ")
            )));
        }
        let source = match self.data.as_slice() {
            [] => MoleculeSource {
                format: ReactionFormat::UsptoYields,
                path: data_dir(None)?.join(DEFAULT_MOLECULE_SOURCES[0].1),
            },
            [one] => one.clone(),
            _ => {
                return Err(TrainError::Invalid(
                    "--method reaction trains on one reaction file: give one --data".into(),
                ));
            }
        };
        let scheme = FeatureScheme::PretrainGnns;
        let f = scheme.featurizer();
        let model =
            TeacherModelConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
                .with_conv(ConvKind::Gin)
                .with_num_layers(self.layers)
                .with_d_model(self.dim)
                .with_encoder(Some(TeacherEncoderKind::Student));
        let loss = ReactionLossConfig::new().with_form(ReactionLoss::InfoNce);
        let optim = OptimConfig::new()
            .with_epochs(self.epochs)
            .with_batch_size(self.batch_size.unwrap_or(512))
            .with_lr(self.lr)
            .with_seed(self.seed);
        Ok(PretrainJob {
            data: source.path,
            format: source.format,
            scheme,
            out: self.out.clone(),
            config: TeacherPretrainConfig::new(model, loss, optim).with_eval_size(self.eval_size),
            max_train: self.max_train,
            max_test: None,
            existing: self.existing.existing(),
            load: ReactionLoadOptions::default().cache_in(self.cache()),
        })
    }

    fn pretext_job(&self, pretext: StudentPretext) -> Result<StudentPretrainJob> {
        let sources = if self.data.is_empty() {
            let dir = data_dir(None)?;
            DEFAULT_MOLECULE_SOURCES
                .iter()
                .map(|&(format, path)| MoleculeSource {
                    format,
                    path: dir.join(path),
                })
                .collect()
        } else {
            self.data.clone()
        };
        let (masking, context) = (
            [
                ("--mask-rate", self.mask_rate.is_some()),
                ("--mask-bonds", self.mask_bonds),
            ],
            [
                ("--context-size", self.context_size.is_some()),
                ("--negatives", self.negatives.is_some()),
            ],
        );
        let (other, method) = match pretext {
            StudentPretext::AttrMasking => (&context[..], "context-pred"),
            StudentPretext::ContextPred => (&masking[..], "attr-masking"),
        };
        let given: Vec<&str> = other.iter().filter(|f| f.1).map(|f| f.0).collect();
        if !given.is_empty() {
            return Err(TrainError::Invalid(format!(
                "{} only apply to --method {method}",
                given.join(", ")
            )));
        }
        let featurizer = FeatureScheme::PretrainGnns.featurizer();
        let mut config =
            StudentPretrainConfig::pretrain_gnns(featurizer, pretext, self.mask_bonds, self.epochs);
        config.model.encoder.num_layers = self.layers;
        config.model.encoder.d_model = self.dim;
        config.mask_rate = self.mask_rate.unwrap_or(config.mask_rate);
        config.context_size = self.context_size.unwrap_or(config.context_size);
        config.negatives = self.negatives.unwrap_or(config.negatives);
        if let GnnPretrainMethod::ContextPred { context_layers } = &mut config.model.method {
            *context_layers = config.context_size;
        }
        config.eval_size = self.eval_size;
        let o = &mut config.optim;
        o.batch_size = self.batch_size.unwrap_or(o.batch_size);
        o.lr = self.lr;
        o.seed = self.seed;
        Ok(StudentPretrainJob {
            sources,
            out: self.out.clone(),
            config,
            valid_size: self.valid_size.unwrap_or(2000),
            test_size: self.test_size.unwrap_or(2000),
            split_seed: self.split_seed.unwrap_or(0),
            max_train: self.max_train,
            load: ReactionLoadOptions::default().cache_in(self.cache()),
            existing: self.existing.existing(),
        })
    }
}
