//! One small hand-built graph per check: a valid base, one thing broken.

use super::{LimitError, check_graph, violations};
use crate::device::ai8x::placement::{DataFormat, OutputWidth, ProcessorMask};
use crate::device::ai8x::testutil::{conv, conv2d, first, graph, node, place, reinfer};
use crate::ir::{
    Activation, Conv, Eltwise, EltwiseOp, Graph, Node, Op, Pool, PoolKind, Shape, Source,
    WeightBits,
};

fn base() -> Vec<Node> {
    vec![conv2d(3, 16, 32, 3), conv2d(16, 10, 32, 1)]
}

#[track_caller]
fn assert_flags(g: &Graph, layer: usize, key: &str) {
    let v = violations(g);
    assert!(
        v.iter().any(|e| e.layer == layer && e.key == key),
        "want layer {layer} `{key}`, got {v:#?}"
    );
}

#[track_caller]
fn assert_clean(g: &Graph) {
    let v = violations(g);
    assert!(v.is_empty(), "{v:#?}");
}

fn pool(size: usize) -> Pool {
    Pool {
        kind: PoolKind::Max,
        size: [size; 2],
        stride: [size; 2],
        dilation: [1, 1],
    }
}

fn conv1d(in_ch: usize, len: usize, k: usize, pad: usize, d: usize) -> Node {
    let c = Conv {
        kernel: [k, 1],
        pad: [pad, 0],
        dilation: [d, 1],
        ..conv(16, 1)
    };
    node(Op::Conv1d(c), Shape::d1(in_ch, len))
}

fn linear_flatten(input: Shape) -> Node {
    let mut n = node(Op::Linear { out_features: 10 }, input);
    n.flatten = true;
    n.activation = Activation::None;
    reinfer(&mut n);
    n
}

#[test]
fn base_network_is_clean() {
    assert_clean(&graph(base()));
    assert_eq!(check_graph(&graph(base())), Ok(()));
}

#[test]
fn display_is_one_line_and_check_graph_returns_the_first() {
    let mut nodes = base();
    nodes[1] = conv2d(16, 10, 32, 5);
    nodes[0].quant.output_shift = Some(20);
    let g = graph(nodes);
    let first = check_graph(&g).unwrap_err();
    assert_eq!(first, violations(&g)[0]);
    let text = first.to_string();
    assert!(text.starts_with("layer 0: `output_shift`: "), "{text}");
    assert!(!text.contains('\n'));
    let e = LimitError {
        layer: 1,
        key: "kernel_size",
        message: "x".into(),
    };
    assert_eq!(e.to_string(), "layer 1: `kernel_size`: x");
}

#[test]
fn layer_count() {
    let g = graph((0..33).map(|_| conv2d(16, 16, 8, 3)).collect());
    assert_flags(&g, 32, "layers");
    assert_clean(&graph((0..32).map(|_| conv2d(16, 16, 8, 3)).collect()));
}

#[test]
fn channel_limits() {
    let g = graph(vec![conv2d(16, 1100, 2, 1)]);
    assert_flags(&g, 0, "out_channels");
    let g = graph(vec![conv2d(1100, 16, 2, 1)]);
    assert_flags(&g, 0, "in_channels");
    assert_clean(&graph(vec![conv2d(1024, 16, 2, 1)]));
}

#[test]
fn dimension_limits() {
    let mut n = conv2d(1, 4, 1, 1);
    n.in_shape = Shape::d2(1, 1100, 4);
    reinfer(&mut n);
    let g = graph(vec![n]);
    assert_flags(&g, 0, "in_dim");
    assert!(violations(&g).iter().any(|e| e.message.contains("1024")));
}

#[test]
fn frame_size_limit() {
    let g = graph(vec![conv2d(128, 16, 1024, 1)]);
    assert!(
        violations(&g)
            .iter()
            .any(|e| e.key == "in_dim" && e.message.contains("2097152"))
    );
}

#[test]
fn pad_limits() {
    let mut nodes = base();
    if let Op::Conv2d(c) = &mut nodes[0].op {
        c.pad = [3, 3];
    }
    reinfer(&mut nodes[0]);
    assert_flags(&graph(nodes), 0, "pad");
    let mut nodes = base();
    if let Op::Conv2d(c) = &mut nodes[1].op {
        c.pad = [1, 1]; // pad must be smaller than the 1×1 kernel
    }
    reinfer(&mut nodes[1]);
    assert_flags(&graph(nodes), 1, "pad");
}

