//! Sums of per-feature embeddings for categorical atom and bond features.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Embedding, Initializer};
use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor, TensorData};

use molkd_graph::message_passing::{Segments, segment_sum, uses_segment_kernels};

use crate::error::{ModelError, Result};

/// The largest one-hot encoding (rows × categories) [`CategoricalEmbedding::forward`] builds
/// on GPUs instead of a lookup: 2^26 values (256 MiB), far above a GNN batch's atoms (1,024
/// molecules, OGB features: ~4.5 M) and below a relation Transformer's path features.
pub const ONE_HOT_LIMIT: usize = 1 << 26;

/// `table.forward(index)` (burn's `Embedding`), on GPUs that run molkd's segment kernels as
/// one-hot rows times the table while the encoding stays under [`ONE_HOT_LIMIT`]: the
/// gradient of burn's lookup is its column-serial scatter there, one thread per table column
/// walking every row (a width-1 table: one thread in all).
///
/// Shapes: `index` `[B, S]` (Int) → `[B, S, width]`.
pub fn lookup(table: &Embedding, index: Tensor<2, Int>) -> Tensor<3> {
    let [b, s] = index.dims();
    let weight = table.weight.val();
    let [rows, width] = weight.dims();
    let device = index.device();
    if uses_segment_kernels(&device) && b * s * rows <= ONE_HOT_LIMIT {
        let one_hot = Tensor::<2>::eye(rows, &device).select(0, index.reshape([b * s])); // [B·S, rows]
        return one_hot.matmul(weight).reshape([b, s, width]);
    }
    table.forward(index)
}

/// Configuration of [`CategoricalEmbedding`].
#[derive(Config, Debug)]
pub struct CategoricalEmbeddingConfig {
    /// Categories per feature column, e.g. `Featurizer::atom_vocab_sizes()`.
    pub vocab_sizes: Vec<usize>,
    /// Embedding width.
    pub d_model: usize,
    /// One initializer for the whole stacked table; `None`: each block Xavier-uniform on its
    /// own shape (pretrain-gnns).
    #[config(default = "None")]
    pub initializer: Option<Initializer>,
}

/// `Σ_j E_j[x_j]`: one embedding table per categorical feature column, summed — OGB's
/// `AtomEncoder` / `BondEncoder`, and pretrain-gnns' `x_embedding1 + x_embedding2`.
///
/// The tables are stored stacked in one `[Σ vocab, d]` parameter and looked up with one
/// gather (column `j` is offset by the sizes before it); each block is Xavier-uniform
/// initialised on its own shape, as pretrain-gnns initialises its tables.
#[derive(Module, Debug)]
pub struct CategoricalEmbedding {
    /// Stacked tables `[Σ vocab, d_model]`.
    pub weight: Param<Tensor<2>>,
    #[module(skip)]
    vocab_sizes: Vec<usize>,
}

impl CategoricalEmbeddingConfig {
    /// Initialises the tables on `device`.
    pub fn init(&self, device: &Device) -> CategoricalEmbedding {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::init_atomic(|| self.build(device))
    }

    fn build(&self, device: &Device) -> CategoricalEmbedding {
        if let Some(initializer) = &self.initializer {
            let rows = self.vocab_sizes.iter().sum::<usize>();
            return CategoricalEmbedding {
                weight: initializer.init([rows, self.d_model], device),
                vocab_sizes: self.vocab_sizes.clone(),
            };
        }
        let blocks: Vec<Tensor<2>> = self
            .vocab_sizes
            .iter()
            .map(|&v| {
                Initializer::XavierUniform { gain: 1.0 }
                    .init_with([v, self.d_model], Some(v), Some(self.d_model), device)
                    .val()
            })
            .collect();
        CategoricalEmbedding {
            // Detached: the stacked table is the leaf parameter, not a function of the blocks.
            weight: Param::from_tensor(Tensor::cat(blocks, 0).detach()),
            vocab_sizes: self.vocab_sizes.clone(),
        }
    }
}

impl CategoricalEmbedding {
    /// Categories per column.
    pub fn vocab_sizes(&self) -> &[usize] {
        &self.vocab_sizes
    }

    /// Checks host-side column maxima (`GraphBatch::atom_feature_max`) against the vocabulary,
    /// so out-of-range features are an error rather than an out-of-bounds gather.
    pub fn check(&self, what: &'static str, column_max: &[i64]) -> Result<()> {
        let vocab = self.vocab_sizes();
        if column_max.len() != vocab.len() {
            return Err(ModelError::FeatureWidth {
                what,
                got: column_max.len(),
                expected: vocab.len(),
            });
        }
        for (column, (&value, &size)) in column_max.iter().zip(vocab).enumerate() {
            if value >= size as i64 {
                return Err(ModelError::VocabularyExceeded {
                    what,
                    column,
                    value,
                    vocab: size,
                });
            }
        }
        Ok(())
    }

