//! Sums over rows grouped by segment (edges by destination or source, atoms by molecule),
//! with the grouping built once per batch on the host.
//!
//! On a GPU, burn's `select_assign` (its scatter-sum, and the gradient of `select`) runs one
//! thread per output column that walks every row in turn, and a 1-column tensor gets one
//! thread in all: the cost of a GNN step grew with atoms, not with arithmetic. Here a segment
//! sum is one thread per (segment, feature) over that segment's contiguous rows — no atomics,
//! the same order every run, so results are bit-identical run to run — and the gradient of a
//! gather is the same sum over the rows in source order. Host devices (flex, ndarray) run
//! burn's own ops: they are not CubeCL backends, and their scatter is not column-serial.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor, TensorData};

static SEGMENT_KERNELS: AtomicBool = AtomicBool::new(true);

/// Switches molkd's segment kernels on GPUs on (the default) or off for the whole process;
/// off, GPUs run burn's `select` / `select_assign` as CPUs do. For measuring one path against
/// the other (`examples/gpu_check.rs`); results agree within float rounding.
pub fn set_segment_kernels(on: bool) {
    SEGMENT_KERNELS.store(on, Ordering::Relaxed);
}

/// Whether the segment kernels are on ([`set_segment_kernels`]).
pub fn segment_kernels() -> bool {
    SEGMENT_KERNELS.load(Ordering::Relaxed)
}

/// Whether sums over segments on `device` run molkd's kernels: a GPU (CubeCL) device in a
/// build with GPU support, with the kernels on. Elsewhere burn's own ops run.
pub fn uses_segment_kernels(device: &Device) -> bool {
    #[cfg(feature = "gpu-kernels")]
    return cube::covers(device);
    #[cfg(not(feature = "gpu-kernels"))]
    {
        let _ = device;
        false
    }
}

/// Rows grouped into `len` segments (edges by destination or source, atoms by molecule),
/// built on the host by [`Segments::new`] once per batch: the index and the rows per segment
/// everywhere, plus, on devices that run molkd's kernels, the compressed-row layout they read.
#[derive(Debug, Clone)]
pub struct Segments {
    /// Segment of each row, in row order `[R]`.
    pub index: Tensor<1, Int>,
    /// Rows per segment, as floats `[S, 1]` (means, degrees).
    pub counts: Tensor<2>,
    #[cfg_attr(not(feature = "gpu-kernels"), allow(dead_code))]
    layout: Option<KernelLayout>,
    host_offsets: Vec<usize>,
    grouped: bool,
}

/// What the segment kernels read: rows in segment order, as compressed rows.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "gpu-kernels"), allow(dead_code))]
pub(crate) struct KernelLayout {
    /// Row order that groups rows by segment `[R]`; `None` when rows already come grouped.
    pub order: Option<Tensor<1, Int>>,
    /// Segment of each row in grouped order `[R]` (`index[order]`).
    pub sorted_index: Tensor<1, Int>,
    /// First grouped row of each segment, plus the total `[S + 1]`.
    pub offsets: Tensor<1, Int>,
}

impl Segments {
    /// Groups rows whose segments are `index` (each `< len`) on `device` (a stable counting
    /// sort).
    ///
    /// ```
    /// use burn::tensor::Device;
    /// use molkd_graph::message_passing::Segments;
    /// let s = Segments::new(&[1, 0, 1], 3, &Device::default());
    /// assert_eq!(s.host_offsets(), &[0, 1, 3, 3]);
    /// assert!(!s.is_grouped());
    /// ```
    ///
    /// # Panics
    /// When an entry of `index` is `len` or more (a bug in the caller, not user input).
    pub fn new(index: &[usize], len: usize, device: &Device) -> Self {
        let mut offsets = vec![0usize; len + 1];
        for &s in index {
            assert!(s < len, "segment {s} of {len}");
            offsets[s + 1] += 1;
        }
        for s in 0..len {
            offsets[s + 1] += offsets[s];
        }
        let grouped = index.windows(2).all(|w| w[0] <= w[1]);
        let int = |v: Vec<i64>| {
            let n = v.len();
            Tensor::<1, Int>::from_data(TensorData::new(v, [n]), device)
        };
        // Only where the kernels run: on host devices burn's ops need the index alone.
        let layout = uses_segment_kernels(device).then(|| {
            let order = (!grouped).then(|| {
                let mut cursor = offsets.clone();
                let mut order = vec![0i64; index.len()];
                for (row, &s) in index.iter().enumerate() {
                    order[cursor[s]] = row as i64;
                    cursor[s] += 1;
                }
                int(order)
            });
            let sorted: Vec<i64> = (0..len)
                .flat_map(|s| std::iter::repeat_n(s as i64, offsets[s + 1] - offsets[s]))
                .collect();
            KernelLayout {
                order,
                sorted_index: int(sorted),
                offsets: int(offsets.iter().map(|&o| o as i64).collect()),
            }
        });
        let counts: Vec<f32> = offsets.windows(2).map(|w| (w[1] - w[0]) as f32).collect();
        Self {
            index: int(index.iter().map(|&s| s as i64).collect()),
            counts: Tensor::from_data(TensorData::new(counts, [len, 1]), device),
            layout,
            host_offsets: offsets,
            grouped,
        }
    }

