//! Reaction data sets: USPTO yields, Buchwald–Hartwig and Suzuki–Miyaura HTE yields, and
//! Jin et al.'s atom-mapped USPTO-480k, featurised into [`ReactionGraph`]s.
//!
//! Every loader reads its file (plain, gzip or xz; Jin's `.tar.gz`), skips unusable rows with a
//! counted reason ([`ReactionDataset::skip_report`]), featurises in parallel keeping file order,
//! and — when [`ReactionLoadOptions::cache_dir`] is set — caches the featurised set (see
//! [`CACHE_VERSION`] and the `cache` module docs) so a second load only decodes a binary file.

mod build;
mod cache;
mod records;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use molkd_graph::{Featurizer, ReactionGraph};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use build::strip_atom_maps;
pub use cache::CACHE_VERSION;

use self::records::{CsvLayout, RawTable, YieldScale};
use crate::data::SkippedRow;
use crate::data::dataset::{no_usable_rows, write_skip_report};
use crate::error::Result;
use crate::run_dir::Fingerprint;

/// A data split named by the file itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReactionSplit {
    /// Training set.
    Train,
    /// Validation set.
    Valid,
    /// Test set.
    Test,
}

/// The reaction file layouts molkd reads (see `shared/data/SOURCES.md`, section B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReactionFormat {
    /// `uspto_yields_above.csv.xz`: columns `yield` (0–100 %), `split` (train/test),
    /// `rxn` (`reactants>>products`, reagents among the reactants).
    UsptoYields,
    /// `doyle_FullCV_01.csv`: columns `smiles` (reaction SMILES), `yield` (0–100 %).
    BuchwaldHartwig,
    /// `random_split_0.tsv`: tab-separated, an unnamed index column, `rxn` (`~` joins the
    /// fragments of one component), `y` (yield as a fraction 0–1).
    SuzukiMiyaura,
    /// Jin et al.'s `{train,valid,test}.txt.tar.gz`: lines `mapped_reactants>>product edits`,
    /// no yields; the split is the member file's name.
    Jin,
}

impl std::str::FromStr for ReactionFormat {
    type Err = String;

    /// Parses [`ReactionFormat::name`] (`_` accepted for `-`).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let all = [
            ReactionFormat::UsptoYields,
            ReactionFormat::BuchwaldHartwig,
            ReactionFormat::SuzukiMiyaura,
            ReactionFormat::Jin,
        ];
        let wanted = s.replace('_', "-").to_ascii_lowercase();
        all.into_iter()
            .find(|f| f.name() == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown reaction format `{s}` (uspto-yields, buchwald-hartwig, suzuki-miyaura, jin)"
                )
            })
    }
}

impl ReactionFormat {
    /// Short name (`uspto-yields`, `buchwald-hartwig`, `suzuki-miyaura`, `jin`).
    pub fn name(self) -> &'static str {
        match self {
            ReactionFormat::UsptoYields => "uspto-yields",
            ReactionFormat::BuchwaldHartwig => "buchwald-hartwig",
            ReactionFormat::SuzukiMiyaura => "suzuki-miyaura",
            ReactionFormat::Jin => "jin",
        }
    }

    fn code(self) -> u8 {
        match self {
            ReactionFormat::UsptoYields => 1,
            ReactionFormat::BuchwaldHartwig => 2,
            ReactionFormat::SuzukiMiyaura => 3,
            ReactionFormat::Jin => 4,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        [
            ReactionFormat::UsptoYields,
            ReactionFormat::BuchwaldHartwig,
            ReactionFormat::SuzukiMiyaura,
            ReactionFormat::Jin,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }

    /// Loads `path` in this layout (see [`load_reactions`]).
    pub fn load(
        self,
        path: &Path,
        featurizer: &dyn Featurizer,
        options: &ReactionLoadOptions,
    ) -> Result<ReactionDataset> {
        load_reactions(self, path, featurizer, options)
    }
}

/// How to load a reaction file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReactionLoadOptions {
    /// Drop reactant components that appear unchanged among the products. Components are
    /// compared as exact strings after removing atom-map numbers ([`strip_atom_maps`]), not
    /// as canonical SMILES (no canonical writer is exposed by `molkd-graph`): an unchanged
    /// molecule written differently on the two sides is kept. A reaction left without
    /// reactants is skipped. Default `false`.
    pub drop_unchanged_reactants: bool,
    /// Read only the first `max_rows` data rows of the file (skipped rows count). Default: all.
    pub max_rows: Option<usize>,
    /// Folder of the featurised-data cache; `None` (default) disables caching. See
    /// [`default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
}

