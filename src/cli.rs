//! Command-line arguments shared by the `molkd` binary and the examples, so both take the
//! same flags and defaults. The logic lives in `molkd-train`.

use std::path::PathBuf;

use burn::tensor::Device;
use clap::Args;

use crate::DeviceChoice;
use crate::distill::{KdConfig, KdForm, ReactionLoss, ReactionLossConfig};
use crate::graph::FeatureScheme;
use crate::models::{
    ConvKind, EncoderConfig, RelationModality, RelationTransformerConfig, TeacherEncoderKind,
    TeacherModelConfig,
};
use crate::train::benchmark::{BenchmarkJob, BenchmarkSet, Qm9Benchmark, run_benchmark};
use crate::train::data::{
    Qm9Target, ReactionFormat, ReactionLoadOptions, TaskType, data_dir, dataset_spec,
    default_cache_dir,
};
use crate::train::finetune::{FinetuneConfig, PretrainedEncoder, relation_warmup_epochs};
use crate::train::optim::{LrSchedule, OptimConfig, OptimizerKind};
use crate::train::pretrain::TeacherPretrainConfig;
use crate::train::pretrain::job::PretrainJob;
use crate::train::run_dir::ExistingRun;
use crate::train::split::SplitKind;
use crate::train::train_job::TrainJob;
use crate::train::{Result, TrainError};

pub use crate::cli_blend::{BlendObjective, PretrainBlendArgs};
pub use crate::cli_student::PretrainStudentArgs;

/// `--device`: the backend a command runs on.
#[derive(Debug, Clone, Copy, Args)]
pub struct DeviceArgs {
    /// Backend: cpu (flex, else ndarray), flex, ndarray, wgpu (the default GPU adapter),
    /// wgpu:N (the N-th discrete GPU), vulkan (SPIR-V shaders), cuda or cuda:N; the GPU backends
    /// need a build with `--features wgpu`, `vulkan` or `cuda`.
    #[arg(long, default_value = "cpu")]
    pub device: DeviceChoice,
}

impl DeviceArgs {
    /// The chosen device, or an error naming the cargo feature that would build it.
    pub fn device(&self) -> Result<Device> {
        self.device
            .device()
            .map_err(|e| TrainError::Invalid(e.to_string()))
    }
}

/// `molkd pretrain-teacher`: pre-train a reaction teacher (defaults: USPTO yields, the student's
/// GIN 5 × 300 as the encoder, InfoNCE — the best form in the ablation of docs/benchmarks.md —
/// 1 epoch, about 20 min on one CPU core). The defaults are the teacher that distils best in
/// docs/benchmarks.md ("Teacher variants"); MolR's GCN 2 × 256 is `--conv gcn --layers 2 --dim
/// 256 --encoder plain --epochs 5`.
#[derive(Debug, Clone, Args)]
pub struct PretrainTeacherArgs {
    /// Reaction file (default: $MOLKD_DATA_DIR/reactions/uspto_yields_above.csv.xz).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Layout of the file: uspto-yields, buchwald-hartwig, suzuki-miyaura or jin.
    #[arg(long, default_value = "uspto-yields")]
    pub format: ReactionFormat,
    /// Output directory (run/ checkpoints, teacher/ model, report.json, report.md).
    #[arg(long, default_value = crate::train::pretrain::DEFAULT_TEACHER_DIR)]
    pub out: PathBuf,
    /// Loss: info-nce, molr, yield-weighted, yield-adaptive-margin or yield-regression.
    /// Default by measurement (docs/benchmarks.md, "Ablation"): info-nce had the best retrieval
    /// and yield correlation; yield-weighted is the best of the yield-aware margin forms.
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
    /// Layer: gcn, gin, sage, sage-pool, `gat[:heads]`, `tag[:hops]`.
    #[arg(long, default_value = "gin")]
    pub conv: ConvKind,
    /// Message-passing layers.
    #[arg(long, default_value_t = 5)]
    pub layers: usize,
    /// Embedding width (the student's: 300; MolR's GCN: 1024).
    #[arg(long, default_value_t = 300)]
    pub dim: usize,
    /// Encoder form: plain (MolR's: ReLU between layers) or student (the GNN student's:
    /// BatchNorm after every layer; with --conv gin --layers 5 --dim 300, the defaults, the
    /// teacher is the student's architecture, and its encoder can start a student with
    /// `train --init OUT`).
    #[arg(long, value_enum, default_value = "student")]
    pub encoder: TeacherEncoderArg,
    /// Feature scheme of the teacher's molecules: pretrain-gnns (the student's; has the
    /// self-loop bond category GCN / GIN need) or ogb (with sage, gat or tag).
    #[arg(long, default_value = "pretrain-gnns")]
    pub scheme: FeatureScheme,
    /// Epochs (the GIN teacher's retrieval is 0.82 MRR after 1, 0.87 after 3).
    #[arg(long, default_value_t = 1)]
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
    /// What to do with an earlier run in OUT.
    #[command(flatten)]
    pub existing: ExistingRunArgs,
    /// Featurised-reaction cache directory (default: $MOLKD_CACHE_DIR or ~/.cache/molkd).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Do not cache featurised reactions.
    #[arg(long)]
    pub no_cache: bool,
    /// Backend.
    #[command(flatten)]
    pub device: DeviceArgs,
}

