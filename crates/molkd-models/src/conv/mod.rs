//! Message-passing layers, each a small module on `molkd_graph::message_passing`, and
//! [`Conv`], the one an encoder stacks.

mod gat;
mod gcn;
mod gin;
mod sage;
mod tag;

pub use gat::{GatConv, GatConvConfig};
pub use gcn::{GcnConv, GcnConvConfig};
pub use gin::{GinConv, GinConvConfig};
pub use sage::{SageAggregator, SageConv, SageConvConfig};
pub use tag::{TagConv, TagConvConfig};

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use molkd_graph::GraphBatch;
use serde::{Deserialize, Serialize};

use crate::embedding::{CategoricalEmbedding, CategoricalEmbeddingConfig};
use crate::error::{ModelError, Result};

/// Which layer an encoder stacks (the convolutions MolR's teacher offers, plus GIN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ConvKind {
    /// [`GinConv`] (pretrain-gnns; needs self-loops).
    #[default]
    Gin,
    /// [`GcnConv`] with bond embeddings (needs self-loops).
    Gcn,
    /// [`SageConv`] with bond embeddings.
    Sage {
        /// Mean or max-pool.
        aggregator: SageAggregator,
    },
    /// [`GatConv`] with bond embeddings.
    Gat {
        /// Attention heads.
        heads: usize,
    },
    /// [`TagConv`] (no edge features).
    Tag {
        /// Hops.
        hops: usize,
    },
}

/// Parses `gin`, `gcn`, `sage` (= `sage-mean`), `sage-pool`, `gat` (4 heads) or `gat:H`, and
/// `tag` (2 hops) or `tag:K`, as the command line takes them.
impl std::str::FromStr for ConvKind {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (name, arg) = match s.split_once(':') {
            Some((name, arg)) => (name, Some(arg)),
            None => (s, None),
        };
        let count = |default: usize| -> std::result::Result<usize, String> {
            match arg {
                None => Ok(default),
                Some(a) => a
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("`{a}` in `{s}` is not a positive count")),
            }
        };
        let no_arg = |kind: ConvKind| match arg {
            None => Ok(kind),
            Some(_) => Err(format!("`{name}` takes no `:` argument")),
        };
        match name.to_ascii_lowercase().as_str() {
            "gin" => no_arg(ConvKind::Gin),
            "gcn" => no_arg(ConvKind::Gcn),
            "sage" | "sage-mean" => no_arg(ConvKind::Sage {
                aggregator: SageAggregator::Mean,
            }),
            "sage-pool" => no_arg(ConvKind::Sage {
                aggregator: SageAggregator::Pool,
            }),
            "gat" => Ok(ConvKind::Gat { heads: count(4)? }),
            "tag" => Ok(ConvKind::Tag { hops: count(2)? }),
            _ => Err(format!(
                "unknown layer `{s}` (gin, gcn, sage, sage-pool, gat[:heads], tag[:hops])"
            )),
        }
    }
}

/// The command-line name [`FromStr`](std::str::FromStr) reads back (`gat:4`, `tag:2`, ...).
impl std::fmt::Display for ConvKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConvKind::Gin => f.write_str("gin"),
            ConvKind::Gcn => f.write_str("gcn"),
            ConvKind::Sage {
                aggregator: SageAggregator::Mean,
            } => f.write_str("sage"),
            ConvKind::Sage {
                aggregator: SageAggregator::Pool,
            } => f.write_str("sage-pool"),
            ConvKind::Gat { heads } => write!(f, "gat:{heads}"),
            ConvKind::Tag { hops } => write!(f, "tag:{hops}"),
        }
    }
}

impl ConvKind {
    /// Whether the layer sums over `N(v) ∪ {v}` and so needs self-loop edges with their own
    /// bond category (GIN and GCN, as pretrain-gnns builds them).
    pub fn needs_self_loops(&self) -> bool {
        matches!(self, ConvKind::Gin | ConvKind::Gcn)
    }

