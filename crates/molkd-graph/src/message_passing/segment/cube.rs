//! The segment sum as a CubeCL kernel on GPU devices (wgpu, vulkan, cuda), wired into burn
//! through its backend-extension API: the op itself (plain and under kernel fusion) and its
//! gradient under autodiff, so a GNN's gather → message → sum never reaches burn's
//! column-serial `select_assign`.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::backend::{Autodiff, Backend, Dispatch, DispatchDevice, backend_extension};
use burn::tensor::{Device, Int, Tensor};

use super::KernelLayout;

/// Whether `device` runs this module's kernel (a CubeCL device, autodiff or not).
pub(super) fn covers(device: &Device) -> bool {
    matches!(
        device.clone().inner().as_dispatch(),
        DispatchDevice::Cube(_)
    )
}

/// Segment sums over grouped rows, and a gather whose gradient is one.
#[backend_extension(Cube, Autodiff)]
pub trait SegmentOps: Backend {
    /// `out[s] = Σ values[offsets[s]..offsets[s + 1]]`; `sorted_index` (the segment of each
    /// row) is what the gradient gathers by.
    fn segment_sum(
        values: FloatTensor<Self>,
        offsets: IntTensor<Self>,
        sorted_index: IntTensor<Self>,
    ) -> FloatTensor<Self>;

    /// `out[r] = x[index[r]]`; `order`, `sorted_index` and `offsets` group the rows by
    /// `index` for the gradient (a segment sum).
    fn gather_rows(
        x: FloatTensor<Self>,
        index: IntTensor<Self>,
        order: IntTensor<Self>,
        sorted_index: IntTensor<Self>,
        offsets: IntTensor<Self>,
    ) -> FloatTensor<Self> {
        let _ = (order, sorted_index, offsets);
        Self::float_select(x, 0, index)
    }
}

/// [`segment_sum`](SegmentOps::segment_sum) on `values` already in segment order.
pub(super) fn segment_sum(values: Tensor<2>, layout: &KernelLayout) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as SegmentOps>::segment_sum(
        values.into_dispatch(),
        layout.offsets.clone().into_dispatch(),
        layout.sorted_index.clone().into_dispatch(),
    ))
}

/// `x[index]`, with a segment sum over `layout` as gradient.
pub(super) fn gather(x: Tensor<2>, index: Tensor<1, Int>, layout: &KernelLayout) -> Tensor<2> {
    let order = match &layout.order {
        Some(order) => order.clone(),
        // Already grouped: the identity order.
        None => Tensor::arange(0..index.dims()[0] as i64, &x.device()),
    };
    Tensor::from_dispatch(<Dispatch as SegmentOps>::gather_rows(
        x.into_dispatch(),
        index.into_dispatch(),
        order.into_dispatch(),
        layout.sorted_index.clone().into_dispatch(),
        layout.offsets.clone().into_dispatch(),
    ))
}

/// The kernel, and the op on the CubeCL backend.
mod kernel {
    use burn::backend::TensorMetadata;
    use burn::backend::cubecl::dtype_to_storage_type;
    use burn::backend::tensor::{FloatTensor, IntTensor};
    use burn_cubecl::CubeBackend;
    use burn_cubecl::cubecl;
    use burn_cubecl::kernel::into_contiguous;
    use burn_cubecl::ops::numeric::{empty_device_dtype, zeros_client};
    use cubecl::prelude::*;
    use cubecl::{CubeDim, calculate_cube_count_elemwise};

    /// One unit per (segment, feature): the sum of the segment's rows of that feature, in row
    /// order (deterministic, no atomics).
    #[cube(launch)]
    fn segment_sum_kernel<F: Float, I: Numeric>(
        values: &Tensor<F>,
        offsets: &Tensor<I>,
        output: &mut Tensor<F>,
        #[define(F, I)] _dtypes: [ElemType; 2],
    ) {
        let width = output.shape(1);
        if ABSOLUTE_POS >= output.shape(0) * width {
            terminate!();
        }
        let segment = ABSOLUTE_POS / width;
        let feature = ABSOLUTE_POS % width;
        let start = usize::cast_from(offsets[segment * offsets.stride(0)]);
        let end = usize::cast_from(offsets[(segment + 1) * offsets.stride(0)]);
        let column = feature * values.stride(1);
        let mut sum = F::new(0.0);
        for row in start..end {
            sum += values[row * values.stride(0) + column];
        }
        let at = segment * output.stride(0) + feature * output.stride(1);
        output[at] = sum;
    }