#[test]
fn conv2d_kernel_and_stride() {
    let mut nodes = base();
    nodes[1] = conv2d(16, 10, 32, 5);
    assert_flags(&graph(nodes), 1, "kernel_size");
    let mut nodes = base();
    if let Op::Conv2d(c) = &mut nodes[0].op {
        c.stride = [2, 2];
    }
    reinfer(&mut nodes[0]);
    assert_flags(&graph(nodes), 0, "stride");
}

#[test]
fn transposed_conv_rules() {
    let t = |f: fn(&mut Conv)| {
        let mut c = Conv {
            stride: [2, 2],
            output_pad: 1,
            ..conv(16, 3)
        };
        f(&mut c);
        graph(vec![node(Op::ConvTranspose2d(c), Shape::d2(16, 8, 8))])
    };
    assert_clean(&t(|_| {}));
    assert_flags(&t(|c| c.stride = [1, 1]), 0, "stride");
    assert_flags(&t(|c| c.output_pad = 0), 0, "output_pad");
    assert_flags(&t(|c| c.kernel = [1, 1]), 0, "kernel_size");
}

#[test]
fn conv1d_kernel_length() {
    assert_clean(&graph(vec![conv1d(16, 100, 9, 1, 1)]));
    assert_flags(&graph(vec![conv1d(16, 100, 10, 1, 1)]), 0, "kernel_size");
}

#[test]
fn dilation_rules() {
    let mut n = conv2d(16, 16, 16, 3);
    if let Op::Conv2d(c) = &mut n.op {
        c.dilation = [2, 2];
    }
    reinfer(&mut n);
    assert_flags(&graph(vec![n]), 0, "dilation");
    assert_clean(&graph(vec![conv1d(16, 100, 3, 1, 2)])); // stretched to length 5
    assert_flags(&graph(vec![conv1d(16, 100, 1, 0, 2)]), 0, "dilation");
    assert_flags(&graph(vec![conv1d(16, 100, 5, 1, 3)]), 0, "kernel_size");
    let g = graph(vec![conv1d(16, 100, 3, 1, 5)]);
    assert_flags(&g, 0, "pad");
    assert_flags(&g, 0, "out_offset"); // needs 4·5 bytes of headroom
    let mut n = conv1d(16, 100, 3, 0, 5);
    place(&mut n).out_offset = 0x20;
    assert_clean(&graph(vec![n]));
}

#[test]
fn flatten_rules() {
    assert_clean(&graph(vec![linear_flatten(Shape::d2(12, 4, 4))]));
    assert_flags(
        &graph(vec![linear_flatten(Shape::d2(16, 17, 17))]),
        0,
        "flatten",
    );
    // 64 × 16 × 16 = 16,384 values is the largest flatten; one more column is refused.
    assert_clean(&graph(vec![linear_flatten(Shape::d2(64, 16, 16))]));
    let e = check_graph(&graph(vec![linear_flatten(Shape::d2(64, 16, 17))])).unwrap_err();
    assert_eq!((e.layer, e.key), (0, "flatten"));
    assert_eq!(
        e.message,
        "flattened input 64x16x17 (17408 values) has 272 pixels per channel, more than the 256 the device flattens (at most 16384 values on 64 processors)"
    );
    let mut n = linear_flatten(Shape::d2(16, 8, 8));
    n.pool = Some(pool(2));
    reinfer(&mut n);
    assert_flags(&graph(vec![n]), 0, "flatten");
    let mut n = linear_flatten(Shape::d2(16, 4, 4));
    place(&mut n).streaming = true;
    assert_flags(&graph(vec![n]), 0, "flatten");
}

#[test]
fn output_shift_range_includes_implicit_shift() {
    let with = |shift: i32, bits: WeightBits| {
        let mut nodes = base();
        nodes[0].quant.output_shift = Some(shift);
        nodes[0].quant.weight_bits = Some(bits);
        graph(nodes)
    };
    assert_clean(&with(15, WeightBits::B8));
    assert_clean(&with(-15, WeightBits::B8));
    assert_flags(&with(16, WeightBits::B8), 0, "output_shift");
    assert_flags(&with(10, WeightBits::B2), 0, "output_shift"); // 10 + 6 > 15
    assert_clean(&with(-21, WeightBits::B2));
    assert_flags(&with(-22, WeightBits::B2), 0, "output_shift");
}

#[test]
fn processor_counts() {
    let mut nodes = base();
    place(&mut nodes[1]).processors = first(15);
    let g = graph(nodes);
    assert_flags(&g, 1, "processors");
    let mut nodes = base();
    place(&mut nodes[1]).output_processors = first(8);
    assert_flags(&graph(nodes), 1, "output_processors");
    // 100 channels: two passes of 52 processors.
    let mut n = conv2d(100, 16, 8, 1);
    assert_eq!(place(&mut n).processors, first(52));
    assert_clean(&graph(vec![n.clone()]));
    place(&mut n).processors = first(50);
    assert_flags(&graph(vec![n]), 0, "processors");
}

