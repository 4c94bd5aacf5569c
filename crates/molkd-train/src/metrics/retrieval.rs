//! Product retrieval as MolR evaluates it: rank each reaction's true product among all
//! products by Euclidean distance to its reactant embedding.

use burn::tensor::{Int, Tensor};

use crate::error::{Result, TrainError};

/// Mean reciprocal rank and hit rates of a retrieval run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RetrievalMetrics {
    /// Mean of `1 / rank`.
    pub mrr: f64,
    /// Fraction of queries with rank ≤ 1.
    pub hit_at_1: f64,
    /// Fraction with rank ≤ 3.
    pub hit_at_3: f64,
    /// Fraction with rank ≤ 5.
    pub hit_at_5: f64,
    /// Fraction with rank ≤ 10.
    pub hit_at_10: f64,
    /// Number of queries.
    pub n: usize,
}

impl RetrievalMetrics {
    /// Metrics of 1-based `ranks`; an error if `ranks` is empty or holds a 0.
    pub fn from_ranks(ranks: &[usize]) -> Result<Self> {
        if ranks.is_empty() {
            return Err(TrainError::Metric("retrieval: no queries".into()));
        }
        if ranks.contains(&0) {
            return Err(TrainError::Metric("retrieval: ranks are 1-based".into()));
        }
        let n = ranks.len() as f64;
        let hit = |k: usize| ranks.iter().filter(|&&r| r <= k).count() as f64 / n;
        Ok(Self {
            mrr: ranks.iter().map(|&r| 1.0 / r as f64).sum::<f64>() / n,
            hit_at_1: hit(1),
            hit_at_3: hit(3),
            hit_at_5: hit(5),
            hit_at_10: hit(10),
            n: ranks.len(),
        })
    }
}

/// How [`product_retrieval`] computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetrievalOptions {
    /// Reactant rows per distance block (`None`: as many as keep a block near 2^24 entries).
    /// A block is a `[chunk_rows, N]` matrix; the full `N × N` matrix never exists.
    pub chunk_rows: Option<usize>,
    /// Relative tie tolerance τ: product `j` counts as strictly closer to query `i` only if
    /// `d(i, j) < d(i, i) − τ · (‖r_i‖² + max_j ‖p_j‖²)` (squared distances). This absorbs the
    /// f32 rounding of the `‖r‖² + ‖p‖² − 2 r·p` expansion, so exact duplicates of the true
    /// product tie with it. Default `1e-5`; `0.0` compares exactly.
    pub tie_tolerance: f64,
}

impl Default for RetrievalOptions {
    fn default() -> Self {
        Self {
            chunk_rows: None,
            tie_tolerance: 1e-5,
        }
    }
}

