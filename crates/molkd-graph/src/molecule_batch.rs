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
    Graph(GraphBatch),
    /// Padded atoms and atom pairs, for relation Transformers.
    Dense(DenseBatch),
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
            MoleculeCollate::Graph(c) => MoleculeBatch::Graph(c.collate(graphs, device)?),
            MoleculeCollate::Dense(c) => MoleculeBatch::Dense(c.collate(graphs, device)?),
        })
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
