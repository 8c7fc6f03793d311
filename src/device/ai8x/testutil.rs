//! Test helpers: tiny hand-built placed nodes and graphs.
//!
//! Test-only; must not be used by library code.

use super::placement::{Placement, ProcessorMask};
use crate::ir::Annex;
use crate::ir::{
    Activation, Conv, Graph, Node, Op, QuantAttrs, QuantScheme, Shape, Source, WeightBits,
    infer_node,
};

/// The first `n` processors.
pub fn first(n: u32) -> ProcessorMask {
    ProcessorMask(if n >= 64 { u64::MAX } else { (1 << n) - 1 })
}

/// Square convolution geometry: `k×k`, stride 1, "same" padding for 3×3.
pub fn conv(out_channels: usize, k: usize) -> Conv {
    Conv {
        out_channels,
        kernel: [k, k],
        stride: [1, 1],
        pad: [k / 2; 2],
        dilation: [1, 1],
        output_pad: 0,
        groups: 1,
    }
}

/// A placed node running `op` on `input`, 8-bit weights, shift 0, ReLU, processors
/// `first(channels per pass)` in and out; shapes inferred.
pub fn node(op: Op, input: Shape) -> Node {
    let out_channels = match op {
        Op::Conv1d(c) | Op::Conv2d(c) | Op::ConvTranspose2d(c) => c.out_channels,
        Op::Linear { out_features } => out_features,
        Op::Passthrough | Op::Eltwise(_) => input.channels,
    };
    let per_pass = |c: usize| super::MAX78000.limits.expansion(c).per_pass as u32;
    let weighted = op.has_weights();
    let mut n = Node::new(op, vec![Source::Input], input);
    if weighted {
        n.activation = Activation::Relu;
    }
    n.quant = QuantAttrs {
        scheme: QuantScheme::Max78000,
        weight_bits: weighted.then_some(WeightBits::B8),
        bias_bits: Some(8),
        output_shift: Some(0),
        act: None,
        ..QuantAttrs::default()
    };
    n.annex = Annex::new(Placement {
        processors: first(per_pass(input.channels)),
        output_processors: first(per_pass(out_channels)),
        conv_groups: 1,
        ..Placement::default()
    });
    reinfer(&mut n);
    n
}

/// A placed Conv2d node: `in_ch` channels of `hw×hw` to `out_ch`, kernel `k×k`.
pub fn conv2d(in_ch: usize, out_ch: usize, hw: usize, k: usize) -> Node {
    node(Op::Conv2d(conv(out_ch, k)), Shape::d2(in_ch, hw, hw))
}

/// Re-run shape inference after editing a node.
pub fn reinfer(n: &mut Node) {
    infer_node(0, n).expect("test node shapes");
}

/// The node's placement, for editing.
pub fn place(n: &mut Node) -> &mut Placement {
    n.annex
        .get_mut::<Placement>()
        .expect("test node without placement")
}

/// A graph of `nodes` in order, each reading the previous one.
pub fn graph(mut nodes: Vec<Node>) -> Graph {
    for (i, n) in nodes.iter_mut().enumerate().skip(1) {
        n.inputs = vec![Source::Node(i - 1)];
    }
    let input = nodes.first().map_or(Shape::d2(1, 1, 1), |n| n.in_shape);
    let outputs = nodes.len().checked_sub(1).into_iter().collect();
    Graph {
        arch: "test".into(),
        dataset: None,
        input,
        nodes,
        outputs,
        annex: Annex::default(),
    }
}
