//! izer's one-line human description of a layer (the `// Layer i: …` lines of `cnn.c`) and
//! its shape convention (`[C,L]` for Conv1d, `[C,H,W]` otherwise).
//!
//! Owns wording only; shapes come from the IR.

use super::Placement;
use crate::ir::{Activation, Node, Op, PoolKind, Shape};

/// Shape as izer reports it for this node's operator: `[C, L]` for Conv1d, `[C, H, W]`
/// for everything else (one-dimensional data shows as `L × 1`).
pub fn izer_shape(node: &Node, shape: Shape) -> Vec<usize> {
    let (h, w) = shape.dims.hw();
    match node.op {
        Op::Conv1d(_) => vec![shape.channels, h],
        _ => vec![shape.channels, h, w],
    }
}

fn join(v: &[usize], conv1d: bool, sep: &str) -> String {
    if conv1d {
        v[0].to_string()
    } else {
        format!("{}{sep}{}", v[0], v[1])
    }
}

fn dims_str(node: &Node, shape: Shape) -> String {
    izer_shape(node, shape)[1..]
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x")
}

/// The description izer writes for `node` at index `index`, e.g.
/// `Layer 1: 60x28x28, max pool 2x2 with stride 2/2, conv2d with kernel size 3x3, stride 1/1, pad 2/2, ReLU, 60x16x16 output`.
pub fn describe(index: usize, node: &Node) -> String {
    let c1 = matches!(node.op, Op::Conv1d(_));
    let streaming = node.annex.get::<Placement>().is_some_and(|p| p.streaming);
    let operands = node.operands();
    let mut s = format!("Layer {index}: ");
    if operands > 1 {
        s += &format!("{operands}x");
    }
    s += &format!(
        "{}x{}",
        node.in_shape.channels,
        dims_str(node, node.in_shape)
    );
    if streaming {
        s += " streaming";
    }
    if node.flatten {
        s += &format!(" flattened to {}x1x1", node.in_shape.numel());
    }
    s += ", ";
    let elt = node.eltwise.filter(|_| operands > 1);
    if let Some(e) = elt.filter(|e| !e.pool_first) {
        s += &format!("{operands}-element {}, ", e.op.name());
    }
    match node.pool.filter(|p| p.size[0] > 1 || p.size[1] > 1) {
        Some(p) => {
            let kind = if p.kind == PoolKind::Avg {
                "avg"
            } else {
                "max"
            };
            s += &format!(
                "{kind} pool {} with stride {}",
                join(&p.size, c1, "x"),
                join(&p.stride, c1, "/")
            );
            if p.dilation[0] > 1 || p.dilation[1] > 1 {
                s += &format!(" and dilation {}", join(&p.dilation, c1, "/"));
            }
        }
        None => s += "no pooling",
    }
    if let Some(e) = elt.filter(|e| e.pool_first) {
        s += &format!(", {operands}-element {}", e.op.name());
    }
    let act = match node.activation {
        Activation::None => "no activation",
        Activation::Relu => "ReLU",
        Activation::Abs => "Abs",
    };
    match node.op {
        Op::Passthrough | Op::Eltwise(_) => s += ", no convolution, ",
        Op::Linear { .. } => s += &format!(", linear, {act}, "),
        Op::Conv1d(c) | Op::Conv2d(c) | Op::ConvTranspose2d(c) => {
            s += &format!(
                ", {} with kernel size {}, stride {}, pad {}, {act}, ",
                node.op.name(),
                join(&c.kernel, c1, "x"),
                join(&c.stride, c1, "/"),
                join(&c.pad, c1, "/")
            );
            if c.dilation[0] > 1 || c.dilation[1] > 1 {
                s += &format!("dilation {}, ", join(&c.dilation, c1, "/"));
            }
        }
    }
    s + &format!(
        "{}x{} output",
        node.out_shape.channels,
        dims_str(node, node.out_shape)
    )
}
