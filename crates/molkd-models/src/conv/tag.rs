//! TAGConv (Du et al. 2017): a linear map of the node features after 0..K hops of
//! normalised propagation.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use molkd_graph::GraphBatch;
use molkd_graph::message_passing::{gather_segments, segment_sum, symmetric_norm};

use crate::error::Result;

/// Configuration of [`TagConv`].
#[derive(Config, Debug)]
pub struct TagConvConfig {
    /// Node feature width (input = output).
    pub d_model: usize,
    /// Hops `K`.
    #[config(default = 2)]
    pub hops: usize,
}

/// `h_v' = W [x ‖ Â x ‖ … ‖ Â^K x]_v` with `Â = D^-1/2 A D^-1/2` over the batch's edges
/// (self-loops included when the batch has them).
#[derive(Module, Debug)]
pub struct TagConv {
    /// `W`: `(K + 1)·d → d`.
    pub linear: Linear,
    #[module(skip)]
    hops: usize,
}

impl TagConvConfig {
    /// Initialises the layer on `device`.
    pub fn init(&self, device: &Device) -> TagConv {
        // Drawn under molkd's device-generator lock: see `molkd_graph::random`.
        molkd_graph::random::init_atomic(|| self.build(device))
    }

    fn build(&self, device: &Device) -> TagConv {
        TagConv {
            linear: LinearConfig::new((self.hops + 1) * self.d_model, self.d_model).init(device),
            hops: self.hops,
        }
    }
}

impl TagConv {
    /// Any batch fits (no edge features).
    pub fn check(&self, _batch: &GraphBatch) -> Result<()> {
        Ok(())
    }

    /// Shapes: `x` `[N, d]` → `[N, d]`.
    pub fn forward(&self, x: Tensor<2>, batch: &GraphBatch) -> Tensor<2> {
        let norm = symmetric_norm(&batch.by_src, &batch.by_dst); // [E, 1]
        let mut hops = vec![x];
        for k in 0..self.hops {
            let propagated = gather_segments(hops[k].clone(), &batch.by_src) * norm.clone();
            hops.push(segment_sum(propagated, &batch.by_dst));
        }
        self.linear.forward(Tensor::cat(hops, 1))
    }
}