impl PretrainTeacherArgs {
    /// The job these arguments describe.
    pub fn job(&self) -> Result<PretrainJob> {
        let format = self.format;
        let data = match &self.data {
            Some(p) => p.clone(),
            None => data_dir(None)?.join("reactions/uspto_yields_above.csv.xz"),
        };
        check_conv_scheme(self.conv, self.scheme)?;
        let featurizer = self.scheme.featurizer();
        let model = TeacherModelConfig::new(
            featurizer.atom_vocab_sizes().to_vec(),
            featurizer.bond_vocab_sizes().to_vec(),
        )
        .with_conv(self.conv)
        .with_num_layers(self.layers)
        .with_d_model(self.dim)
        .with_yield_head(self.loss.needs_predicted_yields())
        .with_encoder(match self.encoder {
            TeacherEncoderArg::Plain => None,
            TeacherEncoderArg::Student => Some(TeacherEncoderKind::Student),
        });
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
            existing: self.existing.existing(),
            load,
        })
    }
}

/// Form of the teacher's encoder (`pretrain-teacher --encoder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TeacherEncoderArg {
    /// MolR's: layers with ReLU between them.
    Plain,
    /// The GNN student's: BatchNorm after every layer, no ReLU after the last.
    Student,
}

/// Size preset of the moleblend encoder (`--size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RelationSize {
    /// 4 × 128, 8 heads, FFN 128, 32 kernels (~0.6 M parameters): trains on 2 cores.
    Cpu,
    /// The paper's `moleblend_base`: 12 × 768, 32 heads, FFN 768, 128 kernels (for a GPU).
    Base,
}

/// Which encoder family the student is (`--encoder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EncoderFamily {
    /// A message-passing GNN (`--conv`; default GIN 5 × 300, the pretrain-gnns student).
    Gnn,
    /// MoleBLEND's relation Transformer (CPU-sized default 4 × 128, 8 heads).
    Moleblend,
}