#[test]
fn zero_processor_maps() {
    let mut nodes = base();
    place(&mut nodes[1]).processors = ProcessorMask(0);
    let g = graph(nodes);
    assert!(
        violations(&g)
            .iter()
            .any(|e| e.key == "processors" && e.message.contains("zero"))
    );
    let mut nodes = base();
    place(&mut nodes[1]).output_processors = ProcessorMask(0);
    assert_flags(&graph(nodes), 1, "output_processors");
}

#[test]
fn chw_needs_one_processor_per_instance() {
    let mut n = conv2d(2, 16, 28, 3);
    place(&mut n).data_format = DataFormat::Chw;
    assert_flags(&graph(vec![n.clone()]), 0, "processors");
    place(&mut n).processors = ProcessorMask(0x11);
    assert_clean(&graph(vec![n]));
    let mut nodes = base();
    place(&mut nodes[1]).data_format = DataFormat::Chw;
    assert_flags(&graph(nodes), 1, "data_format");
}

#[test]
fn data_memory_instances() {
    assert_flags(&graph(vec![conv2d(4, 4, 128, 3)]), 0, "in_offset");
    // Streaming layers need not fit their input; the terminating layer's output must fit.
    let mut a = conv2d(4, 4, 128, 3);
    let mut b = conv2d(4, 4, 128, 3);
    b.pool = Some(pool(2));
    reinfer(&mut b);
    place(&mut a).streaming = true;
    place(&mut b).streaming = true;
    assert_clean(&graph(vec![a, b]));
    let mut nodes = vec![conv2d(4, 4, 64, 3)];
    place(&mut nodes[0]).out_offset = 0x7000;
    assert_flags(&graph(nodes), 0, "out_offset");
    let mut nodes = vec![conv2d(4, 4, 64, 3)];
    place(&mut nodes[0]).in_offset = 0x5000;
    assert_flags(&graph(nodes), 0, "in_offset");
}

#[test]
fn out_offset_range() {
    let mut nodes = base();
    place(&mut nodes[0]).out_offset = 0x2_0000;
    assert_flags(&graph(nodes), 0, "out_offset");
}

#[test]
fn unsupported_features() {
    let mut nodes = base();
    place(&mut nodes[0]).read_gap = 1;
    assert_flags(&graph(nodes), 0, "read_gap");
    let mut nodes = base();
    if let Op::Conv2d(c) = &mut nodes[1].op {
        c.groups = 2;
    }
    assert_flags(&graph(nodes), 1, "conv_groups");
    let mut nodes = base();
    nodes[1].pool = Some(Pool {
        dilation: [2, 2],
        ..pool(2)
    });
    reinfer(&mut nodes[1]);
    assert_flags(&graph(nodes), 1, "pool_dilation");
    let mut nodes = base();
    nodes[1].pool = Some(Pool {
        stride: [2, 1],
        ..pool(2)
    });
    reinfer(&mut nodes[1]);
    assert_flags(&graph(nodes), 1, "pool_stride");
}

#[test]
fn passthrough_rules() {
    let pass = || node(Op::Passthrough, Shape::d2(16, 8, 8));
    let g = |n: Node| graph(vec![conv2d(16, 16, 8, 3), n]);
    assert_clean(&g(pass()));
    let mut n = pass();
    n.activation = Activation::Relu;
    assert_flags(&g(n), 1, "activate");
    let mut n = pass();
    n.quant.output_shift = Some(1);
    assert_flags(&g(n), 1, "output_shift");
    let mut n = pass();
    place(&mut n).output_width = OutputWidth::Bits32;
    assert_flags(&g(n), 1, "output_width");
    let mut n = pass();
    place(&mut n).output_processors = ProcessorMask(0xffff_0000);
    assert_flags(&g(n), 1, "output_processors");
    let mut n = node(Op::Passthrough, Shape::d2(128, 8, 8));
    n.pool = Some(pool(2));
    reinfer(&mut n);
    assert_flags(&graph(vec![conv2d(128, 128, 8, 1), n]), 1, "max_pool");
}

#[test]
fn quadrant_zero_must_be_used() {
    let mut n = conv2d(16, 16, 8, 3);
    place(&mut n).processors = ProcessorMask(0xffff_0000);
    place(&mut n).output_processors = ProcessorMask(0xffff_0000);
    assert_flags(&graph(vec![n]), 0, "processors");
}

