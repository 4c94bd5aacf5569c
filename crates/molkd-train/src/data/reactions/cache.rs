//! A compact little-endian binary cache of featurised reaction data sets.
//!
//! Layout: magic `MOLKDRXC`, format version (u32), key (u32 length + UTF-8), payload length
//! (u64), payload, checksum of the payload (u64). The key names everything the data depends
//! on: this crate's version, [`CACHE_VERSION`], the file layout, the source file's absolute
//! path, size and modification time, the feature scheme with its vocabulary sizes, and the load
//! options. A file whose magic, version, key, length or checksum does not match is ignored and
//! rebuilt; decoding checks every length against the bytes left, so a corrupt file never
//! panics or allocates without bound.
//!
//! Feature values are stored as u8 when a graph's values all fit (they do for both schemes),
//! else as i64; bond atom indices as u8, u16 or u32 by the graph's atom count.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use molkd_graph::{Featurizer, MolGraph, ReactionGraph};

use super::{ReactionDataset, ReactionFormat, ReactionLoadOptions, ReactionSplit};
use crate::data::SkippedRow;

/// Bumped whenever the cache layout, a loader or a featurizer changes what it produces.
pub const CACHE_VERSION: u32 = 1;

const MAGIC: &[u8; 8] = b"MOLKDRXC";

/// Where a data set's cache lives and what it must match.
#[derive(Debug, Clone)]
pub(super) struct CacheKey {
    pub path: PathBuf,
    pub key: String,
}

/// 64-bit FNV-1a, stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A fast word-wise checksum of the payload (corruption check, not a cryptographic hash).
fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(w);
        h = (h ^ u64::from_le_bytes(buf)).wrapping_mul(0x0000_0100_0000_01b3);
        h ^= h >> 29;
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl CacheKey {
    /// The key of loading `source` as `format` with `featurizer` and `options` into `dir`;
    /// `None` when the source cannot be inspected (the load itself then reports why).
    pub fn new(
        dir: &Path,
        format: ReactionFormat,
        source: &Path,
        featurizer: &dyn Featurizer,
        options: &ReactionLoadOptions,
    ) -> Option<Self> {
        let meta = fs::metadata(source).ok()?;
        let abs = fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or((0, 0), |d| (d.as_secs(), d.subsec_nanos()));
        // What the cache file is named by: which data, read how. The file's size and time
        // are only in the key, so a changed source overwrites its old cache.
        let identity = format!(
            "molkd-train {} cache v{CACHE_VERSION}; format {}; file {}; scheme {}; \
             atom vocab {:?}; bond vocab {:?}; drop_unchanged_reactants {}; max_rows {:?}",
            env!("CARGO_PKG_VERSION"),
            format.name(),
            abs.display(),
            featurizer.scheme().name(),
            featurizer.atom_vocab_sizes(),
            featurizer.bond_vocab_sizes(),
            options.drop_unchanged_reactants,
            options.max_rows,
        );
        let key = format!(
            "{identity}; size {}; mtime {}.{:09}",
            meta.len(),
            mtime.0,
            mtime.1
        );
        let stem: String = source
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!(
            "{stem}-{:016x}.rxcache",
            fnv1a(identity.as_bytes())
        ));
        Some(Self { path, key })
    }
}