/// The student and distillation flags shared by `molkd train` and the benchmark examples.
/// Flags without a default value take their encoder family's (GNN / moleblend).
#[derive(Debug, Clone, Args)]
pub struct StudentArgs {
    /// Encoder family: gnn (message passing, `--conv`) or moleblend (the relation
    /// Transformer, `--input`) [default: gnn; moleblend in the qm9 example].
    #[arg(long, value_enum)]
    pub encoder: Option<EncoderFamily>,
    /// GNN layer: gin (default), gcn, sage, sage-pool, `gat[:heads]`, `tag[:hops]`.
    #[arg(long)]
    pub conv: Option<ConvKind>,
    /// Relations the moleblend encoder sees: 2d (default: SPD and bond paths), 3d (distances;
    /// needs coordinates) or 2d3d.
    #[arg(long)]
    pub input: Option<RelationModality>,
    /// Layers [default: 5 (gnn), 4 (moleblend)].
    #[arg(long)]
    pub layers: Option<usize>,
    /// Hidden width [default: 300 (gnn), 128 (moleblend; also its FFN width)].
    #[arg(long)]
    pub dim: Option<usize>,
    /// Size preset of the moleblend encoder: cpu (4 × 128) or base (the paper's 12 × 768);
    /// --layers, --dim and --heads override it [default: cpu].
    #[arg(long, value_enum)]
    pub size: Option<RelationSize>,
    /// Attention heads of the moleblend encoder [default: 8].
    #[arg(long)]
    pub heads: Option<usize>,
    /// Largest molecule (heavy atoms) the moleblend encoder takes; larger ones are errors
    /// naming the molecule [default: any size].
    #[arg(long)]
    pub max_atoms: Option<usize>,
    /// Start the encoder from a pre-training: `molkd pretrain-blend`'s OUT (or OUT/model) for
    /// the moleblend encoder, `molkd pretrain-student`'s for the GIN; its architecture
    /// becomes the student's, and --encoder defaults to the checkpoint's family. The readout
    /// and head start fresh.
    #[arg(long, value_name = "DIR")]
    pub init: Option<PathBuf>,
    /// Crop training molecules of the moleblend encoder to their first N atoms, keeping the
    /// whole molecule's relations; validation and test molecules stay whole (MoleBLEND's
    /// `--cut-length`, 128 in its SIDER fine-tuning) [default: no crop].
    #[arg(long, value_name = "N")]
    pub cut_length: Option<usize>,
    /// Dropout: after every GNN layer [default: 0.5], or on the moleblend encoder's attention
    /// probabilities [default: 0.1].
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Feature scheme: pretrain-gnns (Hu et al.'s) or ogb [default: pretrain-gnns (gnn), ogb
    /// (moleblend, as the original)].
    #[arg(long)]
    pub scheme: Option<FeatureScheme>,
    /// Epochs.
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Molecules per step.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Peak learning rate [default: 1e-3 (gnn), 1e-4 (moleblend)].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Optimiser: adam or adamw [default: adam (gnn), adamw (moleblend)].
    #[arg(long)]
    pub optimizer: Option<OptimizerKind>,
    /// AdamW's decoupled weight decay [default: 0 (gnn), 5e-5 (moleblend)].
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Learning-rate schedule after the warm-up: constant or cosine [default: constant (gnn),
    /// cosine (moleblend)].
    #[arg(long)]
    pub schedule: Option<LrSchedule>,
    /// Epochs of linear warm-up [default: 0 (gnn), a tenth of the epochs (moleblend)].
    #[arg(long)]
    pub warmup_epochs: Option<usize>,
    /// Clip each parameter tensor's gradient to this norm [default: none (gnn), 5
    /// (moleblend)].
    #[arg(long)]
    pub grad_clip: Option<f32>,
    /// Distillation loss (with a teacher): relational (default), mse, cosine or contrastive.
    /// Default by measurement: relational scored best at the best-validation epoch on Tox21
    /// (docs/benchmarks.md, "Distillation on Tox21"; +0.5 over no distillation on 3 seeds at 20
    /// epochs, within the seed-to-seed noise).
    #[arg(long)]
    pub kd: Option<KdForm>,
    /// Weight λ of the distillation term (with a teacher; default 1).
    #[arg(long)]
    pub lambda: Option<f32>,
    /// Temperature τ of the contrastive and relational forms (with a teacher; default 0.1).
    #[arg(long)]
    pub temperature: Option<f32>,
    /// L2-normalise embeddings before the MSE form (with a teacher).
    #[arg(long)]
    pub normalize: bool,
}

/// The names of the flags in `flags` that are set.
fn given(flags: &[(&'static str, bool)]) -> Vec<&'static str> {
    flags
        .iter()
        .filter_map(|&(flag, set)| set.then_some(flag))
        .collect()
}

impl StudentArgs {
    /// The encoder family: `--encoder`, else that of the `--init` checkpoint (moleblend
    /// where it cannot be read; loading it reports why), else gnn.
    pub fn family(&self) -> EncoderFamily {
        self.encoder.unwrap_or(match &self.init {
            Some(dir) => match crate::train::finetune::pretrained_encoder(dir) {
                Ok(PretrainedEncoder::Gnn(_)) => EncoderFamily::Gnn,
                _ => EncoderFamily::Moleblend,
            },
            None => EncoderFamily::Gnn,
        })
    }

    /// The feature scheme: `--scheme`, or the encoder family's.
    pub fn scheme(&self) -> FeatureScheme {
        self.scheme.unwrap_or(match self.family() {
            EncoderFamily::Gnn => FeatureScheme::PretrainGnns,
            EncoderFamily::Moleblend => FeatureScheme::Ogb,
        })
    }

    /// The fine-tuning configuration (task count and projection width are filled in by the
    /// job from the data and the teacher); `distill` turns distillation on. Distillation flags
    /// without a teacher (`teacher_flag`), flags of the other encoder family, and a layer the
    /// feature scheme cannot feed are errors naming the flags.
    pub fn config(&self, distill: bool, teacher_flag: &str, seed: u64) -> Result<FinetuneConfig> {
        let kd_flags = given(&[
            ("--kd", self.kd.is_some()),
            ("--lambda", self.lambda.is_some()),
            ("--temperature", self.temperature.is_some()),
            ("--normalize", self.normalize),
        ]);
        if !distill && !kd_flags.is_empty() {
            return Err(TrainError::Invalid(format!(
                "{} only apply when distilling from a teacher: add {teacher_flag} DIR, or drop them",
                kd_flags.join(", ")
            )));
        }
        let featurizer = self.scheme().featurizer();
        let mut config = match self.family() {
            EncoderFamily::Gnn => {
                let other = given(&[
                    ("--input", self.input.is_some()),
                    ("--heads", self.heads.is_some()),
                    ("--size", self.size.is_some()),
                    ("--max-atoms", self.max_atoms.is_some()),
                    ("--cut-length", self.cut_length.is_some()),
                ]);
                if !other.is_empty() {
                    return Err(TrainError::Invalid(format!(
                        "{} only apply to --encoder moleblend",
                        other.join(", ")
                    )));
                }
                let mut config = FinetuneConfig::protocol(featurizer, 1);
                let EncoderConfig::Gnn(encoder) = &mut config.model.encoder else {
                    unreachable!("the protocol's encoder is a GNN")
                };
                if let Some(dir) = &self.init {
                    // The pre-trained architecture, with this run's (fine-tuning) dropout.
                    let PretrainedEncoder::Gnn(saved) =
                        crate::train::finetune::pretrained_encoder(dir)?
                    else {
                        return Err(TrainError::Invalid(format!(
                            "--init {}: a blend pre-training checkpoint holds a relation \
                             encoder; this student is a GNN (use --encoder moleblend)",
                            dir.display()
                        )));
                    };
                    *encoder = saved.with_dropout(encoder.dropout);
                }
                encoder.conv = self.conv.unwrap_or(encoder.conv);
                check_conv_scheme(encoder.conv, self.scheme())?;
                encoder.num_layers = self.layers.unwrap_or(encoder.num_layers);
                encoder.d_model = self.dim.unwrap_or(encoder.d_model);
                encoder.dropout = self.dropout.unwrap_or(encoder.dropout);
                config.init = self.init.clone();
                config
            }
            EncoderFamily::Moleblend => {
                if self.conv.is_some() {
                    return Err(TrainError::Invalid(
                        "--conv only applies to --encoder gnn".into(),
                    ));
                }
                let mut config = FinetuneConfig::relation_protocol(
                    featurizer,
                    1,
                    self.input.unwrap_or_default(),
                );
                let EncoderConfig::Relation(encoder) = &mut config.model.encoder else {
                    unreachable!("the relation protocol's encoder is relational")
                };
                if self.size == Some(RelationSize::Base) {
                    let t = &encoder.transformer;
                    let base = RelationTransformerConfig::base(
                        t.atom_vocab_sizes.clone(),
                        t.bond_vocab_sizes.clone(),
                    );
                    // Fine-tuning dropouts (the preset's are pre-training's): attention only.
                    encoder.transformer = base.with_activation_dropout(0.0).with_drop_path(0.0);
                }
                if let Some(dir) = &self.init {
                    // The pre-trained architecture, with this run's (fine-tuning) dropouts.
                    let saved = crate::train::finetune::pretrained_transformer(dir)?;
                    let t = &encoder.transformer;
                    encoder.transformer = saved
                        .with_attention_dropout(t.attention_dropout)
                        .with_activation_dropout(t.activation_dropout)
                        .with_dropout(t.dropout)
                        .with_drop_path(t.drop_path)
                        .with_max_atoms(t.max_atoms);
                }
                let t = &mut encoder.transformer;
                t.num_layers = self.layers.unwrap_or(t.num_layers);
                if let Some(dim) = self.dim {
                    t.d_model = dim;
                    t.ffn_dim = dim;
                }
                t.heads = self.heads.unwrap_or(t.heads);
                t.max_atoms = self.max_atoms.or(t.max_atoms);
                t.attention_dropout = self.dropout.unwrap_or(t.attention_dropout);
                config.cut_length = self.cut_length;
                config.init = self.init.clone();
                config
            }
        };
        let optim = &mut config.optim;
        optim.epochs = self.epochs;
        optim.batch_size = self.batch_size;
        optim.seed = seed;
        optim.lr = self.lr.unwrap_or(optim.lr);
        optim.optimizer = self.optimizer.unwrap_or(optim.optimizer);
        optim.weight_decay = self.weight_decay.unwrap_or(optim.weight_decay);
        optim.schedule = self.schedule.unwrap_or(optim.schedule);
        optim.warmup_epochs = match (self.warmup_epochs, optim.warmup_epochs) {
            (Some(w), _) => w,
            (None, 0) => 0,
            // The family's warm-up is a share of the epochs: of these epochs.
            (None, _) => relation_warmup_epochs(self.epochs),
        };
        optim.grad_clip = self.grad_clip.or(optim.grad_clip);
        config.kd = distill.then(|| {
            let defaults = KdConfig::new();
            KdConfig::new()
                .with_form(self.kd.unwrap_or(KdForm::Relational))
                .with_lambda(self.lambda.unwrap_or(defaults.lambda))
                .with_temperature(self.temperature.unwrap_or(defaults.temperature))
                .with_normalize(self.normalize)
        });
        Ok(config)
    }
}

/// A list of run seeds, parsed from `A..B` (inclusive of both ends, as in "seeds 0..9"),
/// `A..=B`, or `A,B,C`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeds(pub Vec<u64>);

impl std::str::FromStr for Seeds {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        parse_seeds(s).map(Seeds)
    }
}

/// Seeds as `A..B` (inclusive of both ends, as in "seeds 0..9"), `A..=B`, or `A,B,C`.
pub fn parse_seeds(s: &str) -> std::result::Result<Vec<u64>, String> {
    let number = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{t}` in `{s}` is not a seed"))
    };
    let seeds: Vec<u64> = if let Some((a, b)) = s.split_once("..") {
        let (a, b) = (number(a)?, number(b.trim_start_matches('='))?);
        if a > b {
            return Err(format!("empty seed range `{s}`"));
        }
        (a..=b).collect()
    } else {
        s.split(',')
            .map(number)
            .collect::<std::result::Result<_, _>>()?
    };
    if seeds.is_empty() {
        return Err("no seeds".into());
    }
    Ok(seeds)
}

/// Flags of the benchmark examples (`cargo run --release --example tox21 -- ...`).
#[derive(Debug, Clone, Args)]
pub struct BenchmarkArgs {
    /// Teacher checkpoint directory (`OUT/teacher` of pretrain-teacher): distil from it.
    #[arg(long, value_name = "TEACHER_CKPT")]
    pub distill: Option<PathBuf>,
    /// Seeds: `0..9` (inclusive), `0..=9` or `0,1,2`. Default: 0..9 on the small sets, 0..2
    /// on Tox21, ToxCast, HIV and MUV.
    #[arg(long)]
    pub seeds: Option<Seeds>,
    /// Data directory holding moleculenet/ (default: $MOLKD_DATA_DIR).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Results directory: DATASET.json, DATASET.md, DATASET.svg.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Backend.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Student, optimisation and distillation flags.
    #[command(flatten)]
    pub student: StudentArgs,
}

/// The seeds a benchmark example runs by default: 10 on the small sets, 3 on the large ones
/// (a 100-epoch run on MUV takes hours on two cores).
pub fn default_seeds(dataset: &str) -> Vec<u64> {
    match dataset {
        "tox21" | "toxcast" | "hiv" | "muv" | "qm9" => (0..3).collect(),
        _ => (0..10).collect(),
    }
}

impl BenchmarkArgs {
    /// The sweep these arguments describe on registry set `dataset`.
    pub fn job(&self, dataset: &str) -> Result<BenchmarkJob> {
        let spec = dataset_spec(dataset)?;
        Ok(BenchmarkJob {
            dataset: BenchmarkSet::MoleculeNet(spec),
            data_dir: data_dir(self.data_dir.as_deref())?,
            out: self.out.clone(),
            scheme: self.student.scheme(),
            config: self
                .student
                .config(self.distill.is_some(), "--distill", 0)?,
            seeds: self
                .seeds
                .clone()
                .map_or_else(|| default_seeds(spec.name), |s| s.0),
            teacher: self.distill.clone(),
        })
    }
}

/// The whole of `examples/<dataset>.rs`: parse [`BenchmarkArgs`], run the sweep on the
/// chosen device (default: CPU), print the summary table.
pub fn benchmark_main(dataset: &str) -> std::process::ExitCode {
    crate::keep_freed_memory();
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: BenchmarkArgs,
    }
    let cli = <Cli as clap::Parser>::parse();
    let args = &cli.args;
    match args
        .device
        .device()
        .and_then(|device| run_benchmark(&args.job(dataset)?, &device.autodiff()))
    {
        Ok(results) => {
            println!("{}", results.markdown());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Flags of `examples/qm9.rs`.
#[derive(Debug, Clone, Args)]
pub struct Qm9Args {
    /// Targets, comma-separated, one model each: homo, lumo, gap, and mu, alpha, r2, zpve,
    /// u0, u, h, g, cv.
    #[arg(long, value_delimiter = ',', default_value = "homo,lumo,gap")]
    pub targets: Vec<Qm9Target>,
    /// Training molecules of the random split (Transformer-M: 110,000).
    #[arg(long, default_value_t = 110_000)]
    pub train_size: usize,
    /// Validation molecules (Transformer-M: 10,000); the rest is the test set.
    #[arg(long, default_value_t = 10_000)]
    pub valid_size: usize,
    /// Read only the first rows of the file (quick checks).
    #[arg(long)]
    pub max_rows: Option<usize>,
    /// One split for every run seed, drawn with this seed [default: each run seed draws its
    /// own; with --init, the pre-training's split seed, so no pre-training molecule is in a
    /// validation or test set].
    #[arg(long)]
    pub split_seed: Option<u64>,
    /// Seeds, data directory (holding `3d/qm9_full.csv.gz`), results, device, student.
    #[command(flatten)]
    pub benchmark: BenchmarkArgs,
}

impl Qm9Args {
    /// One sweep per target. The student defaults to the moleblend encoder on 3D relations
    /// (Transformer-M's QM9 setting); `--encoder gnn` trains the GNN on the 2D graph.
    pub fn jobs(&self) -> Result<Vec<BenchmarkJob>> {
        let mut args = self.benchmark.clone();
        if args.student.encoder.is_none() {
            args.student.encoder = Some(EncoderFamily::Moleblend);
            if args.student.input.is_none() {
                args.student.input = Some(RelationModality::ThreeD);
            }
        }
        if args.distill.is_some() {
            return Err(TrainError::Invalid(
                "--distill is not offered on QM9 (the reaction teacher is a MoleculeNet study)"
                    .into(),
            ));
        }
        let config = args.student.config(false, "--distill", 0)?;
        let split_seed = match (&args.student.init, self.split_seed) {
            (None, seed) => seed,
            (Some(dir), seed) => {
                let pretrained = crate::train::finetune::pretraining_split_seed(dir)?;
                match (pretrained, seed) {
                    (Some(p), Some(s)) if p != s => {
                        return Err(TrainError::Invalid(format!(
                            "--split-seed {s}: the pre-training in {} trained on the training \
                             molecules of split {p}; another split would put some of them in \
                             the validation and test sets",
                            dir.display()
                        )));
                    }
                    (Some(p), _) => Some(p),
                    (None, seed) => seed,
                }
            }
        };
        self.targets
            .iter()
            .map(|&target| {
                Ok(BenchmarkJob {
                    dataset: BenchmarkSet::Qm9(Qm9Benchmark {
                        target,
                        train: self.train_size,
                        valid: self.valid_size,
                        max_rows: self.max_rows,
                        split_seed,
                    }),
                    data_dir: data_dir(args.data_dir.as_deref())?,
                    out: args.out.clone(),
                    scheme: args.student.scheme(),
                    config: config.clone(),
                    seeds: args
                        .seeds
                        .clone()
                        .map_or_else(|| default_seeds("qm9"), |s| s.0),
                    teacher: None,
                })
            })
            .collect()
    }
}

/// The whole of `examples/qm9.rs`: parse [`Qm9Args`], run one sweep per target, print each
/// summary table.
pub fn qm9_main() -> std::process::ExitCode {
    crate::keep_freed_memory();
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Qm9Args,
    }
    let cli = <Cli as clap::Parser>::parse();
    let run = || -> Result<()> {
        let device = cli.args.benchmark.device.device()?.autodiff();
        for job in cli.args.jobs()? {
            println!("{}", run_benchmark(&job, &device)?.markdown());
        }
        Ok(())
    };
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `molkd train`: train a student on any CSV, chemprop-style.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Training CSV (gzip accepted).
    #[arg(long)]
    pub csv: PathBuf,
    /// Column holding SMILES.
    #[arg(long, default_value = "smiles")]
    pub smiles_column: String,
    /// Label columns, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub targets: Vec<String>,
    /// classification (0/1 labels, ROC-AUC) or regression (RMSE).
    #[arg(long, default_value = "classification")]
    pub task: TaskType,
    /// Teacher checkpoint directory: distil from it.
    #[arg(long)]
    pub teacher: Option<PathBuf>,
    /// Split: scaffold, random-scaffold or random (80/10/10).
    #[arg(long, default_value = "scaffold")]
    pub split: SplitKind,
    /// Seed (initialisation, order, dropout, random splits).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output directory: model/, run/, split.json, report.json, learning_curve.svg. A
    /// directory that holds anything is refused unless --resume or --overwrite is given.
    #[arg(long)]
    pub out: PathBuf,
    /// What to do with an earlier run in OUT.
    #[command(flatten)]
    pub existing: ExistingRunArgs,
    /// Backend.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Student, optimisation and distillation flags.
    #[command(flatten)]
    pub student: StudentArgs,
}

impl TrainArgs {
    /// The job these arguments describe, or an error naming flags that do not go together.
    pub fn job(&self) -> Result<TrainJob> {
        Ok(TrainJob {
            csv: self.csv.clone(),
            smiles_column: self.smiles_column.clone(),
            targets: self.targets.clone(),
            task_type: self.task,
            scheme: self.student.scheme(),
            split: self.split,
            config: self
                .student
                .config(self.teacher.is_some(), "--teacher", self.seed)?,
            teacher: self.teacher.clone(),
            out: self.out.clone(),
            existing: self.existing.existing(),
        })
    }
}

/// `--resume` / `--overwrite`: what a job does with an earlier run in its output directory
/// (by default a directory that holds anything is refused).
#[derive(Debug, Clone, Copy, Args)]
pub struct ExistingRunArgs {
    /// Continue the run in OUT from its latest checkpoint (with the same settings and data).
    #[arg(long, conflicts_with = "overwrite")]
    pub resume: bool,
    /// Replace the outputs of an earlier run in OUT (other files there are left alone).
    #[arg(long)]
    pub overwrite: bool,
}

impl ExistingRunArgs {
    /// The choice these flags make.
    pub fn existing(&self) -> ExistingRun {
        match (self.resume, self.overwrite) {
            (true, _) => ExistingRun::Resume,
            (false, true) => ExistingRun::Overwrite,
            (false, false) => ExistingRun::Refuse,
        }
    }
}

/// Refuses a layer that sums over self-loops with a feature scheme that has no self-loop bond
/// category, naming the flags.
fn check_conv_scheme(conv: ConvKind, scheme: FeatureScheme) -> Result<()> {
    if conv.needs_self_loops() && scheme.featurizer().self_loop_bond().is_none() {
        return Err(TrainError::Invalid(format!(
            "--conv {conv} needs self-loop bond features, which --scheme {scheme} has none of: \
             use --scheme pretrain-gnns, or a layer without self-loops (--conv sage, sage-pool, \
             gat or tag)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_as_inclusive_ranges_or_lists() {
        assert_eq!(parse_seeds("0..9").unwrap(), (0..=9).collect::<Vec<_>>());
        assert_eq!(parse_seeds("2..=4").unwrap(), [2, 3, 4]);
        assert_eq!(parse_seeds("5").unwrap(), [5]);
        assert_eq!(parse_seeds("1,3, 7").unwrap(), [1, 3, 7]);
        assert!(parse_seeds("3..1").is_err());
        assert!(parse_seeds("a..3").is_err());
        assert!(parse_seeds("").is_err());
    }

    #[test]
    fn default_seeds_follow_the_issue() {
        assert_eq!(default_seeds("bbbp").len(), 10);
        assert_eq!(default_seeds("muv").len(), 3);
    }
}
