//! One batch type for every encoder family: message-passing GNNs take sparse
//! [`GraphBatch`]es, relation Transformers padded [`DenseBatch`]es. Both are built from the
//! same pre-featurised [`MolGraph`]s, so a data set is featurised once and a training loop
//! collates for whichever family its model is.

use burn::tensor::Device;

use crate::batch::{Collate, GraphBatch};
use crate::dense::{DenseBatch, DenseCollate};
use crate::error::Result;
use crate::mol_graph::MolGraph;

/// A batch for either encoder family.
#[derive(Debug, Clone)]
pub enum MoleculeBatch {
    /// Sparse, for message passing.
    Graph(Box<GraphBatch>),
    /// Padded atoms and atom pairs, for relation Transformers.
    Dense(Box<DenseBatch>),
}

/// A borrowed [`MoleculeBatch`]: what models' `forward` take, so either batch type can be
/// passed by reference (`model.forward(&graph_batch, ..)`).
#[derive(Debug, Clone, Copy)]
pub enum BatchRef<'a> {
    /// Sparse, for message passing.
    Graph(&'a GraphBatch),
    /// Padded, for relation Transformers.
    Dense(&'a DenseBatch),
}

impl BatchRef<'_> {
    /// Number of molecules.
    pub fn num_graphs(&self) -> usize {
        match self {
            BatchRef::Graph(b) => b.num_graphs(),
            BatchRef::Dense(b) => b.num_graphs(),
        }
    }

    /// What the batch is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            BatchRef::Graph(_) => "a sparse graph batch",
            BatchRef::Dense(_) => "a dense (padded) batch",
        }
    }
}

impl<'a> From<&'a GraphBatch> for BatchRef<'a> {
    fn from(batch: &'a GraphBatch) -> Self {
        BatchRef::Graph(batch)
    }
}

impl<'a> From<&'a DenseBatch> for BatchRef<'a> {
    fn from(batch: &'a DenseBatch) -> Self {
        BatchRef::Dense(batch)
    }
}

impl<'a> From<&'a MoleculeBatch> for BatchRef<'a> {
    fn from(batch: &'a MoleculeBatch) -> Self {
        match batch {
            MoleculeBatch::Graph(b) => BatchRef::Graph(b),
            MoleculeBatch::Dense(b) => BatchRef::Dense(b),
        }
    }
}

impl MoleculeBatch {
    /// Number of molecules.
    pub fn num_graphs(&self) -> usize {
        BatchRef::from(self).num_graphs()
    }
}

/// Atoms per molecule whose square, times the batch size, bounds the padded atom pairs of
/// an inference batch ([`MoleculeCollate::inference_batches`]).
const PAIR_BUDGET_ATOMS: usize = 64;

/// Builds [`MoleculeBatch`]es of one family (a model's `collate()` gives the right one).
#[derive(Debug, Clone)]
pub enum MoleculeCollate {
    /// Sparse batches.
    Graph(Collate),
    /// Padded batches.
    Dense(DenseCollate),
}

impl MoleculeCollate {
    /// Collates `graphs` onto `device`; errors name the molecule by its position in `graphs`.
    pub fn collate<'a, I>(&self, graphs: I, device: &Device) -> Result<MoleculeBatch>
    where
        I: IntoIterator<Item = &'a MolGraph>,
    {
        Ok(match self {
            MoleculeCollate::Graph(c) => MoleculeBatch::Graph(Box::new(c.collate(graphs, device)?)),
            MoleculeCollate::Dense(c) => MoleculeBatch::Dense(Box::new(c.collate(graphs, device)?)),
        })
    }

    /// The same collator cropping molecules to their first `n` atoms (padded batches only; see
    /// [`DenseCollate::with_cut_length`]). Sparse batches have no use for a crop: callers
    /// refuse it for them.
    pub fn with_cut_length(self, n: Option<usize>) -> Self {
        match self {
            MoleculeCollate::Graph(c) => MoleculeCollate::Graph(c),
            MoleculeCollate::Dense(c) => MoleculeCollate::Dense(c.with_cut_length(n)),
        }
    }

    /// Groups positions into `graphs` into batches for inference, at most `batch_size`
    /// molecules each (at least one). Sparse batches cost what their atoms cost, and keep
    /// the input order. A padded batch costs its molecule count times the square of its
    /// largest molecule, so padded batches go in atom-count order and hold at most
    /// `batch_size × 64²` padded atom pairs: a 400-atom molecule does not make 255 small
    /// ones pad to its size, nor a batch of 256 large ones exhaust memory.
    ///
    /// ```
    /// use molkd_graph::{Collate, DenseCollate, Featurizer, MoleculeCollate, OgbFeaturizer};
    /// let graphs: Vec<_> = ["CCCCCC", "C", "CCO"].iter().map(|s| OgbFeaturizer.featurize(s).unwrap()).collect();
    /// let refs: Vec<_> = graphs.iter().collect();
    /// let dense = MoleculeCollate::Dense(DenseCollate::new());
    /// assert_eq!(dense.inference_batches(&refs, 2), [vec![1, 2], vec![0]]);
    /// let sparse = MoleculeCollate::Graph(Collate::new(&OgbFeaturizer));
    /// assert_eq!(sparse.inference_batches(&refs, 2), [vec![0, 1], vec![2]]);
    /// ```
    pub fn inference_batches(&self, graphs: &[&MolGraph], batch_size: usize) -> Vec<Vec<usize>> {
        let batch_size = batch_size.max(1);
        let positions: Vec<usize> = (0..graphs.len()).collect();
        let MoleculeCollate::Dense(c) = self else {
            return positions
                .chunks(batch_size)
                .map(<[usize]>::to_vec)
                .collect();
        };
        let size = |i: usize| c.kept_atoms(graphs[i]);
        let mut order = positions;
        order.sort_by_key(|&i| size(i)); // stable: ties keep input order
        let budget = batch_size * PAIR_BUDGET_ATOMS * PAIR_BUDGET_ATOMS;
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let mut current: Vec<usize> = Vec::new();
        for i in order {
            // Sorted ascending, so this molecule is the batch's largest.
            let n = size(i).max(1);
            if !current.is_empty()
                && (current.len() == batch_size || (current.len() + 1) * n * n > budget)
            {
                batches.push(std::mem::take(&mut current));
            }
            current.push(i);
        }
        if !current.is_empty() {
            batches.push(current);
        }
        batches
    }

    /// Checks one molecule against what this collator needs (size limit, coordinates),
    /// before any batch is built: `Err` carries the reason, for the caller to name the row.
    pub fn check_molecule(&self, graph: &MolGraph) -> std::result::Result<(), String> {
        match self {
            MoleculeCollate::Graph(_) => Ok(()),
            MoleculeCollate::Dense(c) => c.check_molecule(graph),
        }
    }
}
