//! Collating molecules into one disconnected graph of burn tensors.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::error::{GraphError, Result};
use crate::featurize::Featurizer;
use crate::message_passing::Segments;
use crate::mol_graph::MolGraph;

/// A batch of molecules as one graph, PyG-style.
///
/// Node ids of graph `g` are `node_offsets[g]..node_offsets[g + 1]`. Every bond appears as two
/// directed edges; edges are sorted by destination node (stable), so the edges into node `v`
/// are `dst_offsets[v]..dst_offsets[v + 1]`.
#[derive(Debug, Clone)]
pub struct GraphBatch {
    /// Atom feature indices `[N, F_atom]`.
    pub atom_features: Tensor<2, Int>,
    /// `[2, E]`: row 0 sources, row 1 destinations.
    pub edge_index: Tensor<2, Int>,
    /// Source node per edge `[E]` (row 0 of `edge_index`).
    pub edge_src: Tensor<1, Int>,
    /// Destination node per edge `[E]` (row 1 of `edge_index`).
    pub edge_dst: Tensor<1, Int>,
    /// Bond feature indices per directed edge `[E, F_bond]`.
    pub edge_features: Tensor<2, Int>,
    /// Graph id per node `[N]`.
    pub batch: Tensor<1, Int>,
    /// Edges grouped by source atom (the gradient of gathering source features).
    pub by_src: Segments,
    /// Edges grouped by destination atom (aggregation; edges already come in this order).
    pub by_dst: Segments,
    /// Atoms grouped by molecule (readouts; atoms already come in this order).
    pub by_graph: Segments,
    /// Atoms per graph.
    pub node_counts: Vec<usize>,
    /// First node id of each graph, plus the total: `[G + 1]`.
    pub node_offsets: Vec<usize>,
    /// First edge into each node, plus the total: `[N + 1]`.
    pub dst_offsets: Vec<usize>,
    /// Whether every node has a self-loop edge.
    pub self_loops: bool,
    /// Largest value of each atom feature column (host side, so embeddings can check their
    /// vocabulary without reading the device).
    pub atom_feature_max: Vec<i64>,
    /// Largest value of each bond feature column (`-1` when there are no edges).
    pub bond_feature_max: Vec<i64>,
}

impl GraphBatch {
    /// Number of molecules.
    pub fn num_graphs(&self) -> usize {
        self.node_counts.len()
    }

    /// Number of atoms over all molecules.
    pub fn num_nodes(&self) -> usize {
        *self.node_offsets.last().unwrap_or(&0)
    }

    /// Number of directed edges (self-loops included).
    pub fn num_edges(&self) -> usize {
        *self.dst_offsets.last().unwrap_or(&0)
    }

    /// The device the tensors live on.
    pub fn device(&self) -> Device {
        self.atom_features.device()
    }
}

/// Builds [`GraphBatch`]es from pre-featurised [`MolGraph`]s, so epochs never re-parse SMILES.
///
/// ```
/// use burn::tensor::Device;
/// use molkd_graph::{Collate, Featurizer, PretrainGnnFeaturizer};
/// let f = PretrainGnnFeaturizer;
/// let graphs = [f.featurize("CCO").unwrap(), f.featurize("c1ccccc1").unwrap()];
/// let collate = Collate::new(&f); // pretrain-gnns' scheme: a self-loop per atom
/// assert!(collate.self_loops());
/// let batch = collate.collate(&graphs, &Device::default()).unwrap();
/// assert_eq!(batch.num_nodes(), 9);
/// assert_eq!(batch.num_edges(), 2 * (2 + 6) + 9);
/// ```
#[derive(Debug, Clone)]
pub struct Collate {
    atom_width: usize,
    bond_width: usize,
    self_loop_bond: Option<Vec<i64>>,
    self_loops: bool,
}

impl Collate {
    /// A collator for graphs made by `featurizer`, as molkd's GNNs take them: with a
    /// self-loop per atom wherever the scheme has a self-loop bond category (pretrain-gnns'
    /// GIN adds them; OGB has none). [`Collate::with_self_loops`]`(false)` leaves them out.
    pub fn new(featurizer: &dyn Featurizer) -> Self {
        let self_loop_bond = featurizer.self_loop_bond().map(<[i64]>::to_vec);
        Self {
            atom_width: featurizer.atom_vocab_sizes().len(),
            bond_width: featurizer.bond_vocab_sizes().len(),
            self_loops: self_loop_bond.is_some(),
            self_loop_bond,
        }
    }