impl ReactionLoadOptions {
    /// These options with caching in `dir` (`None` disables it).
    pub fn cache_in(mut self, dir: Option<PathBuf>) -> Self {
        self.cache_dir = dir;
        self
    }
}

/// The default cache folder: `$MOLKD_CACHE_DIR`, else `$XDG_CACHE_HOME/molkd`, else
/// `$HOME/.cache/molkd`; `None` if none of these is set.
pub fn default_cache_dir() -> Option<PathBuf> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("MOLKD_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("molkd")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("molkd")))
}

/// What the cache did during a load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CacheStatus {
    /// No cache folder was given.
    #[default]
    Disabled,
    /// The data set was decoded from this cache file.
    Hit(PathBuf),
    /// No cache existed; the file was featurised and the cache written here.
    Written(PathBuf),
    /// A cache file was there but unusable (stale, corrupt, other version): it was rebuilt.
    Rebuilt {
        /// The cache file.
        path: PathBuf,
        /// Why the old one was not used.
        reason: String,
    },
    /// The data set was featurised but the cache could not be written (the load still works).
    WriteFailed(String),
}

/// Featurised reactions with their yields, splits and file rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReactionDataset {
    /// Data set name (the file name).
    pub name: String,
    /// Layout the file was read as.
    pub format: ReactionFormat,
    /// Reactant and product graphs per reaction (agents are not featurised).
    pub reactions: Vec<ReactionGraph>,
    /// Reaction text as in the file (trimmed; for Jin files without the bond edits), before
    /// unchanged reactants are dropped.
    pub smiles: Vec<String>,
    /// Yield as a fraction in [0, 1]; `None` where the file has no yields.
    pub yields: Vec<Option<f32>>,
    /// Split from the file, where it names one.
    pub splits: Vec<Option<ReactionSplit>>,
    /// 0-based data-row number in the file of each reaction.
    pub rows: Vec<usize>,
    /// Rows left out, with reasons, by row number.
    pub skipped: Vec<SkippedRow>,
    /// Data rows read from the file (all of them, or `max_rows`).
    pub total_rows: usize,
    /// Reactant components dropped as unchanged (with `drop_unchanged_reactants`).
    pub dropped_reactants: usize,
    /// What the cache did for this load (not part of the data).
    #[serde(skip)]
    pub cache: CacheStatus,
}

impl ReactionDataset {
    fn empty(name: String, format: ReactionFormat) -> Self {
        Self {
            name,
            format,
            reactions: Vec::new(),
            smiles: Vec::new(),
            yields: Vec::new(),
            splits: Vec::new(),
            rows: Vec::new(),
            skipped: Vec::new(),
            total_rows: 0,
            dropped_reactants: 0,
            cache: CacheStatus::Disabled,
        }
    }

    /// Number of reactions kept.
    pub fn len(&self) -> usize {
        self.reactions.len()
    }

    /// Whether no reaction was kept.
    pub fn is_empty(&self) -> bool {
        self.reactions.is_empty()
    }

