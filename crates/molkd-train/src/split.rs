//! Train / valid / test splits: scaffold (deterministic), random scaffold and random (seeded).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use molkd_graph::murcko_scaffold;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// Positions (into the list that was split) of each part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// Training positions.
    pub train: Vec<usize>,
    /// Validation positions.
    pub valid: Vec<usize>,
    /// Test positions.
    pub test: Vec<usize>,
}

impl Split {
    /// The same split with every position `i` replaced by `ids[i]` (e.g. file row numbers).
    pub fn map(&self, ids: &[usize]) -> Split {
        let f = |v: &[usize]| v.iter().map(|&i| ids[i]).collect();
        Split {
            train: f(&self.train),
            valid: f(&self.valid),
            test: f(&self.test),
        }
    }
}

/// Fractions of train / valid / test (pretrain-gnns: 0.8 / 0.1 / 0.1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitFractions {
    /// Train fraction.
    pub train: f64,
    /// Validation fraction.
    pub valid: f64,
    /// Test fraction.
    pub test: f64,
}

impl Default for SplitFractions {
    fn default() -> Self {
        Self {
            train: 0.8,
            valid: 0.1,
            test: 0.1,
        }
    }
}

impl SplitFractions {
    fn check(&self) -> Result<()> {
        let all = [self.train, self.valid, self.test];
        if all.iter().any(|f| !(0.0..=1.0).contains(f))
            || (all.iter().sum::<f64>() - 1.0).abs() > 1e-6
        {
            return Err(TrainError::Invalid(format!(
                "split fractions must be in [0, 1] and sum to 1, got {all:?}"
            )));
        }
        Ok(())
    }
}

/// Which split to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SplitKind {
    /// [`scaffold_split`].
    Scaffold,
    /// [`random_scaffold_split`].
    RandomScaffold,
    /// [`random_split`].
    Random,
}

impl FromStr for SplitKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "scaffold" => Ok(Self::Scaffold),
            "random-scaffold" | "random_scaffold" => Ok(Self::RandomScaffold),
            "random" => Ok(Self::Random),
            _ => Err(format!(
                "unknown split `{s}` (expected scaffold, random-scaffold or random)"
            )),
        }
    }
}

impl fmt::Display for SplitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Scaffold => "scaffold",
            Self::RandomScaffold => "random-scaffold",
            Self::Random => "random",
        })
    }
}

impl SplitKind {
    /// Splits `smiles` (the random kinds use `seed`; scaffold ignores it).
    pub fn split<S: AsRef<str> + Sync>(
        self,
        smiles: &[S],
        fractions: SplitFractions,
        seed: u64,
    ) -> Result<Split> {
        match self {
            Self::Scaffold => scaffold_split(smiles, fractions),
            Self::RandomScaffold => random_scaffold_split(smiles, fractions, seed),
            Self::Random => random_split(smiles.len(), fractions, seed),
        }
    }
}

/// Positions grouped by Murcko scaffold (with chirality), groups in order of first appearance.
fn scaffold_groups<S: AsRef<str> + Sync>(smiles: &[S]) -> Result<Vec<Vec<usize>>> {
    let scaffolds: Vec<String> = smiles
        .par_iter()
        .map(|s| murcko_scaffold(s.as_ref()))
        .collect::<std::result::Result<_, _>>()?;
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, scaffold) in scaffolds.iter().enumerate() {
        let g = *index.entry(scaffold.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    Ok(groups)
}

/// pretrain-gnns `scaffold_split`: group by scaffold, order groups by (size, first position)
/// descending, and fill train, then valid, then test, a whole group at a time.
pub fn scaffold_split<S: AsRef<str> + Sync>(
    smiles: &[S],
    fractions: SplitFractions,
) -> Result<Split> {
    fractions.check()?;
    let mut groups = scaffold_groups(smiles)?;
    groups.sort_by(|a, b| (b.len(), b[0]).cmp(&(a.len(), a[0])));
    let n = smiles.len() as f64;
    let train_cutoff = fractions.train * n;
    let valid_cutoff = (fractions.train + fractions.valid) * n;
    let mut split = Split::default();
    for group in groups {
        if (split.train.len() + group.len()) as f64 > train_cutoff {
            if (split.train.len() + split.valid.len() + group.len()) as f64 > valid_cutoff {
                split.test.extend(group);
            } else {
                split.valid.extend(group);
            }
        } else {
            split.train.extend(group);
        }
    }
    Ok(split)
}

/// pretrain-gnns `random_scaffold_split`: scaffold groups in a seeded random order; a group
/// goes to valid while it fits `floor(valid · n)`, else to test while it fits, else to train.
pub fn random_scaffold_split<S: AsRef<str> + Sync>(
    smiles: &[S],
    fractions: SplitFractions,
    seed: u64,
) -> Result<Split> {
    fractions.check()?;
    let mut groups = scaffold_groups(smiles)?;
    groups.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let n = smiles.len() as f64;
    let n_valid = (fractions.valid * n).floor() as usize;
    let n_test = (fractions.test * n).floor() as usize;
    let mut split = Split::default();
    for group in groups {
        if split.valid.len() + group.len() <= n_valid {
            split.valid.extend(group);
        } else if split.test.len() + group.len() <= n_test {
            split.test.extend(group);
        } else {
            split.train.extend(group);
        }
    }
    Ok(split)
}

/// A seeded permutation of `0..n` cut into `train` and `valid` molecules and the rest as test
/// (Transformer-M's QM9 split: 110,000 / 10,000 / rest). Needs `train + valid <= n`.
pub fn random_split_sizes(n: usize, train: usize, valid: usize, seed: u64) -> Split {
    let mut all: Vec<usize> = (0..n).collect();
    all.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let (train, valid) = (train.min(n), valid.min(n - train.min(n)));
    Split {
        train: all[..train].to_vec(),
        valid: all[train..train + valid].to_vec(),
        test: all[train + valid..].to_vec(),
    }
}

/// pretrain-gnns `random_split`: a seeded permutation cut at `int(train · n)` and
/// `int(train · n) + int(valid · n)`.
pub fn random_split(n: usize, fractions: SplitFractions, seed: u64) -> Result<Split> {
    fractions.check()?;
    let mut all: Vec<usize> = (0..n).collect();
    all.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let n_train = (fractions.train * n as f64) as usize;
    let n_valid = (fractions.valid * n as f64) as usize;
    Ok(Split {
        train: all[..n_train].to_vec(),
        valid: all[n_train..n_train + n_valid].to_vec(),
        test: all[n_train + n_valid..].to_vec(),
    })
}
