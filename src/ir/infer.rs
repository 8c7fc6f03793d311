//! Shape inference for one node: input shape → pooled shape → output shape.
//!
//! The formulas are those of the MAX78000 tool chain (floor divisions, pool dilation,
//! transposed-convolution output padding); they coincide with PyTorch's for every
//! configuration the hardware supports. Must not apply device limits: `device` does that.

use super::node::{Node, Op};
use super::shape::{Dims, Shape};
use thiserror::Error;

/// A node whose shapes cannot be computed.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("layer {layer}: {message}")]
pub struct ShapeError {
    pub layer: usize,
    pub message: String,
}

/// Whether the node processes its data as one-dimensional: Conv1d always; a passthrough or
/// element-wise node when its input is one column wide (as izer decides).
pub fn is_one_dimensional(node: &Node) -> bool {
    match node.op {
        Op::Conv1d(_) => true,
        Op::Passthrough | Op::Eltwise(_) => node.in_shape.dims.hw().1 == 1,
        _ => false,
    }
}

/// Fill `pooled_shape` and `out_shape` of `node` (index `layer`) from its `in_shape`.
pub fn infer_node(layer: usize, node: &mut Node) -> Result<(), ShapeError> {
    let err = |message: String| ShapeError { layer, message };
    let (h, w) = node.in_shape.dims.hw();
    let one_d = is_one_dimensional(node);
    let (size, stride, dil) = match node.pool {
        Some(p) => (p.size, p.stride, p.dilation),
        None => ([1, 1], [1, 1], [1, 1]),
    };
    let pooled_axis =
        |n: usize, i: usize| (n + stride[i]).saturating_sub(size[i] + dil[i] - 1) / stride[i];
    let pooled = if one_d {
        Dims::D1(pooled_axis(h, 0))
    } else {
        Dims::D2(pooled_axis(h, 0), pooled_axis(w, 1))
    };
    if pooled.pixels() == 0 {
        return Err(err(format!(
            "pooling {}x{} with stride {} turns input {} into a zero dimension",
            size[0], size[1], stride[0], node.in_shape
        )));
    }
    node.pooled_shape = Shape {
        channels: node.in_shape.channels,
        dims: pooled,
    };
    let (ph, pw) = pooled.hw();

    let out_channels = match node.op {
        Op::Conv1d(c) | Op::Conv2d(c) | Op::ConvTranspose2d(c) => c.out_channels,
        Op::Linear { out_features } => out_features,
        Op::Passthrough | Op::Eltwise(_) => node.in_shape.channels,
    };
    let conv_axis = |p: usize, k: usize, pad: usize, dil: usize, s: usize| -> Option<usize> {
        (p + 2 * pad)
            .checked_sub(dil * (k - 1) + 1)
            .map(|v| v / s + 1)
    };
    let dims = match node.op {
        Op::Conv1d(c) => {
            conv_axis(ph, c.kernel[0], c.pad[0], c.dilation[0], c.stride[0]).map(Dims::D1)
        }
        Op::Conv2d(c) => conv_axis(ph, c.kernel[0], c.pad[0], c.dilation[0], c.stride[0])
            .zip(conv_axis(
                pw,
                c.kernel[1],
                c.pad[1],
                c.dilation[1],
                c.stride[1],
            ))
            .map(|(a, b)| Dims::D2(a, b)),
        Op::ConvTranspose2d(c) => {
            let axis = |p: usize, i: usize| {
                ((p - 1) * c.stride[i] + c.dilation[i] * (c.kernel[i] - 1) + c.output_pad + 1)
                    .checked_sub(2 * c.pad[i])
            };
            axis(ph, 0).zip(axis(pw, 1)).map(|(a, b)| Dims::D2(a, b))
        }
        Op::Linear { .. } => Some(Dims::D2(ph, pw)),
        Op::Passthrough | Op::Eltwise(_) => Some(pooled),
    };
    let mut dims = dims.filter(|d| d.pixels() > 0).ok_or_else(|| {
        err(format!(
            "{} on input {} gives an empty output",
            node.op.name(),
            node.pooled_shape
        ))
    })?;
    if node.flatten {
        dims = Dims::D2(1, 1);
    }
    node.out_shape = Shape {
        channels: out_channels,
        dims,
    };
    Ok(())
}