/// Reads the cache; `Ok(None)` when there is none, `Err(reason)` when it is unusable.
pub(super) fn read(key: &CacheKey) -> Result<Option<ReactionDataset>, String> {
    let bytes = match fs::read(&key.path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    let mut r = Reader {
        bytes: &bytes,
        pos: 0,
    };
    if r.take(8)? != MAGIC {
        return Err("not a molkd reaction cache".into());
    }
    let version = r.u32()?;
    if version != CACHE_VERSION {
        return Err(format!("cache version {version}, expected {CACHE_VERSION}"));
    }
    if r.str()? != key.key {
        return Err("stale: made from another file version, featurizer or options".into());
    }
    let len = r.len(1)?;
    let payload = r.take(len)?;
    let sum = r.u64()?;
    if r.pos != bytes.len() {
        return Err("trailing bytes".into());
    }
    if checksum(payload) != sum {
        return Err("checksum mismatch".into());
    }
    decode(payload).map(Some)
}

/// Writes the cache atomically (temporary file in the same folder, then rename).
pub(super) fn write(key: &CacheKey, data: &ReactionDataset) -> Result<(), String> {
    let dir = key.path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let payload = encode(data);
    let mut out = Vec::with_capacity(payload.len() + key.key.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&CACHE_VERSION.to_le_bytes());
    put_str(&mut out, &key.key);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&checksum(&payload).to_le_bytes());
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", key.path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(".rxcache-")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(&out).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(&key.path).map_err(|e| fail(e.error))?;
    Ok(())
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn split_code(split: Option<ReactionSplit>) -> u8 {
    match split {
        None => 0,
        Some(ReactionSplit::Train) => 1,
        Some(ReactionSplit::Valid) => 2,
        Some(ReactionSplit::Test) => 3,
    }
}

fn encode(d: &ReactionDataset) -> Vec<u8> {
    let mut out = Vec::new();
    put_str(&mut out, &d.name);
    out.push(d.format.code());
    put_u64(&mut out, d.total_rows as u64);
    put_u64(&mut out, d.dropped_reactants as u64);
    put_u64(&mut out, d.len() as u64);
    for (i, reaction) in d.reactions.iter().enumerate() {
        put_str(&mut out, &d.smiles[i]);
        match d.yields[i] {
            Some(y) => {
                out.push(1);
                out.extend_from_slice(&y.to_le_bytes());
            }
            None => out.push(0),
        }
        out.push(split_code(d.splits[i]));
        put_u64(&mut out, d.rows[i] as u64);
        for side in [&reaction.reactants, &reaction.products] {
            out.extend_from_slice(&(side.len() as u32).to_le_bytes());
            for g in side {
                put_graph(&mut out, g);
            }
        }
    }
    put_u64(&mut out, d.skipped.len() as u64);
    for s in &d.skipped {
        put_u64(&mut out, s.row as u64);
        put_u64(&mut out, s.line);
        put_str(&mut out, &s.reason);
    }
    out
}

fn put_graph(out: &mut Vec<u8>, g: &MolGraph) {
    out.extend_from_slice(&(g.num_atoms() as u32).to_le_bytes());
    out.extend_from_slice(&(g.num_bonds() as u32).to_le_bytes());
    out.extend_from_slice(&(g.atom_width() as u16).to_le_bytes());
    out.extend_from_slice(&(g.bond_width() as u16).to_le_bytes());
    let small = |v: &[i64]| v.iter().all(|&x| (0..=255).contains(&x));
    let bytes_feat = small(g.atom_features()) && small(g.bond_features());
    out.push(if bytes_feat { 1 } else { 8 });
    let idx = index_width(g.num_atoms());
    out.push(idx);
    let put_features = |out: &mut Vec<u8>, feats: &[i64]| {
        if bytes_feat {
            out.extend(feats.iter().map(|&x| x as u8));
        } else {
            for &x in feats {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
    };
    put_features(out, g.atom_features());
    for &v in g.bonds().iter().flatten() {
        match idx {
            1 => out.push(v as u8),
            2 => out.extend_from_slice(&(v as u16).to_le_bytes()),
            _ => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
    put_features(out, g.bond_features());
}

fn index_width(num_atoms: usize) -> u8 {
    if num_atoms <= 1 << 8 {
        1
    } else if num_atoms <= 1 << 16 {
        2
    } else {
        4
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or("truncated")?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A u64 count of items of at least `min_size` bytes each, checked against what is left.
    fn len(&mut self, min_size: usize) -> Result<usize, String> {
        let n = usize::try_from(self.u64()?).map_err(|_| "length overflow")?;
        if n.saturating_mul(min_size) > self.bytes.len() - self.pos {
            return Err("length past the end".into());
        }
        Ok(n)
    }

    fn str(&mut self) -> Result<&'a str, String> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).map_err(|_| "bad UTF-8".into())
    }

    fn values(&mut self, n: usize, width: u8) -> Result<Vec<i64>, String> {
        let bytes = self.take(n.checked_mul(width as usize).ok_or("length overflow")?)?;
        Ok(match width {
            1 => bytes.iter().map(|&b| i64::from(b)).collect(),
            _ => bytes
                .chunks_exact(8)
                .map(|c| {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(c);
                    i64::from_le_bytes(a)
                })
                .collect(),
        })
    }

    fn graph(&mut self) -> Result<MolGraph, String> {
        let atoms = self.u32()? as usize;
        let bonds = self.u32()? as usize;
        let atom_width = self.u16()? as usize;
        let bond_width = self.u16()? as usize;
        let feat = self.u8()?;
        let idx = self.u8()?;
        if atom_width == 0 || !matches!(feat, 1 | 8) || !matches!(idx, 1 | 2 | 4) {
            return Err("bad graph header".into());
        }
        let atom_features = self.values(atoms * atom_width, feat)?;
        let raw = self.take(
            bonds
                .checked_mul(2 * idx as usize)
                .ok_or("length overflow")?,
        )?;
        let index = |c: &[u8]| -> u32 {
            match c.len() {
                1 => u32::from(c[0]),
                2 => u32::from(u16::from_le_bytes([c[0], c[1]])),
                _ => u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
            }
        };
        let flat: Vec<u32> = raw.chunks_exact(idx as usize).map(index).collect();
        if flat.iter().any(|&a| a as usize >= atoms) {
            return Err("bond atom index out of range".into());
        }
        let bond_list: Vec<[u32; 2]> = flat.chunks_exact(2).map(|c| [c[0], c[1]]).collect();
        let bond_features = self.values(bonds * bond_width, feat)?;
        Ok(MolGraph::new(
            atom_width,
            atom_features,
            bond_width,
            bond_list,
            bond_features,
        ))
    }
}

fn decode(payload: &[u8]) -> Result<ReactionDataset, String> {
    let mut r = Reader {
        bytes: payload,
        pos: 0,
    };
    let name = r.str()?.to_string();
    let format = ReactionFormat::from_code(r.u8()?).ok_or("bad format code")?;
    let total_rows = r.len(0)?;
    let dropped_reactants = r.len(0)?;
    let n = r.len(4 + 1 + 1 + 8 + 8)?;
    let mut d = ReactionDataset::empty(name, format);
    d.total_rows = total_rows;
    d.dropped_reactants = dropped_reactants;
    for _ in 0..n {
        d.smiles.push(r.str()?.to_string());
        d.yields.push(match r.u8()? {
            0 => None,
            1 => Some(f32::from_le_bytes(r.array()?)),
            _ => return Err("bad yield flag".into()),
        });
        d.splits.push(match r.u8()? {
            0 => None,
            1 => Some(ReactionSplit::Train),
            2 => Some(ReactionSplit::Valid),
            3 => Some(ReactionSplit::Test),
            _ => return Err("bad split code".into()),
        });
        d.rows
            .push(usize::try_from(r.u64()?).map_err(|_| "row overflow")?);
        let mut sides = [Vec::new(), Vec::new()];
        for side in &mut sides {
            let k = r.u32()? as usize;
            if k > payload.len() - r.pos {
                return Err("length past the end".into());
            }
            side.reserve(k);
            for _ in 0..k {
                side.push(r.graph()?);
            }
        }
        let [reactants, products] = sides;
        d.reactions.push(ReactionGraph {
            reactants,
            products,
        });
    }
    let skipped = r.len(8 + 8 + 4)?;
    for _ in 0..skipped {
        d.skipped.push(SkippedRow {
            row: usize::try_from(r.u64()?).map_err(|_| "row overflow")?,
            line: r.u64()?,
            reason: r.str()?.to_string(),
        });
    }
    if r.pos != payload.len() {
        return Err("trailing bytes in payload".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use molkd_graph::{OgbFeaturizer, Reaction};

    fn sample() -> ReactionDataset {
        let mut d = ReactionDataset::empty("t.csv".into(), ReactionFormat::UsptoYields);
        for (text, y) in [
            ("CC(=O)O.OCC>>CC(=O)OCC", Some(0.5)),
            ("[Na+:1].[Cl-:2]>>[Na+:1].[Cl-:2]", None),
        ] {
            let r = Reaction::parse(text).unwrap();
            d.reactions.push(r.featurize(&OgbFeaturizer).unwrap());
            d.smiles.push(text.into());
            d.yields.push(y);
            d.splits.push(Some(ReactionSplit::Test));
            d.rows.push(d.rows.len());
        }
        d.skipped.push(SkippedRow {
            row: 2,
            line: 4,
            reason: "bad yield: `x` is not a number".into(),
        });
        d.total_rows = 3;
        d
    }

    #[test]
    fn encode_decode_round_trip() {
        let d = sample();
        let back = decode(&encode(&d)).unwrap();
        assert_eq!(back.reactions, d.reactions);
        assert_eq!(back.smiles, d.smiles);
        assert_eq!(back.yields, d.yields);
        assert_eq!(back.splits, d.splits);
        assert_eq!(back.skipped, d.skipped);
        assert_eq!(back.total_rows, 3);
    }

    #[test]
    fn decoding_corrupt_payloads_never_panics() {
        let payload = encode(&sample());
        for end in 0..payload.len() {
            assert!(decode(&payload[..end]).is_err(), "truncated at {end}");
        }
        for i in 0..payload.len() {
            for bit in 0..8 {
                let mut p = payload.clone();
                p[i] ^= 1 << bit;
                let _ = decode(&p); // Ok (a changed value) or Err, never a panic.
            }
        }
    }

    #[test]
    fn wide_values_and_large_graphs_round_trip() {
        // A graph with features past u8 and more than 256 atoms (u16 bond indices).
        let n = 300;
        let atoms: Vec<i64> = (0..n as i64).map(|i| i * 1000 - 7).collect();
        let bonds: Vec<[u32; 2]> = (1..n as u32).map(|i| [i - 1, i]).collect();
        let bond_features = vec![3; bonds.len()];
        let g = MolGraph::new(1, atoms, 1, bonds, bond_features);
        let mut d = sample();
        d.reactions[0].products[0] = g;
        let back = decode(&encode(&d)).unwrap();
        assert_eq!(back.reactions, d.reactions);
    }
}
