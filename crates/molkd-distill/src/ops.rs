//! Tensor building blocks shared by the losses: distances, cosine similarities, diagonal
//! cross-entropy, off-diagonal selection and masked means.

use burn::tensor::activation::{log_sigmoid, log_softmax};
use burn::tensor::{Int, Tensor, TensorData};

/// Squared norms below this are clamped before a square root: distances and norms are at least
/// `1e-6`, and the clamped region has zero gradient, so identical vectors give a finite (zero)
/// gradient instead of `0 · ∞ = NaN` (torch's `cdist` also returns a zero gradient there).
pub const SQUARED_NORM_EPS: f32 = 1e-12;

/// Row norms, clamped: `sqrt(max(Σ_k x_ik², 1e-12))`. Shapes: `[B, D]` → `[B, 1]`.
pub(crate) fn row_norms(x: Tensor<2>) -> Tensor<2> {
    x.powi_scalar(2)
        .sum_dim(1)
        .clamp_min(SQUARED_NORM_EPS)
        .sqrt()
}

/// Rows scaled to unit L2 norm (torch `F.normalize(x, dim=1)`, eps `1e-12`).
/// Shapes: `[B, D]` → `[B, D]`.
pub(crate) fn l2_normalize_rows(x: Tensor<2>) -> Tensor<2> {
    let norms = row_norms(x.clone());
    x / norms
}

/// Cosine similarity of every row of `a` with every row of `b`.
/// Shapes: `[B, D]`, `[C, D]` → `[B, C]`.
pub(crate) fn cosine_matrix(a: Tensor<2>, b: Tensor<2>) -> Tensor<2> {
    l2_normalize_rows(a).matmul(l2_normalize_rows(b).transpose())
}

/// Euclidean distance of every row of `a` to every row of `b`, as torch `cdist(a, b, p=2)`:
/// `sqrt(max(|a_i|² + |b_j|² − 2 a_i·b_j, 1e-12))` (the matrix-product form, `O(B·C)` memory).
/// Shapes: `[B, D]`, `[C, D]` → `[B, C]`.
pub(crate) fn pairwise_distances(a: Tensor<2>, b: Tensor<2>) -> Tensor<2> {
    let a_sq = a.clone().powi_scalar(2).sum_dim(1); // [B, 1]
    let b_sq = b.clone().powi_scalar(2).sum_dim(1).transpose(); // [1, C]
    let cross = a.matmul(b.transpose()); // [B, C]
    (a_sq + b_sq - cross * 2.0)
        .clamp_min(SQUARED_NORM_EPS)
        .sqrt()
}

/// Euclidean distance between matching rows, computed from the differences (exact also when
/// the rows nearly coincide, unlike the matrix-product form).
/// Shapes: `[B, D]`, `[B, D]` → `[B]`.
pub(crate) fn row_distances(a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
    let [rows, _] = a.dims();
    row_norms(a - b).reshape([rows])
}

/// Cross-entropy of each row of `logits` with the diagonal as the target class, averaged over
/// rows: `−(1/B) Σ_i log_softmax(logits_i)_i`. Shapes: `[B, B]` → `[1]`.
pub(crate) fn diagonal_cross_entropy(logits: Tensor<2>) -> Tensor<1> {
    let [rows, _] = logits.dims();
    let device = logits.device();
    let log_probs = log_softmax(logits, 1);
    let eye = Tensor::<2>::eye(rows, &device);
    (log_probs * eye).sum().neg() / rows as f32
}

/// The off-diagonal entries of a square matrix, row by row (row `i` without its entry `i`).
/// Shapes: `[B, B]` → `[B, B − 1]`.
pub(crate) fn off_diagonal(matrix: Tensor<2>) -> Tensor<2> {
    let [rows, _] = matrix.dims();
    let device = matrix.device();
    let positions: Vec<i64> = (0..rows)
        .flat_map(|i| {
            (0..rows)
                .filter(move |&j| j != i)
                .map(move |j| (i * rows + j) as i64)
        })
        .collect();
    let len = positions.len();
    let index = Tensor::<1, Int>::from_data(TensorData::new(positions, [len]), &device);
    matrix
        .reshape([rows * rows])
        .select(0, index)
        .reshape([rows, rows.saturating_sub(1)])
}

/// `Σ mask·values / Σ mask`, and exactly zero (with zero gradient) when the mask sums to zero.
/// Shapes: `[B, T]`, `[B, T]` → `[1]`.
pub(crate) fn masked_mean(values: Tensor<2>, mask: Tensor<2>) -> Tensor<1> {
    let total = mask.clone().sum();
    // 1 where nothing is selected: the numerator is 0 there, so the result is 0 (not 0/0).
    let empty = total.clone().equal_elem(0.0).float();
    (values * mask).sum() / (total + empty)
}

/// `values` with the entries where `mask == 0` replaced by `0`: masked-out labels may be
/// anything (NaN for a missing label) without reaching the loss or its gradient.
pub(crate) fn zero_where_unmasked(values: Tensor<2>, mask: &Tensor<2>) -> Tensor<2> {
    values.mask_fill(mask.clone().equal_elem(0.0), 0.0)
}

/// Element-wise binary cross-entropy of logits `x` against targets `y ∈ [0, 1]`:
/// `−(y·log σ(x) + (1 − y)·log σ(−x))`, which equals the usual stable form
/// `max(x, 0) − x·y + log(1 + exp(−|x|))`. Written with burn's `log_sigmoid` (stable, with its
/// own backward) so the gradient is exactly `σ(x) − y` everywhere, also at `x = 0` where the
/// `max`/`|x|` form's pieces have kinks. Shapes: `[B, T]`, `[B, T]` → `[B, T]`.
pub(crate) fn binary_cross_entropy_with_logits(x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
    let positive = log_sigmoid(x.clone()) * y.clone();
    let negative = log_sigmoid(x.neg()) * y.neg().add_scalar(1.0);
    (positive + negative).neg()
}