    /// Indices of the reactions in `split`, in file order.
    pub fn indices_of(&self, split: ReactionSplit) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.splits[i] == Some(split))
            .collect()
    }

    /// Number of skipped rows per kind of reason (`malformed row`, `bad yield`, `bad split`,
    /// `invalid reaction`, `invalid component`).
    pub fn skip_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for s in &self.skipped {
            *counts.entry(SkipKind::of(&s.reason).label()).or_insert(0) += 1;
        }
        counts
    }

    /// A one-line account of what was skipped and why, e.g. for a progress log.
    pub fn skip_report(&self) -> ReactionSkipReport<'_> {
        ReactionSkipReport(self)
    }

    /// A fingerprint of the reactions: their text, yields and file splits.
    pub fn fingerprint(&self) -> String {
        let mut f = Fingerprint::new();
        for (i, smiles) in self.smiles.iter().enumerate() {
            f.add(smiles.as_bytes());
            f.add(&self.yields[i].map_or([0xff; 4], f32::to_le_bytes));
            f.add(format!("{:?}", self.splits[i]).as_bytes());
        }
        f.finish()
    }
}

/// Display helper of [`ReactionDataset::skip_report`].
pub struct ReactionSkipReport<'a>(&'a ReactionDataset);

impl fmt::Display for ReactionSkipReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write_skip_report(f, &d.name, d.len(), d.total_rows, &d.skipped, |reason| {
            SkipKind::of(reason).label()
        })
    }
}

/// Kinds of skip reasons; every reason starts with its kind's label and a colon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkipKind {
    /// Wrong field count or unreadable record.
    Malformed,
    /// Yield empty, not a number, or out of range.
    BadYield,
    /// Split cell not train / valid / test.
    BadSplit,
    /// No `>>`, an empty side or component, or no reactant left.
    InvalidReaction,
    /// A component that does not parse or featurise.
    InvalidComponent,
}

impl SkipKind {
    const ALL: [SkipKind; 5] = [
        SkipKind::Malformed,
        SkipKind::BadYield,
        SkipKind::BadSplit,
        SkipKind::InvalidReaction,
        SkipKind::InvalidComponent,
    ];

    fn label(self) -> &'static str {
        match self {
            SkipKind::Malformed => "malformed row",
            SkipKind::BadYield => "bad yield",
            SkipKind::BadSplit => "bad split",
            SkipKind::InvalidReaction => "invalid reaction",
            SkipKind::InvalidComponent => "invalid component",
        }
    }

    fn reason(self, detail: &str) -> String {
        format!("{}: {detail}", self.label())
    }

    fn of(reason: &str) -> SkipKind {
        Self::ALL
            .into_iter()
            .find(|k| reason.starts_with(k.label()))
            .unwrap_or(SkipKind::Malformed)
    }
}

/// Loads the USPTO yields file ([`ReactionFormat::UsptoYields`]).
pub fn load_uspto_yields(
    path: &Path,
    featurizer: &dyn Featurizer,
    options: &ReactionLoadOptions,
) -> Result<ReactionDataset> {
    load_reactions(ReactionFormat::UsptoYields, path, featurizer, options)
}

/// Loads the Buchwald–Hartwig file ([`ReactionFormat::BuchwaldHartwig`]).
pub fn load_buchwald_hartwig(
    path: &Path,
    featurizer: &dyn Featurizer,
    options: &ReactionLoadOptions,
) -> Result<ReactionDataset> {
    load_reactions(ReactionFormat::BuchwaldHartwig, path, featurizer, options)
}

/// Loads the Suzuki–Miyaura file ([`ReactionFormat::SuzukiMiyaura`]).
pub fn load_suzuki_miyaura(
    path: &Path,
    featurizer: &dyn Featurizer,
    options: &ReactionLoadOptions,
) -> Result<ReactionDataset> {
    load_reactions(ReactionFormat::SuzukiMiyaura, path, featurizer, options)
}

/// Loads a Jin et al. USPTO-480k file ([`ReactionFormat::Jin`]).
pub fn load_uspto_480k_jin(
    path: &Path,
    featurizer: &dyn Featurizer,
    options: &ReactionLoadOptions,
) -> Result<ReactionDataset> {
    load_reactions(ReactionFormat::Jin, path, featurizer, options)
}