/// Rank of each reaction's product among all products (see [`product_retrieval`]).
///
/// `reactants[i]` is reaction `i`'s reactant-side embedding (the sum of its reactants'
/// embeddings, as MolR sums them) and `products[i]` its product-side embedding; both
/// `[N, D]`. The rank of reaction `i` is `1 +` the number of products strictly closer (by
/// Euclidean distance, up to [`RetrievalOptions::tie_tolerance`]) to `reactants[i]` than
/// `products[i]` is, so ties with the true product do not push it down (MolR's `argsort`
/// breaks them arbitrarily).
///
/// Computes on the tensors' device in blocks of rows: `‖r‖² + ‖p‖² − 2 r pᵀ` by one matmul per
/// block; only per-row counts come back to the host. Inputs are detached from any autodiff
/// graph. Errors on shape mismatch, an empty input, or a NaN / infinite embedding.
pub fn product_retrieval_ranks(
    reactants: Tensor<2>,
    products: Tensor<2>,
    options: &RetrievalOptions,
) -> Result<Vec<usize>> {
    let [n, d] = reactants.dims();
    if products.dims() != [n, d] {
        return Err(TrainError::Metric(format!(
            "retrieval: reactant embeddings are {:?}, product embeddings {:?}",
            [n, d],
            products.dims()
        )));
    }
    if n == 0 || d == 0 {
        return Err(TrainError::Metric("retrieval: empty embeddings".into()));
    }
    let device = reactants.device();
    let reactants = reactants.detach();
    let products = products.detach();
    let read = |t: Tensor<2>| -> Result<Vec<f32>> {
        t.try_to_vec_as::<f32>()
            .map_err(|e| TrainError::TensorRead(format!("{e:?}")))
    };
    let p_sq = products.clone().square().sum_dim(1); // [N, 1]
    let p_sq_host = read(p_sq.clone())?;
    if let Some(j) = p_sq_host.iter().position(|v| !v.is_finite()) {
        return Err(TrainError::Metric(format!(
            "retrieval: product embedding {j} is not finite"
        )));
    }
    let p_sq_max = p_sq_host.iter().copied().fold(0.0f32, f32::max);
    let p_sq = p_sq.reshape([1, n]);
    let p_t = products.transpose(); // [D, N]
    let chunk = options.chunk_rows.unwrap_or((1usize << 24) / n).clamp(1, n);
    let tau = options.tie_tolerance as f32;
    let mut ranks = Vec::with_capacity(n);
    for start in (0..n).step_by(chunk) {
        let c = chunk.min(n - start);
        let r = reactants.clone().narrow(0, start, c); // [c, D]
        let r_sq = r.clone().square().sum_dim(1); // [c, 1]
        if let Some(i) = read(r_sq.clone())?.iter().position(|v| !v.is_finite()) {
            return Err(TrainError::Metric(format!(
                "retrieval: reactant embedding {} is not finite",
                start + i
            )));
        }
        let dist = r_sq.clone().expand([c, n]) + p_sq.clone().expand([c, n])
            - r.matmul(p_t.clone()).mul_scalar(2.0); // [c, N]
        let truth =
            Tensor::<1, Int>::arange(start as i64..(start + c) as i64, &device).reshape([c, 1]);
        let d_true = dist.clone().gather(1, truth); // [c, 1]
        let threshold = d_true - (r_sq.add_scalar(p_sq_max)).mul_scalar(tau);
        let closer = dist.lower(threshold.expand([c, n])).int().sum_dim(1); // [c, 1]
        let closer = closer
            .try_to_vec_as::<i64>()
            .map_err(|e| TrainError::TensorRead(format!("{e:?}")))?;
        ranks.extend(closer.into_iter().map(|k| 1 + k.max(0) as usize));
    }
    Ok(ranks)
}

/// MolR's product-retrieval metrics (MRR, hit@1/3/5/10) of [`product_retrieval_ranks`].
pub fn product_retrieval(
    reactants: Tensor<2>,
    products: Tensor<2>,
    options: &RetrievalOptions,
) -> Result<RetrievalMetrics> {
    RetrievalMetrics::from_ranks(&product_retrieval_ranks(reactants, products, options)?)
}

/// Reference implementation of [`product_retrieval_ranks`] on the host, in `f64` with direct
/// `Σ (r − p)²` distances and the same tie rule; `O(N² D)`, for tests and small sets.
/// `reactants` and `products` are row-major `[N, dim]`.
pub fn product_retrieval_ranks_host(
    reactants: &[f32],
    products: &[f32],
    dim: usize,
    tie_tolerance: f64,
) -> Result<Vec<usize>> {
    if dim == 0 || reactants.is_empty() || reactants.len() != products.len() {
        return Err(TrainError::Metric(format!(
            "retrieval: {} reactant and {} product values with dim {dim}",
            reactants.len(),
            products.len()
        )));
    }
    if !reactants.len().is_multiple_of(dim) {
        return Err(TrainError::Metric(format!(
            "retrieval: {} values are not rows of {dim}",
            reactants.len()
        )));
    }
    if let Some(k) = reactants
        .iter()
        .chain(products)
        .position(|v| !v.is_finite())
    {
        return Err(TrainError::Metric(format!(
            "retrieval: non-finite embedding value at flat index {k}"
        )));
    }
    let rows = |x: &[f32]| -> Vec<Vec<f64>> {
        x.chunks_exact(dim)
            .map(|row| row.iter().map(|&v| f64::from(v)).collect())
            .collect()
    };
    let (r, p) = (rows(reactants), rows(products));
    let sq = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
    let p_sq_max = p.iter().map(|v| sq(v)).fold(0.0, f64::max);
    let dist = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
    Ok(r.iter()
        .enumerate()
        .map(|(i, ri)| {
            let threshold = dist(ri, &p[i]) - tie_tolerance * (sq(ri) + p_sq_max);
            1 + p.iter().filter(|pj| dist(ri, pj) < threshold).count()
        })
        .collect())
}

/// [`RetrievalMetrics`] of [`product_retrieval_ranks_host`].
pub fn product_retrieval_host(
    reactants: &[f32],
    products: &[f32],
    dim: usize,
    tie_tolerance: f64,
) -> Result<RetrievalMetrics> {
    RetrievalMetrics::from_ranks(&product_retrieval_ranks_host(
        reactants,
        products,
        dim,
        tie_tolerance,
    )?)
}
