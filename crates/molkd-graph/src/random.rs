//! Seeding and fast dropout masks.
//!
//! burn's `Tensor::random` on the CPU backends draws one element at a time through a
//! distribution built per element, on one thread: for the pretrain-gnns student (dropout 0.5
//! after each of 5 layers) that was ~12 % of a training step. On host devices (flex, ndarray)
//! molkd draws dropout masks itself from a ChaCha8 stream, 16 bits per element; on
//! accelerators the mask is drawn on the device by burn, so nothing crosses the bus.

use std::sync::{Mutex, MutexGuard, OnceLock};

use burn::tensor::{Device, Distribution, Shape, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn host_rng() -> MutexGuard<'static, ChaCha8Rng> {
    static RNG: OnceLock<Mutex<ChaCha8Rng>> = OnceLock::new();
    RNG.get_or_init(|| Mutex::new(ChaCha8Rng::from_rng(&mut rand::rng())))
        .lock()
        // A panic while holding the lock leaves a valid generator behind.
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Seeds every random stream molkd draws from on `device`: burn's device generator
/// (`Device::seed`, parameter initialisation and device-side sampling) and molkd's host
/// generator for dropout masks. Training loops call it once per epoch with a seed derived from
/// the run seed and the epoch, so a resumed run draws what an uninterrupted one would.
///
/// Both generators are per process: two seeded runs in one process at the same time (say,
/// parallel tests) draw from the same streams and are not reproducible; run them in turn.
pub fn seed(device: &Device, seed: u64) {
    device.seed(seed);
    *host_rng() = ChaCha8Rng::seed_from_u64(seed);
}

/// Whether tensors on `device` live in host memory (flex, ndarray; autodiff over either).
pub fn is_host_device(device: &Device) -> bool {
    match device.clone().inner().as_dispatch() {
        #[cfg(feature = "flex")]
        burn_dispatch::DispatchDevice::Flex(_) => true,
        #[cfg(feature = "ndarray")]
        burn_dispatch::DispatchDevice::NdArray(_) => true,
        _ => false,
    }
}

/// An inverted-dropout mask: each element is `1 / keep` with probability `keep`, else `0`,
/// so `x * mask` keeps the expectation of `x`. `keep` must be in `(0, 1]`.
///
/// On host devices `keep` is resolved to 1/65,536 (exact for 0.5, 0.75, 0.9 … to within that).
///
/// ```
/// use burn::tensor::Device;
/// let device = Device::default();
/// molkd_graph::random::seed(&device, 7);
/// let mask = molkd_graph::random::dropout_mask::<2>([100, 100], 0.5, &device);
/// let kept = mask.clone().greater_elem(0.0).int().sum().into_scalar::<i64>();
/// assert!((4_500..5_500).contains(&kept));
/// assert_eq!(mask.max().into_scalar::<f32>(), 2.0);
/// ```
pub fn dropout_mask<const D: usize>(shape: [usize; D], keep: f64, device: &Device) -> Tensor<D> {
    assert!(
        keep > 0.0 && keep <= 1.0,
        "keep probability {keep} is not in (0, 1]"
    );
    let scale = (1.0 / keep) as f32;
    if !is_host_device(device) {
        return Tensor::random(shape, Distribution::Bernoulli(keep), device) * scale;
    }
    let numel: usize = shape.iter().product();
    let threshold = (keep * 65_536.0).round() as u32;
    // The same 16-bit draws as reading the byte stream little-endian, but over a `u16` slice
    // the compare-and-select below vectorises (per-pair byte decoding did not: ~4 % of a
    // student training step).
    let mut bits = vec![0u16; numel];
    host_rng().fill(&mut bits[..]);
    let values: Vec<f32> = bits
        .iter()
        .map(|&b| if u32::from(b) < threshold { scale } else { 0.0 })
        .collect();
    Tensor::from_data(TensorData::new(values, Shape::new(shape)), device)
}