    impl super::SegmentOps for CubeBackend {
        fn segment_sum(
            values: FloatTensor<Self>,
            offsets: IntTensor<Self>,
            _sorted_index: IntTensor<Self>,
        ) -> FloatTensor<Self> {
            let values = into_contiguous(values);
            let offsets = into_contiguous(offsets);
            let [rows, width] = values.shape().dims::<2>();
            let segments = offsets.shape()[0] - 1;
            let shape = burn::tensor::Shape::new([segments, width]);
            let (client, device, dtype) =
                (values.client.clone(), values.device.clone(), values.dtype);
            if segments * width == 0 || rows == 0 {
                return zeros_client(client, device, shape, dtype);
            }
            let output = empty_device_dtype(client.clone(), device, shape, dtype);
            let units = segments * width;
            let cube_dim = CubeDim::new(&client, units);
            let cube_count = calculate_cube_count_elemwise(&client, units, cube_dim);
            let dtypes = [
                dtype_to_storage_type(dtype),
                dtype_to_storage_type(offsets.dtype),
            ];
            segment_sum_kernel::launch(
                &client,
                cube_count,
                cube_dim,
                values.into_tensor_arg(),
                offsets.into_tensor_arg(),
                output.clone().into_tensor_arg(),
                dtypes,
            );
            output
        }
    }
}

/// Under kernel fusion (`burn/fusion`) the CubeCL backend is `Fusion<CubeBackend>`: the segment
/// sum is registered as an opaque custom operation of the fused stream.
impl<B> SegmentOps for burn_fusion::Fusion<B>
where
    B: burn_fusion::FusionBackend + SegmentOps,
{
    fn segment_sum(
        values: FloatTensor<Self>,
        offsets: IntTensor<Self>,
        sorted_index: IntTensor<Self>,
    ) -> FloatTensor<Self> {
        use burn_fusion::custom::{
            CustomOpIr, HandleContainer, Operation, OperationIr, OperationOutput, StreamId,
            TensorIr,
        };
        use burn_fusion::{ExecutionError, FusionRuntime};

        #[derive(Debug)]
        struct SegmentSum<B> {
            desc: CustomOpIr,
            _backend: core::marker::PhantomData<B>,
        }

        impl<B: burn_fusion::FusionBackend + SegmentOps> Operation<B::FusionRuntime> for SegmentSum<B> {
            fn execute(
                &self,
                handles: &mut HandleContainer<<B::FusionRuntime as FusionRuntime>::FusionHandle>,
            ) -> Result<(), ExecutionError> {
                let ([values, offsets, sorted_index], [out]) = self.desc.as_fixed();
                let output = B::segment_sum(
                    handles.get_float_tensor::<B>(values),
                    handles.get_int_tensor::<B>(offsets),
                    handles.get_int_tensor::<B>(sorted_index),
                );
                handles.register_float_tensor::<B>(&out.id, output);
                Ok(())
            }
        }

        let client = values.client.clone();
        let shape = burn::tensor::Shape::new([offsets.shape[0] - 1, values.shape[1]]);
        let out = TensorIr::uninit(client.create_empty_handle(), shape, values.dtype);
        let desc = CustomOpIr::new(
            "molkd::segment_sum",
            &[values.into_ir(), offsets.into_ir(), sorted_index.into_ir()],
            &[out],
        );
        let [out] = client
            .register(
                StreamId::current(),
                OperationIr::Custom(desc.clone()),
                SegmentSum::<B> {
                    desc,
                    _backend: core::marker::PhantomData,
                },
            )
            .outputs();
        out
    }
}

/// Gradients: a segment sum's is a gather by `sorted_index`; a gather's is a segment sum over
/// the rows in segment order. Both deterministic.
impl<B: Backend + SegmentOps, C: CheckpointStrategy> SegmentOps for Autodiff<B, C> {
    fn segment_sum(
        values: FloatTensor<Self>,
        offsets: IntTensor<Self>,
        sorted_index: IntTensor<Self>,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct SegmentSumBackward;

        impl<B: Backend> Backward<B, 1> for SegmentSumBackward {
            type State = IntTensor<B>;

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let sorted_index = ops.state;
                unary::<B, _>(ops.parents, ops.node, grads, |grad| {
                    B::float_select(grad, 0, sorted_index)
                });
            }
        }

        let node = values.node();
        let values = values.into_primitive();
        match SegmentSumBackward
            .prepare::<C>([node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let out = B::segment_sum(values, offsets, sorted_index.clone());
                prep.finish(sorted_index, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::segment_sum(values, offsets, sorted_index)),
        }
    }

    fn gather_rows(
        x: FloatTensor<Self>,
        index: IntTensor<Self>,
        order: IntTensor<Self>,
        sorted_index: IntTensor<Self>,
        offsets: IntTensor<Self>,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct GatherBackward;

        impl<B: Backend + SegmentOps> Backward<B, 1> for GatherBackward {
            type State = (IntTensor<B>, IntTensor<B>, IntTensor<B>);

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let (order, sorted_index, offsets) = ops.state;
                unary::<B, _>(ops.parents, ops.node, grads, |grad| {
                    let grouped = B::float_select(grad, 0, order);
                    B::segment_sum(grouped, offsets, sorted_index)
                });
            }
        }

        let node = x.node();
        let x = x.into_primitive();
        match GatherBackward
            .prepare::<C>([node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let out = B::float_select(x, 0, index);
                prep.finish((order, sorted_index, offsets), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::float_select(x, 0, index)),
        }
    }
}