    /// One layer of this kind, `d → d`, with bond embeddings sized by `bond_vocab_sizes`.
    pub fn init(
        &self,
        d_model: usize,
        bond_vocab_sizes: &[usize],
        device: &Device,
    ) -> Result<Conv> {
        let bonds = bond_vocab_sizes.to_vec();
        Ok(match *self {
            ConvKind::Gin => Conv::Gin(GinConvConfig::new(d_model, bonds).init(device)),
            ConvKind::Gcn => Conv::Gcn(
                GcnConvConfig::new(d_model)
                    .with_bond_vocab_sizes(bonds)
                    .init(device),
            ),
            ConvKind::Sage { aggregator } => Conv::Sage(
                SageConvConfig::new(d_model)
                    .with_aggregator(aggregator)
                    .with_bond_vocab_sizes(bonds)
                    .init(device),
            ),
            ConvKind::Gat { heads } => Conv::Gat(
                GatConvConfig::new(d_model)
                    .with_heads(heads)
                    .with_bond_vocab_sizes(bonds)
                    .init(device)?,
            ),
            ConvKind::Tag { hops } => {
                Conv::Tag(TagConvConfig::new(d_model).with_hops(hops).init(device))
            }
        })
    }
}

/// Any of the layers.
#[derive(Module, Debug)]
pub enum Conv {
    /// GIN.
    Gin(GinConv),
    /// GCN.
    Gcn(GcnConv),
    /// GraphSAGE.
    Sage(SageConv),
    /// GAT.
    Gat(GatConv),
    /// TAGConv.
    Tag(TagConv),
}

impl Conv {
    /// Checks that `batch` fits the layer.
    pub fn check(&self, batch: &GraphBatch) -> Result<()> {
        match self {
            Conv::Gin(c) => c.check(batch),
            Conv::Gcn(c) => c.check(batch),
            Conv::Sage(c) => c.check(batch),
            Conv::Gat(c) => c.check(batch),
            Conv::Tag(c) => c.check(batch),
        }
    }

    /// Shapes: `x` `[N, d]` → `[N, d]`.
    pub fn forward(&self, x: Tensor<2>, batch: &GraphBatch) -> Tensor<2> {
        match self {
            Conv::Gin(c) => c.forward(x, batch),
            Conv::Gcn(c) => c.forward(x, batch),
            Conv::Sage(c) => c.forward(x, batch),
            Conv::Gat(c) => c.forward(x, batch),
            Conv::Tag(c) => c.forward(x, batch),
        }
    }
}

/// Bond embeddings of width `d`, or none when `vocab_sizes` is empty.
fn edge_embedding(
    vocab_sizes: &[usize],
    d: usize,
    device: &Device,
) -> Option<CategoricalEmbedding> {
    (!vocab_sizes.is_empty())
        .then(|| CategoricalEmbeddingConfig::new(vocab_sizes.to_vec(), d).init(device))
}

/// Self-loops present and bond features within the vocabulary, for layers that sum over
/// `N(v) ∪ {v}` like pretrain-gnns.
fn check_with_self_loops(
    layer: &'static str,
    edges: Option<&CategoricalEmbedding>,
    batch: &GraphBatch,
) -> Result<()> {
    if !batch.self_loops {
        return Err(ModelError::NeedsSelfLoops(layer));
    }
    match edges {
        Some(e) => e.check(layer, &batch.bond_feature_max),
        None => Ok(()),
    }
}

/// The atom embedding and `num_layers` layers of `kind` that every encoder starts from; `owner`
/// names the model in the error for an empty stack.
pub(crate) fn init_stack(
    owner: &str,
    kind: ConvKind,
    num_layers: usize,
    d_model: usize,
    atom_vocab_sizes: &[usize],
    bond_vocab_sizes: &[usize],
    device: &Device,
) -> Result<(CategoricalEmbedding, Vec<Conv>)> {
    if num_layers == 0 || d_model == 0 {
        return Err(ModelError::InvalidConfig(format!(
            "{owner} needs at least one layer and a positive width"
        )));
    }
    let embedding =
        CategoricalEmbeddingConfig::new(atom_vocab_sizes.to_vec(), d_model).init(device);
    let layers = (0..num_layers)
        .map(|_| kind.init(d_model, bond_vocab_sizes, device))
        .collect::<Result<Vec<_>>>()?;
    Ok((embedding, layers))
}

/// Checks a batch against an encoder's atom embedding and every layer.
pub(crate) fn check_stack(
    atom_embedding: &CategoricalEmbedding,
    layers: &[Conv],
    batch: &GraphBatch,
) -> Result<()> {
    atom_embedding.check("atom features", &batch.atom_feature_max)?;
    layers.iter().try_for_each(|layer| layer.check(batch))
}
