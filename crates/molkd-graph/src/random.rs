//! A run's random draws: the [`Generator`] a training run owns and passes to everything that
//! draws (dropout masks, data order, negative samples), and [`init_seeded`] for burn's
//! parameter initialisation.
//!
//! molkd keeps no process-wide generator of its own: a seed fixes a run whatever else the
//! process does, so two runs in two threads of one program (or two tests of one test binary)
//! are each reproducible, as with torch's `Generator` objects or JAX's keys.
//!
//! Dropout masks are drawn on the host from the run's generator, 16 bits per element (burn's
//! `Tensor::random` on the CPU backends draws one element at a time through a distribution
//! built per element, on one thread: ~12 % of a pretrain-gnns student's training step), and
//! uploaded on accelerators, so a seed gives the same masks on every backend.

use std::sync::Mutex;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Bool, Device, Int, Shape, Tensor, TensorData};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A run's random generator (ChaCha8): every random draw of a training run comes from the
/// generator it owns, passed explicitly to what draws.
///
/// ```
/// use molkd_graph::random::Generator;
/// use rand::Rng;
/// let (mut a, mut b) = (Generator::new(7), Generator::new(7));
/// assert_eq!(a.random::<u64>(), b.random::<u64>());
/// // Forks are independent streams, themselves fixed by the parent's seed.
/// let (mut fa, mut fb) = (a.fork(), b.fork());
/// assert_eq!(fa.random::<u32>(), fb.random::<u32>());
/// ```
#[derive(Debug, Clone)]
pub struct Generator(ChaCha8Rng);

impl Generator {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A new generator seeded from this one's next draw: an independent stream for a
    /// sub-task (one batch, one worker) that is still fixed by this generator's seed.
    pub fn fork(&mut self) -> Self {
        Self::new(self.0.next_u64())
    }
}

impl RngCore for Generator {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst)
    }
}

/// burn draws initial parameters from its device generator, which is global to the process.
/// Every molkd module draws its parameters under this lock ([`init_atomic`]), and
/// [`init_seeded`] seeds the generator under it too, so concurrent runs never interleave their
/// draws.
static DEVICE_GENERATOR: Mutex<()> = Mutex::new(());

thread_local! {
    /// How deep this thread is inside [`with_device_generator`] (the lock is re-entrant for
    /// it: a model's `init` builds its layers, each of which takes the lock too).
    static HELD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Builds a module with burn's device generator seeded to `seed`, and materialises its lazily
/// initialised parameters before returning, all under a process-wide lock: the initial weights
/// depend on `seed` alone, even while other threads build or train models.
///
/// Every molkd training loop initialises its models through this, and every molkd module's
/// `init` draws under the same lock ([`init_atomic`]). Code outside molkd that draws from
/// burn's device generator at the same time (burn's own `LinearConfig::init`,
/// `Tensor::random`) is not synchronised with it.
///
/// ```
/// use burn::nn::LinearConfig;
/// use burn::tensor::Device;
/// use molkd_graph::random::init_seeded;
/// let device = Device::default();
/// let init = || Ok::<_, ()>(LinearConfig::new(4, 2).init(&device));
/// let a = init_seeded(&device, 3, init).unwrap();
/// let b = init_seeded(&device, 3, init).unwrap();
/// assert_eq!(a.weight.val().into_data(), b.weight.val().into_data());
/// ```
pub fn init_seeded<M: Module, E>(
    device: &Device,
    seed: u64,
    init: impl FnOnce() -> Result<M, E>,
) -> Result<M, E> {
    with_device_generator(|| {
        device.seed(seed);
        try_init_atomic(init)
    })
}

/// Builds a module and draws all its (lazily initialised) parameters under the lock of
/// [`init_seeded`], so its draws never interleave with another thread's seeded run. molkd's
/// module configurations build through this.
pub fn init_atomic<M: Module>(build: impl FnOnce() -> M) -> M {
    with_device_generator(|| {
        let module = build();
        module.visit(&mut Materialize);
        module
    })
}

/// [`init_atomic`] for a fallible build.
pub fn try_init_atomic<M: Module, E>(build: impl FnOnce() -> Result<M, E>) -> Result<M, E> {
    with_device_generator(|| {
        let module = build()?;
        module.visit(&mut Materialize);
        Ok(module)
    })
}

/// Runs `f` holding the lock of [`init_seeded`] (re-entrant within a thread), for code that
/// may draw from burn's device generator without needing particular values, such as building a
/// model whose parameters a checkpoint then replaces.
pub fn with_device_generator<T>(f: impl FnOnce() -> T) -> T {
    if HELD.get() > 0 {
        return f();
    }
    // A panic while holding the lock leaves nothing half-done that matters: the next holder
    // reseeds first.
    let _guard = DEVICE_GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            HELD.set(HELD.get() - 1);
        }
    }
    HELD.set(HELD.get() + 1);
    let _depth = Depth;
    f()
}

/// Forces lazily initialised parameters to draw their values now.
struct Materialize;

impl ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }

    fn visit_int<const D: usize>(&mut self, param: &Param<Tensor<D, Int>>) {
        let _ = param.val();
    }

    fn visit_bool<const D: usize>(&mut self, param: &Param<Tensor<D, Bool>>) {
        let _ = param.val();
    }
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

/// An inverted-dropout mask drawn from `rng`: each element is `1 / keep` with probability
/// `keep`, else `0`, so `x * mask` keeps the expectation of `x`. `keep` must be in `(0, 1]`;
/// it is resolved to 1/65,536 (exact for 0.5, 0.75, 0.9 … to within that).
///
/// ```
/// use burn::tensor::Device;
/// use molkd_graph::random::{Generator, dropout_mask};
/// let device = Device::default();
/// let mask = dropout_mask::<2>([100, 100], 0.5, &device, &mut Generator::new(7));
/// let kept = mask.clone().greater_elem(0.0).int().sum().into_scalar::<i64>();
/// assert!((4_500..5_500).contains(&kept));
/// assert_eq!(mask.max().into_scalar::<f32>(), 2.0);
/// ```
pub fn dropout_mask<const D: usize>(
    shape: [usize; D],
    keep: f64,
    device: &Device,
    rng: &mut Generator,
) -> Tensor<D> {
    assert!(
        keep > 0.0 && keep <= 1.0,
        "keep probability {keep} is not in (0, 1]"
    );
    let scale = (1.0 / keep) as f32;
    let numel: usize = shape.iter().product();
    let threshold = (keep * 65_536.0).round() as u32;
    // The same 16-bit draws as reading the byte stream little-endian, but over a `u16` slice
    // the compare-and-select below vectorises (per-pair byte decoding did not: ~4 % of a
    // student training step).
    let mut bits = vec![0u16; numel];
    rng.fill(&mut bits[..]);
    let values: Vec<f32> = bits
        .iter()
        .map(|&b| if u32::from(b) < threshold { scale } else { 0.0 })
        .collect();
    Tensor::from_data(TensorData::new(values, Shape::new(shape)), device)
}