    /// Adds a self-loop edge per atom carrying the featurizer's self-loop bond category; an
    /// error when the scheme has none (OGB).
    pub fn with_self_loops(mut self, self_loops: bool) -> Result<Self> {
        if self_loops && self.self_loop_bond.is_none() {
            return Err(GraphError::Collate(
                "this feature scheme has no self-loop bond category".into(),
            ));
        }
        self.self_loops = self_loops;
        Ok(self)
    }

    /// Whether self-loops are added.
    pub fn self_loops(&self) -> bool {
        self.self_loops
    }

    /// Collates `graphs` onto `device`.
    pub fn collate<'a, I>(&self, graphs: I, device: &Device) -> Result<GraphBatch>
    where
        I: IntoIterator<Item = &'a MolGraph>,
    {
        let graphs: Vec<&MolGraph> = graphs.into_iter().collect();
        if graphs.is_empty() {
            return Err(GraphError::Collate("empty batch".into()));
        }
        for (g, graph) in graphs.iter().enumerate() {
            if graph.atom_width() != self.atom_width || graph.bond_width() != self.bond_width {
                return Err(GraphError::Collate(format!(
                    "graph {g} has {}/{} atom/bond features, the collator expects {}/{}",
                    graph.atom_width(),
                    graph.bond_width(),
                    self.atom_width,
                    self.bond_width
                )));
            }
            if graph.num_atoms() == 0 {
                return Err(GraphError::Collate(format!("graph {g} has no atoms")));
            }
        }
        let host = self.host_arrays(&graphs);
        Ok(host.into_batch(device, self.atom_width, self.bond_width, self.self_loops))
    }

    /// Collates on the host: edges are placed by a counting sort on destination.
    fn host_arrays(&self, graphs: &[&MolGraph]) -> HostBatch {
        let num_nodes: usize = graphs.iter().map(|g| g.num_atoms()).sum();
        let loops = if self.self_loops { num_nodes } else { 0 };
        let num_edges = graphs.iter().map(|g| 2 * g.num_bonds()).sum::<usize>() + loops;

        let mut node_offsets = Vec::with_capacity(graphs.len() + 1);
        let mut node_counts = Vec::with_capacity(graphs.len());
        let mut atom_features = Vec::with_capacity(num_nodes * self.atom_width);
        let mut batch = Vec::with_capacity(num_nodes);
        // Directed edges (src, dst, bond feature row) before sorting.
        let mut edges: Vec<(usize, usize, &[i64])> = Vec::with_capacity(num_edges);
        let self_loop: &[i64] = self.self_loop_bond.as_deref().unwrap_or(&[]);
        let mut offset = 0usize;
        for (g, graph) in graphs.iter().enumerate() {
            node_offsets.push(offset);
            node_counts.push(graph.num_atoms());
            atom_features.extend_from_slice(graph.atom_features());
            batch.extend(std::iter::repeat_n(g as i64, graph.num_atoms()));
            for (j, &[a, b]) in graph.bonds().iter().enumerate() {
                let (a, b) = (offset + a as usize, offset + b as usize);
                edges.push((a, b, graph.bond(j)));
                edges.push((b, a, graph.bond(j)));
            }
            if self.self_loops {
                edges.extend((offset..offset + graph.num_atoms()).map(|v| (v, v, self_loop)));
            }
            offset += graph.num_atoms();
        }
        node_offsets.push(offset);

        let mut dst_offsets = vec![0usize; num_nodes + 1];
        for &(_, dst, _) in &edges {
            dst_offsets[dst + 1] += 1;
        }
        for v in 0..num_nodes {
            dst_offsets[v + 1] += dst_offsets[v];
        }
        let mut cursor = dst_offsets.clone();
        let mut order = vec![0usize; edges.len()];
        for (e, &(_, dst, _)) in edges.iter().enumerate() {
            order[cursor[dst]] = e;
            cursor[dst] += 1;
        }
        let mut edge_index = vec![0i64; 2 * edges.len()];
        let mut edge_features = Vec::with_capacity(edges.len() * self.bond_width);
        for (k, &e) in order.iter().enumerate() {
            let (src, dst, feat) = edges[e];
            edge_index[k] = src as i64;
            edge_index[edges.len() + k] = dst as i64;
            edge_features.extend_from_slice(feat);
        }
        HostBatch {
            atom_features,
            edge_index,
            edge_features,
            batch,
            node_counts,
            node_offsets,
            dst_offsets,
        }
    }
}

struct HostBatch {
    atom_features: Vec<i64>,
    edge_index: Vec<i64>,
    edge_features: Vec<i64>,
    batch: Vec<i64>,
    node_counts: Vec<usize>,
    node_offsets: Vec<usize>,
    dst_offsets: Vec<usize>,
}

