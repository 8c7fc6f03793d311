//! One YAML layer as an IR node: the operator, weights, bias and quantization attributes,
//! pooling, element-wise and training fields, and the MAX78000 placement, copied field by
//! field from a [`LayerDesc`] and its checkpoint weights.
//!
//! Owns that translation only; what is derived across layers (channels, dimensions, offsets,
//! output maps) is `derive.rs`'s.

use super::layer_desc::{DescBatchNorm, DescOp, DescQuant, LayerDesc};
use super::weights::LayerWeights;
use crate::device::ai8x::{Placement, ProcessorMask};
use crate::ir::{
    self, ActQuant, Conv, Dims, Eltwise, Node, Op, Pool, QuantAttrs, QuantScheme, Shape, Source,
    WeightBits,
};
use ndarray::{Array1, ArrayD, IxDyn};

/// The IR node of layer `l`, with its checkpoint weights `lw` if any, before shape inference
/// (without batch norm and placement).
pub(super) fn make_node(
    l: &LayerDesc,
    lw: Option<&LayerWeights>,
    in_ch: usize,
    out_ch: usize,
    dims: Dims,
    inputs: Vec<Source>,
) -> Node {
    let conv = Conv {
        out_channels: out_ch,
        kernel: l.kernel,
        stride: l.stride,
        pad: l.pad,
        dilation: l.dilation,
        output_pad: l.output_pad,
        groups: l.conv_groups,
    };
    let op = match (l.op, l.eltwise) {
        (DescOp::Conv1d, _) => Op::Conv1d(conv),
        (DescOp::Conv2d, _) => Op::Conv2d(conv),
        (DescOp::ConvTranspose2d, _) => Op::ConvTranspose2d(conv),
        (DescOp::Linear, _) => Op::Linear {
            out_features: out_ch,
        },
        (DescOp::Passthrough, Some(e)) => Op::Eltwise(e),
        (DescOp::Passthrough, None) => Op::Passthrough,
    };
    let weights =
        lw.and_then(|x| ArrayD::from_shape_vec(IxDyn(&x.weights.shape), x.weights.to_f32()).ok());
    let bias = lw
        .and_then(|x| x.bias.as_ref())
        .map(|(_, b)| Array1::from_iter(b.iter().map(|v| *v as f32)));
    let described_binary = l.quantization == Some(DescQuant::Binary);
    let quant = QuantAttrs {
        scheme: if lw.is_some() {
            QuantScheme::Max78000
        } else {
            QuantScheme::Float
        },
        weight_bits: lw.map(|x| x.weight_bits).or(match l.op {
            DescOp::Passthrough => None,
            _ if described_binary => Some(WeightBits::B1),
            _ => Some(WeightBits::B8),
        }),
        binary: lw.map_or(described_binary, |x| x.binary),
        bias_bits: bias.as_ref().map(|_| 8),
        output_shift: Some(lw.map_or(l.output_shift.unwrap_or(0), |x| x.output_shift) as i32),
        act: Some(ActQuant {
            bits: l.output_width.bits() as u8,
            cap: None,
        }),
        ..QuantAttrs::default()
    };
    let mut node = Node::new(
        op,
        inputs,
        Shape {
            channels: in_ch,
            dims,
        },
    );
    node.name = l.name.clone();
    node.pool = l.pool.map(|kind| Pool {
        kind,
        size: l.pool_size,
        stride: l.pool_stride,
        dilation: l.pool_dilation,
    });
    node.eltwise = l.eltwise.map(|op| Eltwise {
        op,
        operands: l.operands,
        pool_first: l.pool_first,
    });
    node.flatten = l.flatten;
    node.activation = l.activation;
    node.with_bias = l.with_bias;
    node.dropout = l.dropout;
    node.weights = weights;
    node.bias = bias;
    node.quant = quant;
    node
}

/// An untrained batch norm over `channels` (PyTorch's initial values, ai8x's ε).
pub(super) fn fresh_batchnorm(kind: DescBatchNorm, channels: usize) -> ir::BatchNorm {
    let affine = kind == DescBatchNorm::Affine;
    ir::BatchNorm {
        gamma: affine.then(|| Array1::ones(channels)),
        beta: affine.then(|| Array1::zeros(channels)),
        running_mean: Array1::zeros(channels),
        running_var: Array1::ones(channels),
        eps: 1e-5,
    }
}

/// The MAX78000 placement of layer `l`, with its derived output processors and `in_offset`.
pub(super) fn placement(
    l: &LayerDesc,
    output_processors: ProcessorMask,
    in_offset: u32,
) -> Placement {
    Placement {
        processors: l.processors,
        output_processors,
        in_offset,
        out_offset: l.out_offset,
        write_gap: l.write_gap,
        read_gap: l.read_gap,
        in_channel_skip: l.in_channel_skip,
        in_crop: l.in_crop,
        in_dim: l.in_dim,
        bias_group: l.bias_group.clone(),
        streaming: l.streaming,
        output_width: l.output_width,
        data_format: l.data_format,
        output: l.output,
        weight_source: l.weight_source.and_then(|s| usize::try_from(s).ok()),
        buffer_shift: l.buffer_shift,
        buffer_insert: l.buffer_insert,
        simulated_sequence: l.simulated_sequence,
        conv_groups: l.conv_groups,
    }
}
