//! Padded dense batches for relation Transformers (Graphormer, Transformer-M, MoleBLEND): per
//! molecule its atoms and every atom pair, padded to the largest molecule of the batch. Built
//! from the same pre-featurised [`MolGraph`]s as [`crate::GraphBatch`], so a data set is
//! featurised once whichever encoder trains on it.

use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use crate::batch::column_max;
use crate::error::{GraphError, Result};
use crate::mol_graph::MolGraph;
use crate::relations::{PairRelations, SPD_UNREACHABLE};

/// SPD value of a pair in different fragments, in [`DenseBatch::spd`].
pub const DENSE_SPD_UNREACHABLE: i64 = 511;

/// A batch of `B` molecules padded to `n` atoms (the largest molecule of the batch).
///
/// Padding atoms have all-zero features and `padding_mask` set; pairs involving one are zero
/// everywhere. Path features are stored `value + 1`, so 0 means "no hop" (past the end of a
/// path, the diagonal, unreachable or padding pairs) and embedding tables can reserve row 0.
#[derive(Debug, Clone)]
pub struct DenseBatch {
    /// Atom feature indices `[B, n, F_atom]`.
    pub atom_features: Tensor<3, Int>,
    /// Number of bonded (heavy-atom) neighbours `[B, n]`.
    pub degree: Tensor<2, Int>,
    /// Shortest-path distance in bonds `[B, n, n]`: 0 on the diagonal,
    /// [`DENSE_SPD_UNREACHABLE`] across fragments.
    pub spd: Tensor<3, Int>,
    /// Bond features of the first `hops` hops of a shortest path from `i` to `j`, plus one
    /// (0 = no hop) `[B, n, n, hops, F_bond]` (tie rule: [`crate::relations`]).
    pub path_features: Tensor<5, Int>,
    /// Positions in Å `[B, n, 3]`, when the batch was built with coordinates.
    pub coords: Option<Tensor<3>>,
    /// True at padding positions `[B, n]`.
    pub padding_mask: Tensor<2, Bool>,
    /// Atoms per molecule.
    pub num_atoms: Vec<usize>,
    /// Largest value of each atom feature column (host side, for vocabulary checks).
    pub atom_feature_max: Vec<i64>,
    /// Largest value of each bond feature column (`-1` without bonds).
    pub bond_feature_max: Vec<i64>,
    /// Largest degree of the batch.
    pub max_degree: i64,
}

impl DenseBatch {
    /// Number of molecules `B`.
    pub fn num_graphs(&self) -> usize {
        self.num_atoms.len()
    }

    /// Padded atom count `n`.
    pub fn max_atoms(&self) -> usize {
        self.padding_mask.dims()[1]
    }

    /// The device the tensors live on.
    pub fn device(&self) -> Device {
        self.atom_features.device()
    }
}

/// Builds [`DenseBatch`]es.
///
/// ```
/// use burn::tensor::Device;
/// use molkd_graph::{DenseCollate, Featurizer, OgbFeaturizer};
/// let graphs: Vec<_> = ["CCO", "c1ccccc1"].iter().map(|s| OgbFeaturizer.featurize(s).unwrap()).collect();
/// let batch = DenseCollate::new().collate(&graphs, &Device::default()).unwrap();
/// assert_eq!(batch.spd.dims(), [2, 6, 6]);
/// assert_eq!(batch.path_features.dims(), [2, 6, 6, 5, 3]);
/// let spd = batch.spd.into_data().iter::<i64>().collect::<Vec<_>>();
/// assert_eq!(&spd[..3], &[0, 1, 2]); // ethanol's first row
/// ```
#[derive(Debug, Clone)]
pub struct DenseCollate {
    max_hops: usize,
    max_atoms: Option<usize>,
    cut_length: Option<usize>,
    coords: bool,
}

impl Default for DenseCollate {
    fn default() -> Self {
        Self::new()
    }
}

impl DenseCollate {
    /// Five hops per path (Graphormer's `multi_hop_max_dist`), no size limit, no coordinates.
    pub fn new() -> Self {
        Self {
            max_hops: 5,
            max_atoms: None,
            cut_length: None,
            coords: false,
        }
    }

    /// Hops of each path to keep (at least 1).
    pub fn with_max_hops(mut self, hops: usize) -> Self {
        self.max_hops = hops.max(1);
        self
    }

    /// Refuse molecules of more than `n` atoms (a model sized for it).
    pub fn with_max_atoms(mut self, n: Option<usize>) -> Self {
        self.max_atoms = n;
        self
    }

    /// Crop molecules of more than `n` atoms to their first `n` (MoleBLEND's `--cut-length`,
    /// which its SIDER fine-tuning applies to training molecules). The kept atoms keep the
    /// relations of the whole molecule: SPD, bond paths and degrees are measured before the
    /// crop, as the original slices its pre-computed tensors. `None`: no crop.
    pub fn with_cut_length(mut self, n: Option<usize>) -> Self {
        self.cut_length = n.map(|n| n.max(1));
        self
    }

    /// The crop length, if any.
    pub fn cut_length(&self) -> Option<usize> {
        self.cut_length
    }

    /// Atoms of `g` a batch holds: all of them, or the first [`Self::cut_length`].
    pub fn kept_atoms(&self, g: &MolGraph) -> usize {
        self.cut_length
            .map_or(g.num_atoms(), |cut| g.num_atoms().min(cut))
    }

