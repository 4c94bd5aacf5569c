//! Graph readouts: node representations → one vector per molecule.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use molkd_graph::GraphBatch;
use molkd_graph::message_passing::{
    global_max_pool, global_mean_pool, global_sum_pool, segment_softmax,
};
use serde::{Deserialize, Serialize};

/// Which readout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadoutKind {
    /// Sum of node features.
    Sum,
    /// Mean of node features (pretrain-gnns default).
    #[default]
    Mean,
    /// Element-wise max.
    Max,
    /// Gated attention (Li et al. 2016, PyG `GlobalAttention`): `Σ_v softmax_v(w·h_v + b) h_v`.
    Attention,
}

/// Configuration of [`Readout`].
#[derive(Config, Debug)]
pub struct ReadoutConfig {
    /// Node feature width.
    pub d_input: usize,
    /// Readout kind.
    #[config(default = "ReadoutKind::Mean")]
    pub kind: ReadoutKind,
}

/// A graph readout; only the attention kind has parameters (its gate).
#[derive(Module, Debug)]
pub struct Readout {
    /// Gate `Linear(d, 1)` of the attention readout.
    pub gate: Option<Linear>,
    #[module(skip)]
    kind: ReadoutKind,
}

impl ReadoutConfig {
    /// Initialises the readout on `device`.
    pub fn init(&self, device: &Device) -> Readout {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::init_atomic(|| self.build(device))
    }

    fn build(&self, device: &Device) -> Readout {
        Readout {
            gate: (self.kind == ReadoutKind::Attention)
                .then(|| LinearConfig::new(self.d_input, 1).init(device)),
            kind: self.kind,
        }
    }
}

impl Readout {
    /// The kind of readout.
    pub fn kind(&self) -> ReadoutKind {
        self.kind
    }

    /// Shapes: `x` `[N, d]` → `[G, d]`, G = `batch.num_graphs()`.
    pub fn forward(&self, x: Tensor<2>, batch: &GraphBatch) -> Tensor<2> {
        let graphs = &batch.by_graph;
        match self.kind {
            ReadoutKind::Sum => global_sum_pool(x, graphs),
            ReadoutKind::Mean => global_mean_pool(x, graphs),
            ReadoutKind::Max => global_max_pool(x, graphs),
            ReadoutKind::Attention => {
                let gate = self
                    .gate
                    .as_ref()
                    .expect("ReadoutConfig::init gives the attention readout its gate");
                let scores = gate.forward(x.clone()); // [N, 1]
                let weights = segment_softmax(scores, graphs); // [N, 1]
                global_sum_pool(x * weights, graphs)
            }
        }
    }
}