#[test]
fn wide_output_with_activation_only_fails_on_the_final_layer() {
    let mut nodes = base();
    place(&mut nodes[1]).output_width = OutputWidth::Bits32;
    assert_flags(&graph(nodes.clone()), 1, "output_width");
    nodes[1].activation = Activation::None;
    assert_clean(&graph(nodes));
}

#[test]
fn eltwise_operand_limits() {
    let elt = |operands: usize, pool_first: bool| {
        let mut n = node(Op::Eltwise(EltwiseOp::Add), Shape::d2(16, 8, 8));
        n.eltwise = Some(Eltwise {
            op: EltwiseOp::Add,
            operands,
            pool_first,
        });
        n
    };
    assert_clean(&graph(vec![elt(2, true)]));
    assert_flags(&graph(vec![elt(17, true)]), 0, "operands");
    let mut n = elt(3, false);
    n.pool = Some(pool(2));
    reinfer(&mut n);
    assert_flags(&graph(vec![n]), 0, "pool_first");
    let mut n = conv1d(16, 100, 3, 1, 1);
    n.eltwise = Some(Eltwise {
        op: EltwiseOp::Add,
        operands: 2,
        pool_first: true,
    });
    assert_flags(&graph(vec![n]), 0, "operands");
    // Three operands over two passes are only emulated in a plain passthrough.
    let mut n = conv2d(128, 16, 4, 1);
    n.eltwise = Some(Eltwise {
        op: EltwiseOp::Add,
        operands: 3,
        pool_first: true,
    });
    assert_flags(&graph(vec![n]), 0, "operands");
}

#[test]
fn streaming_rules() {
    let streaming = |n: &mut Node| place(n).streaming = true;
    let mut nodes = base();
    streaming(&mut nodes[1]);
    assert_flags(&graph(nodes), 1, "streaming");
    let mut nodes: Vec<Node> = (0..10).map(|_| conv2d(16, 16, 8, 3)).collect();
    nodes.iter_mut().take(9).for_each(streaming);
    assert_flags(&graph(nodes), 8, "streaming");
    let mut nodes = base();
    if let Op::Conv2d(c) = &mut nodes[0].op {
        c.pad = [0, 0];
    }
    reinfer(&mut nodes[0]);
    nodes[1] = conv2d(16, 10, 30, 1);
    streaming(&mut nodes[0]);
    assert_flags(&graph(nodes), 0, "pad");
}

#[test]
fn bias_group_must_name_used_quadrants() {
    let mut nodes = base();
    place(&mut nodes[0]).bias_group = Some(vec![3]);
    assert_flags(&graph(nodes), 0, "bias_group");
}

#[test]
fn kernel_memory_exhaustion() {
    // 64 words per processor each: twelve layers fill the 768 columns, the 13th does not fit.
    let nodes: Vec<Node> = (0..13).map(|_| conv2d(64, 64, 4, 3)).collect();
    let v = violations(&graph(nodes));
    assert!(
        v.iter()
            .any(|e| e.layer == 12 && e.key == "processors" && e.message.contains("768")),
        "{v:#?}"
    );
    assert_clean(&graph((0..12).map(|_| conv2d(64, 64, 4, 3)).collect()));
}

#[test]
fn bias_memory_exhaustion() {
    let mut n = conv2d(64, 600, 2, 1);
    n.bias = Some(ndarray::Array1::ones(600));
    assert_flags(&graph(vec![n.clone()]), 0, "bias_group");
    n.bias = Some(ndarray::Array1::zeros(600)); // all-zero biases are not stored
    assert_clean(&graph(vec![n]));
}

#[test]
fn eltwise_operands_need_equal_output_maps() {
    let a = conv2d(16, 16, 8, 3);
    let mut b = conv2d(16, 16, 8, 3);
    let mut sum = node(Op::Eltwise(EltwiseOp::Add), Shape::d2(16, 8, 8));
    sum.eltwise = Some(Eltwise {
        op: EltwiseOp::Add,
        operands: 2,
        pool_first: true,
    });
    let mut g = graph(vec![a, b.clone(), sum.clone()]);
    g.nodes[2].inputs = vec![Source::Node(0), Source::Node(1)];
    assert_clean(&g);
    place(&mut b).output_processors = ProcessorMask(0xffff_0000);
    let mut g = graph(vec![conv2d(16, 16, 8, 3), b, sum]);
    g.nodes[2].inputs = vec![Source::Node(0), Source::Node(1)];
    assert_flags(&g, 2, "in_sequences");
}

#[test]
fn bias_count_must_match_outputs() {
    let mut nodes = base();
    nodes[0].bias = Some(ndarray::Array1::ones(15));
    assert_flags(&graph(nodes), 0, "out_channels");
}