    /// Include coordinates: every molecule must have them.
    pub fn with_coords(mut self, coords: bool) -> Self {
        self.coords = coords;
        self
    }

    /// Hops kept per path.
    pub fn max_hops(&self) -> usize {
        self.max_hops
    }

    /// Checks one molecule against the size limit and the need for coordinates; `Err` says
    /// what is wrong (`"has 40 atoms, …"`), for the caller to name the molecule.
    pub fn check_molecule(&self, g: &MolGraph) -> std::result::Result<(), String> {
        if let Some(limit) = self.max_atoms
            && self.kept_atoms(g) > limit
        {
            return Err(format!(
                "has {} atoms, more than the {limit} the model takes",
                g.num_atoms()
            ));
        }
        if self.coords && g.coords().is_none() {
            return Err("has no 3D coordinates, and this model's input needs them".into());
        }
        Ok(())
    }

    /// Pads `graphs` into one batch on `device`. Errors name the molecule by its position in
    /// `graphs`: one larger than the size limit, one without coordinates when they are
    /// required, mixed feature widths, or an empty batch.
    pub fn collate<'a, I>(&self, graphs: I, device: &Device) -> Result<DenseBatch>
    where
        I: IntoIterator<Item = &'a MolGraph>,
    {
        let graphs: Vec<&MolGraph> = graphs.into_iter().collect();
        let Some(first) = graphs.first() else {
            return Err(GraphError::Collate("empty batch".into()));
        };
        let (fa, fb) = (first.atom_width(), first.bond_width());
        for (k, g) in graphs.iter().enumerate() {
            if g.atom_width() != fa || g.bond_width() != fb {
                return Err(GraphError::Collate(format!(
                    "molecule {k} has {} atom / {} bond features, molecule 0 has {fa} / {fb}",
                    g.atom_width(),
                    g.bond_width()
                )));
            }
            if let Err(reason) = self.check_molecule(g) {
                return Err(if self.coords && g.coords().is_none() {
                    GraphError::Coordinates(format!("molecule {k} {reason}"))
                } else {
                    GraphError::Collate(format!("molecule {k} {reason}"))
                });
            }
        }
        let b = graphs.len();
        let n = graphs
            .iter()
            .map(|g| self.kept_atoms(g))
            .max()
            .unwrap_or(0)
            .max(1);
        let h = self.max_hops;
        let mut atoms = vec![0i64; b * n * fa];
        let mut degree = vec![0i64; b * n];
        let mut spd = vec![0i64; b * n * n];
        let mut paths = vec![0i64; b * n * n * h * fb];
        let mut coords = vec![0f32; if self.coords { b * n * 3 } else { 0 }];
        let mut padding = vec![true; b * n];
        let mut max_degree = 0;
        for (k, g) in graphs.iter().enumerate() {
            let m = self.kept_atoms(g);
            atoms[k * n * fa..(k * n + m) * fa].copy_from_slice(&g.atom_features()[..m * fa]);
            padding[k * n..k * n + m].fill(false);
            for &[u, v] in g.bonds() {
                for a in [u as usize, v as usize] {
                    if a < m {
                        degree[k * n + a] += 1;
                    }
                }
            }
            max_degree =
                max_degree.max(degree[k * n..k * n + m].iter().copied().max().unwrap_or(0));
            let rel = PairRelations::of(g, h);
            for i in 0..m {
                for j in 0..m {
                    let pair = (k * n + i) * n + j;
                    let d = rel.spd(i, j);
                    spd[pair] = if d == SPD_UNREACHABLE {
                        DENSE_SPD_UNREACHABLE
                    } else {
                        i64::from(d)
                    };
                    for (t, bond) in rel.path_features(g, i, j).enumerate() {
                        let at = (pair * h + t) * fb;
                        for (c, &v) in bond.iter().enumerate() {
                            paths[at + c] = v + 1;
                        }
                    }
                }
            }
            if let Some(p) = g.coords().filter(|_| self.coords) {
                for (i, xyz) in p[..m].iter().enumerate() {
                    coords[(k * n + i) * 3..(k * n + i + 1) * 3].copy_from_slice(xyz);
                }
            }
        }
        let int = |v: Vec<i64>, shape: Vec<usize>| TensorData::new(v, shape);
        Ok(DenseBatch {
            atom_features: Tensor::from_data(int(atoms, vec![b, n, fa]), device),
            degree: Tensor::from_data(int(degree, vec![b, n]), device),
            spd: Tensor::from_data(int(spd, vec![b, n, n]), device),
            path_features: Tensor::from_data(int(paths, vec![b, n, n, h, fb]), device),
            coords: self
                .coords
                .then(|| Tensor::from_data(TensorData::new(coords, [b, n, 3]), device)),
            padding_mask: Tensor::from_data(TensorData::new(padding, [b, n]), device),
            num_atoms: graphs.iter().map(|g| self.kept_atoms(g)).collect(),
            atom_feature_max: column_max(
                graphs
                    .iter()
                    .flat_map(|g| g.atom_features().chunks_exact(fa)),
                fa,
            ),
            bond_feature_max: column_max(
                graphs
                    .iter()
                    .flat_map(|g| g.bond_features().chunks_exact(fb.max(1))),
                fb,
            ),
            max_degree,
        })
    }
}