    /// The kernels' layout, when they run on `device`.
    #[cfg(feature = "gpu-kernels")]
    fn kernel_layout(&self, device: &Device) -> Option<&KernelLayout> {
        self.layout.as_ref().filter(|_| cube::covers(device))
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        self.host_offsets.len() - 1
    }

    /// Whether there are no segments.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        *self.host_offsets.last().unwrap_or(&0)
    }

    /// Whether rows already come grouped by segment (edges by destination, atoms by molecule).
    pub fn is_grouped(&self) -> bool {
        self.grouped
    }

    /// The offsets on the host `[S + 1]`.
    pub fn host_offsets(&self) -> &[usize] {
        &self.host_offsets
    }
}

/// Sums the rows of `values` into their segments: `out[s] = Σ_{r : index[r] = s} values[r]`;
/// empty segments are zero.
///
/// Shapes: `values` `[R, D]` → `[S, D]`.
pub fn segment_sum(values: Tensor<2>, segments: &Segments) -> Tensor<2> {
    #[cfg(feature = "gpu-kernels")]
    if let Some(layout) = segments.kernel_layout(&values.device()) {
        let values = match &layout.order {
            // Rows out of segment order: group them first (a gather; its gradient a scatter).
            Some(order) => values.select(0, order.clone()),
            None => values,
        };
        return cube::segment_sum(values, layout);
    }
    let [_, d] = values.dims();
    let device = values.device();
    Tensor::zeros([segments.len(), d], &device).select_assign(
        0,
        segments.index.clone(),
        values,
        IndexingUpdateOp::Add,
    )
}

/// Means of the rows of `values` per segment; empty segments are zero.
///
/// Shapes: `values` `[R, D]` → `[S, D]`.
pub fn segment_mean(values: Tensor<2>, segments: &Segments) -> Tensor<2> {
    segment_sum(values, segments) / segments.counts.clone().clamp_min(1.0)
}

/// The row of `x` of each row's segment: `out[r] = x[index[r]]`, e.g. source-atom features per
/// edge. Its gradient sums the rows of each segment ([`segment_sum`] over the grouped order).
///
/// Shapes: `x` `[S, D]` → `[R, D]`.
pub fn gather_segments(x: Tensor<2>, segments: &Segments) -> Tensor<2> {
    #[cfg(feature = "gpu-kernels")]
    if let Some(layout) = segments.kernel_layout(&x.device()) {
        return cube::gather(x, segments.index.clone(), layout);
    }
    x.select(0, segments.index.clone())
}

#[cfg(feature = "gpu-kernels")]
mod cube;

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn grouping_offsets_and_counts() {
        let device = Device::default();
        let s = Segments::new(&[2, 0, 2, 1], 4, &device);
        assert_eq!(s.len(), 4);
        assert_eq!(s.rows(), 4);
        assert_eq!(s.host_offsets(), &[0, 1, 2, 4, 4]);
        assert!(!s.is_grouped());
        assert_eq!(values(s.counts.clone()), vec![1.0, 1.0, 2.0, 0.0]);
        assert!(Segments::new(&[0, 0, 1], 2, &device).is_grouped());
    }

    #[test]
    fn segment_sum_mean_and_gather_match_scatter_and_select() {
        let device = Device::default();
        let x = Tensor::<2>::from_data(
            TensorData::new((0..8).map(|v| v as f32).collect::<Vec<_>>(), [4, 2]),
            &device,
        );
        for index in [vec![2usize, 0, 2, 1], vec![0, 0, 1, 3]] {
            let s = Segments::new(&index, 4, &device);
            let reference = crate::message_passing::scatter_sum(x.clone(), s.index.clone(), 4);
            assert_eq!(values(segment_sum(x.clone(), &s)), values(reference));
            let mean = values(segment_mean(x.clone(), &s));
            let reference = crate::message_passing::scatter_mean(x.clone(), s.index.clone(), 4);
            assert_eq!(mean, values(reference));
            let gathered = values(gather_segments(x.clone(), &s));
            assert_eq!(gathered, values(x.clone().select(0, s.index.clone())));
        }
    }
}
