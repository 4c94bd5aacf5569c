//! The frozen teacher's molecule embeddings, computed once per data set: the teacher never
//! changes during distillation, so its forward pass need not run at every step.

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use molkd_graph::{Collate, FeatureScheme, MolGraph};
use molkd_models::{Checkpointed, TeacherModel};
use rayon::prelude::*;

use crate::data::MoleculeDataset;
use crate::error::{Result, TrainError};

/// Teacher embeddings of every molecule of a data set, `[n × dim]` on the host.
#[derive(Debug, Clone)]
pub struct TeacherEmbeddings {
    dim: usize,
    values: Vec<f32>,
}

impl TeacherEmbeddings {
    /// Loads the teacher checkpoint in `teacher_dir` (a `teacher/` directory written by
    /// `molkd pretrain-teacher`) and embeds every molecule of `data`, which was featurised
    /// with `scheme`. The teacher's own feature scheme is read off its vocabularies; molecules
    /// are re-featurised when it differs. Errors: an unreadable or mis-shaped checkpoint (the
    /// message names the file and the mismatching parameter), vocabularies of no known scheme.
    pub fn compute(
        teacher_dir: &Path,
        data: &MoleculeDataset,
        scheme: FeatureScheme,
        device: &Device,
    ) -> Result<Self> {
        let device = device.clone().without_autodiff();
        let (teacher, config) = TeacherModel::load(teacher_dir, &device)?;
        let teacher_scheme =
            FeatureScheme::of_vocab(&config.atom_vocab_sizes, &config.bond_vocab_sizes)
                .ok_or_else(|| {
                    TrainError::Invalid(format!(
                        "{}: teacher vocabularies (atoms {:?}, bonds {:?}) match no feature scheme",
                        teacher_dir.display(),
                        config.atom_vocab_sizes,
                        config.bond_vocab_sizes
                    ))
                })?;
        let featurizer = teacher_scheme.featurizer();
        let refeaturized: Vec<MolGraph>;
        let graphs: Vec<&MolGraph> = if teacher_scheme == scheme {
            data.graphs.iter().collect()
        } else {
            refeaturized = data
                .smiles
                .par_iter()
                .map(|s| featurizer.featurize(s))
                .collect::<std::result::Result<_, _>>()?;
            refeaturized.iter().collect()
        };
        // Collated as in pre-training: with self-loops wherever the scheme has them.
        let collate = Collate::new(featurizer);
        let mut values = Vec::with_capacity(graphs.len() * config.d_model);
        for chunk in graphs.chunks(512) {
            let batch = collate.collate(chunk.iter().copied(), &device)?;
            teacher.check(&batch)?;
            values.extend(
                teacher
                    .embed(&batch)
                    .try_to_vec_as::<f32>()
                    .map_err(|e| TrainError::TensorRead(format!("{e:?}")))?,
            );
        }
        Ok(Self {
            dim: config.d_model,
            values,
        })
    }

    /// Embedding width.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of molecules embedded.
    pub fn len(&self) -> usize {
        self.values.len() / self.dim.max(1)
    }

    /// Whether no molecule was embedded.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The embeddings of molecules `indices` as a `[B, dim]` tensor on `device` (constant:
    /// no gradient flows into the teacher).
    pub fn batch(&self, indices: &[usize], device: &Device) -> Tensor<2> {
        let mut rows = Vec::with_capacity(indices.len() * self.dim);
        for &i in indices {
            rows.extend_from_slice(&self.values[i * self.dim..(i + 1) * self.dim]);
        }
        Tensor::from_data(TensorData::new(rows, [indices.len(), self.dim]), device)
    }
}