impl HostBatch {
    fn into_batch(
        self,
        device: &Device,
        atom_width: usize,
        bond_width: usize,
        self_loops: bool,
    ) -> GraphBatch {
        let n = self.batch.len();
        let atom_feature_max = column_max(self.atom_features.chunks_exact(atom_width), atom_width);
        let bond_feature_max = column_max(self.edge_features.chunks_exact(bond_width), bond_width);
        let e = self.edge_index.len() / 2;
        let int2 = |data: Vec<i64>, shape: [usize; 2]| {
            Tensor::<2, Int>::from_data(TensorData::new(data, shape), device)
        };
        let edge_src = Tensor::<1, Int>::from_data(
            TensorData::new(self.edge_index[..e].to_vec(), [e]),
            device,
        );
        let edge_dst = Tensor::<1, Int>::from_data(
            TensorData::new(self.edge_index[e..].to_vec(), [e]),
            device,
        );
        let host = |v: &[i64]| v.iter().map(|&i| i as usize).collect::<Vec<usize>>();
        let by_src = Segments::new(&host(&self.edge_index[..e]), n, device);
        let by_dst = Segments::new(&host(&self.edge_index[e..]), n, device);
        let by_graph = Segments::new(&host(&self.batch), self.node_counts.len(), device);
        GraphBatch {
            atom_features: int2(self.atom_features, [n, atom_width]),
            edge_index: int2(self.edge_index, [2, e]),
            edge_src,
            edge_dst,
            edge_features: int2(self.edge_features, [e, bond_width]),
            batch: Tensor::<1, Int>::from_data(TensorData::new(self.batch, [n]), device),
            by_src,
            by_dst,
            by_graph,
            node_counts: self.node_counts,
            node_offsets: self.node_offsets,
            dst_offsets: self.dst_offsets,
            self_loops,
            atom_feature_max,
            bond_feature_max,
        }
    }
}

/// A batch of reactions: all reactant molecules as one [`GraphBatch`], all products as
/// another, and which reaction each molecule belongs to.
#[derive(Debug, Clone)]
pub struct ReactionBatch {
    /// Reactant molecules of every reaction, in reaction order.
    pub reactants: GraphBatch,
    /// Product molecules of every reaction, in reaction order.
    pub products: GraphBatch,
    /// Reaction index of each reactant molecule `[G_r]`.
    pub reactant_reaction: Tensor<1, Int>,
    /// Reaction index of each product molecule `[G_p]`.
    pub product_reaction: Tensor<1, Int>,
    /// Number of reactions.
    pub num_reactions: usize,
}

impl Collate {
    /// Collates reactions (each needs at least one reactant and one product).
    pub fn collate_reactions(
        &self,
        reactions: &[&crate::reaction::ReactionGraph],
        device: &Device,
    ) -> Result<ReactionBatch> {
        if reactions.is_empty() {
            return Err(GraphError::Collate("empty reaction batch".into()));
        }
        let mut reactant_reaction = Vec::new();
        let mut product_reaction = Vec::new();
        for (r, reaction) in reactions.iter().enumerate() {
            if reaction.reactants.is_empty() || reaction.products.is_empty() {
                return Err(GraphError::Collate(format!(
                    "reaction {r} has no reactants or no products"
                )));
            }
            reactant_reaction.extend(std::iter::repeat_n(r as i64, reaction.reactants.len()));
            product_reaction.extend(std::iter::repeat_n(r as i64, reaction.products.len()));
        }
        let index = |v: Vec<i64>| {
            let n = v.len();
            Tensor::<1, Int>::from_data(TensorData::new(v, [n]), device)
        };
        Ok(ReactionBatch {
            reactants: self.collate(reactions.iter().flat_map(|r| &r.reactants), device)?,
            products: self.collate(reactions.iter().flat_map(|r| &r.products), device)?,
            reactant_reaction: index(reactant_reaction),
            product_reaction: index(product_reaction),
            num_reactions: reactions.len(),
        })
    }
}

/// The largest value of each of `width` feature columns over `rows` (`-1` without rows), kept
/// on the host so embeddings can check their vocabularies without reading the device.
pub(crate) fn column_max<'a>(rows: impl IntoIterator<Item = &'a [i64]>, width: usize) -> Vec<i64> {
    let mut max = vec![-1i64; width];
    for row in rows {
        for (m, &v) in max.iter_mut().zip(row) {
            *m = (*m).max(v);
        }
    }
    max
}
