//! Kernel words per layer for the packing cases of `weights-h.md` §3, and the allocator.

use super::KernelGeometry;
use crate::device::max78000::limits::MAX78000;
use crate::device::max78000::placement::ProcessorMask;
use crate::device::max78000::testutil::{conv, conv2d, first, graph, node, place, reinfer};
use crate::ir::{Conv, Node, Op, Shape, WeightBits};

/// (most words on one processor, reserved span) of layer `layer`.
fn words_in(nodes: Vec<Node>, layer: usize) -> (u32, u32) {
    let g = graph(nodes);
    let layout = KernelGeometry::of(&g, layer, &MAX78000)
        .unwrap()
        .layout(&MAX78000);
    let most = layout
        .processors
        .iter()
        .map(|p| p.columns.len() as u32)
        .max()
        .unwrap();
    (most, layout.span)
}

fn words(n: Node) -> u32 {
    words_in(vec![n], 0).0
}

fn bits(mut n: Node, b: WeightBits) -> Node {
    n.quant.weight_bits = Some(b);
    n
}

#[test]
fn eight_bit_kernels() {
    assert_eq!(words(conv2d(64, 64, 8, 3)), 64); // one 3×3 kernel per word
    assert_eq!(words(conv2d(64, 64, 8, 1)), 8); // nine 1×1 kernels per word: ceil(64/9)
    assert_eq!(words(conv2d(128, 64, 8, 3)), 128); // two input passes
    assert_eq!(words(conv2d(64, 128, 8, 3)), 128); // two output passes
    assert_eq!(words(conv2d(128, 128, 8, 1)), 29); // ceil(2·2·64/9)
}

#[test]
fn narrow_weights_pack_more_per_word() {
    assert_eq!(words(bits(conv2d(64, 64, 8, 3), WeightBits::B4)), 32);
    assert_eq!(words(bits(conv2d(64, 64, 8, 3), WeightBits::B2)), 16);
    assert_eq!(words(bits(conv2d(64, 64, 8, 3), WeightBits::B1)), 8);
    assert_eq!(words(bits(conv2d(64, 64, 8, 1), WeightBits::B4)), 4); // 32 bytes
    assert_eq!(words(bits(conv2d(64, 64, 8, 1), WeightBits::B1)), 1); // 8 bytes
}

#[test]
fn flatten_uses_one_byte_per_pixel() {
    // mnist's classifier: 12×4×4 → 10, ceil(10·16/9) = 18 words on each of 12 processors.
    let mut n = node(Op::Linear { out_features: 10 }, Shape::d2(12, 4, 4));
    n.flatten = true;
    reinfer(&mut n);
    assert_eq!(place(&mut n).processors, first(12));
    assert_eq!(words_in(vec![n], 0), (18, 18));
}

#[test]
fn conv1d_lengths_and_dilation() {
    let c1 = |k: usize, pad: usize, d: usize| {
        let c = Conv {
            kernel: [k, 1],
            pad: [pad, 0],
            dilation: [d, 1],
            ..conv(16, 1)
        };
        node(Op::Conv1d(c), Shape::d1(16, 64))
    };
    assert_eq!(words(c1(3, 1, 1)), 6); // ceil(16·3/9)
    assert_eq!(words(c1(9, 1, 1)), 16);
    assert_eq!(words(c1(3, 1, 2)), 9); // stretched to length 5: ceil(16·5/9)
    assert_eq!(words(c1(3, 0, 5)), 16); // 3×3 emulation
}

#[test]
fn streaming_turns_1x1_into_3x3() {
    let mut a = conv2d(16, 16, 8, 1);
    place(&mut a).streaming = true;
    let b = conv2d(16, 16, 8, 1);
    let c = conv2d(16, 16, 8, 1);
    assert_eq!(words_in(vec![a.clone(), b.clone(), c.clone()], 0).0, 16);
    assert_eq!(words_in(vec![a.clone(), b.clone(), c.clone()], 1).0, 16); // predecessor streams
    assert_eq!(words_in(vec![a, b, c], 2).0, 2);
}

#[test]
fn output_map_gaps_leave_holes() {
    // Outputs on processors 0, 1, 3: the span covers 4 columns, column 2 stays empty.
    let mut n = conv2d(4, 3, 8, 3);
    place(&mut n).output_processors = ProcessorMask(0b1011);
    let g = graph(vec![n]);
    let layout = KernelGeometry::of(&g, 0, &MAX78000)
        .unwrap()
        .layout(&MAX78000);
    assert_eq!(layout.span, 4);
    assert_eq!(layout.processors[0].columns, vec![0, 1, 3]);
}

#[test]
fn unaligned_output_map_starts_with_a_dummy_byte() {
    // 1×1, nine outputs starting at processor 1: one zero byte, then nine kernels → two words,
    // although izer reserves a span of one (replicated as izer does it).
    let mut n = conv2d(4, 9, 8, 1);
    place(&mut n).output_processors = ProcessorMask(0x3fe);
    assert_eq!(words_in(vec![n], 0), (2, 1));
}

#[test]
fn weight_bytes_follow_izer() {
    let g = graph(vec![
        conv2d(64, 64, 8, 3),
        bits(conv2d(64, 64, 8, 3), WeightBits::B4),
    ]);
    let b = |l| KernelGeometry::of(&g, l, &MAX78000).unwrap().weight_bytes();
    assert_eq!((b(0), b(1)), (36864, 18432));
}