    /// Start of each column's block in the stacked table, `[1, F]`.
    fn offsets(&self, device: &Device) -> Tensor<2, Int> {
        let offsets: Vec<i64> = self
            .vocab_sizes()
            .iter()
            .scan(0i64, |acc, &v| {
                let o = *acc;
                *acc += v as i64;
                Some(o)
            })
            .collect();
        let columns = offsets.len();
        Tensor::from_data(TensorData::new(offsets, [1, columns]), device)
    }

    /// Embeds categorical features.
    ///
    /// On GPUs that run molkd's segment kernels the rows are one-hot encoded and multiplied by
    /// the table (while the encoding stays under [`ONE_HOT_LIMIT`] values): the gradient of a
    /// lookup (`select`) is burn's column-serial scatter there, the one of a matmul is a matmul.
    ///
    /// Shapes: `features` `[R, F]` (Int) → `[R, d_model]`.
    pub fn forward(&self, features: Tensor<2, Int>) -> Tensor<2> {
        let [rows, columns] = features.dims();
        let weight = self.weight.val();
        let [vocab, d] = weight.dims();
        let device = features.device();
        if uses_segment_kernels(&device) && rows * vocab <= ONE_HOT_LIMIT {
            return self.one_hot(features).matmul(weight); // [R, d]
        }
        let index = (features + self.offsets(&device)).reshape([rows * columns]); // [R·F]
        weight
            .select(0, index) // [R·F, d]
            .reshape([rows, columns, d])
            .sum_dim(1) // [R, 1, d]
            .reshape([rows, d])
    }

    /// The rows' categories as one-hot blocks side by side, `F` ones per row: `[R, F]` (Int)
    /// → `[R, Σ vocab]`, the stacked table's layout. No gradient flows into it.
    fn one_hot(&self, features: Tensor<2, Int>) -> Tensor<2> {
        let [rows, _] = features.dims();
        let device = features.device();
        let blocks = self
            .vocab_sizes()
            .iter()
            .enumerate()
            .map(|(c, &v)| {
                let column = features.clone().narrow(1, c, 1).reshape([rows]); // [R]
                Tensor::<2>::eye(v, &device).select(0, column) // [R, v]
            })
            .collect();
        Tensor::cat(blocks, 1)
    }

    /// `out[v] = Σ_{e into v} w_e · forward(features)[e]` (`w_e = 1` without `weight`): the
    /// per-edge embeddings summed into their destination nodes, as a message-passing layer
    /// does with `e_uv`, without building the `[E, d]` per-edge rows.
    ///
    /// Embeddings are linear in a one-hot encoding, so the sum is a `[N, Σ vocab]` matrix of
    /// (weighted) category counts per node times the table: a small matmul instead of an
    /// `[E, d]` gather, add and scatter forward and backward (for the GIN student that was a
    /// third of the edge traffic). On host devices the counts are scattered into a flat
    /// vector; on GPUs, where burn's scatter into a 1-D tensor runs on one thread, they are
    /// one-hot rows summed per node by [`segment_sum`].
    ///
    /// `weight` is a constant (e.g. GCN's degree normalisation): no gradient flows into it.
    ///
    /// Shapes: `features` `[E, F]` (Int), `by_dst` the edges grouped by destination (`N`
    /// nodes), `weight` `[E, 1]` → `[N, d]`.
    pub fn segment_sum(
        &self,
        features: Tensor<2, Int>,
        by_dst: &Segments,
        weight: Option<Tensor<2>>,
    ) -> Tensor<2> {
        let [edges, columns] = features.dims();
        let num_nodes = by_dst.len();
        let device = features.device();
        let table = self.weight.val();
        let [vocab, _] = table.dims();
        let weight = weight.map(|w| w.detach());
        if uses_segment_kernels(&device) {
            let one_hot = match weight {
                Some(w) => self.one_hot(features) * w, // [E, V]
                None => self.one_hot(features),
            };
            return segment_sum(one_hot, by_dst).matmul(table); // [N, d]
        }
        let category = features + self.offsets(&device); // [E, F]
        // Flat position (node, category) of every (edge, column) pair.
        let cell = by_dst.index.clone().reshape([edges, 1]) * (vocab as i64) + category; // [E, F]
        let values = match weight {
            Some(w) => w.expand([edges, columns]), // [E, F]
            None => Tensor::ones([edges, columns], &device),
        };
        let counts = Tensor::<1>::zeros([num_nodes * vocab], &device).select_assign(
            0,
            cell.reshape([edges * columns]),
            values.reshape([edges * columns]),
            IndexingUpdateOp::Add,
        ); // [N·V]
        counts.reshape([num_nodes, vocab]).matmul(table) // [N, d]
    }
}