/// Loads `path` as `format`: from the cache when one matches, else by reading and
/// featurising the file (then writing the cache, if a cache folder is set).
///
/// Rows are skipped, each with a reason, for: a wrong field count, a yield that is empty,
/// not a number or outside 0–100 % (0–1 for the fraction file), an unknown split, reaction
/// text without `>>` or with an empty side or empty component, and a component that does not
/// parse or featurise (named in the reason). Errors are only for the file as a whole: it cannot
/// be read, lacks a column, or has no usable row ([`crate::TrainError::NoUsableRows`]).
pub fn load_reactions(
    format: ReactionFormat,
    path: &Path,
    featurizer: &dyn Featurizer,
    options: &ReactionLoadOptions,
) -> Result<ReactionDataset> {
    let key = options
        .cache_dir
        .as_deref()
        .and_then(|dir| cache::CacheKey::new(dir, format, path, featurizer, options));
    let mut stale = None;
    if let Some(key) = &key {
        match cache::read(key) {
            Ok(Some(mut data)) => {
                data.cache = CacheStatus::Hit(key.path.clone());
                return Ok(data);
            }
            Ok(None) => {}
            Err(reason) => stale = Some(reason),
        }
    }
    let mut data = featurize_file(format, path, featurizer, options)?;
    if let Some(key) = key {
        data.cache = match (cache::write(&key, &data), stale) {
            (Err(e), _) => CacheStatus::WriteFailed(e),
            (Ok(()), Some(reason)) => CacheStatus::Rebuilt {
                path: key.path,
                reason,
            },
            (Ok(()), None) => CacheStatus::Written(key.path),
        };
    }
    Ok(data)
}

/// Reads and featurises without the cache.
fn featurize_file(
    format: ReactionFormat,
    path: &Path,
    featurizer: &dyn Featurizer,
    options: &ReactionLoadOptions,
) -> Result<ReactionDataset> {
    let percent = |reaction, yield_column| CsvLayout {
        delimiter: b',',
        reaction,
        yield_column: Some((yield_column, YieldScale::Percent)),
        split: None,
    };
    let raw: RawTable = match format {
        ReactionFormat::UsptoYields => records::read_csv(
            path,
            CsvLayout {
                split: Some("split"),
                ..percent("rxn", "yield")
            },
            options.max_rows,
        )?,
        ReactionFormat::BuchwaldHartwig => {
            records::read_csv(path, percent("smiles", "yield"), options.max_rows)?
        }
        ReactionFormat::SuzukiMiyaura => records::read_csv(
            path,
            CsvLayout {
                delimiter: b'\t',
                reaction: "rxn",
                yield_column: Some(("y", YieldScale::Fraction)),
                split: None,
            },
            options.max_rows,
        )?,
        ReactionFormat::Jin => records::read_jin(path, options.max_rows)?,
    };
    let built: Vec<_> = raw
        .records
        .par_iter()
        .map(|r| build::build_reaction(&r.text, featurizer, options.drop_unchanged_reactants))
        .collect();
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut data = ReactionDataset::empty(name, format);
    data.total_rows = raw.total_rows;
    data.skipped = raw.skipped;
    for (record, result) in raw.records.into_iter().zip(built) {
        match result {
            Ok((graph, dropped)) => {
                data.reactions.push(graph);
                data.smiles.push(record.text);
                data.yields.push(record.yield_fraction);
                data.splits.push(record.split);
                data.rows.push(record.row);
                data.dropped_reactants += dropped;
            }
            Err(reason) => data.skipped.push(SkippedRow {
                row: record.row,
                line: record.line,
                reason,
            }),
        }
    }
    data.skipped.sort_by_key(|s| s.row);
    if data.is_empty() {
        let unencodable = !data.skipped.is_empty()
            && data
                .skipped
                .iter()
                .all(|s| s.reason.contains("cannot be encoded by the pretrain-gnns"));
        let hint = unencodable.then_some(
            "every reaction has a component the pretrain-gnns feature scheme cannot encode \
             (it has no category for, e.g., a metal–ligand bond of a precatalyst): use the ogb \
             scheme (`--scheme ogb`, whose vocabularies have a `misc` category) with a layer \
             that needs no self-loops (`--conv sage`, `gat` or `tag`)",
        );
        return Err(no_usable_rows(
            path,
            &data.skip_report().to_string(),
            &data.skipped,
            hint,
        ));
    }
    Ok(data)
}
