//! Kernel words per layer for the packing cases of `weights-h.md` §3, and the allocator.

use super::KernelGeometry;
use crate::device::ai8x::MAX78000;
use crate::device::ai8x::placement::ProcessorMask;
use crate::device::ai8x::testutil::{conv, conv2d, first, graph, node, place, reinfer};
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

/// `node` with weights `values` of its framework shape.
fn with_weights(mut n: Node, values: Vec<f32>) -> Node {
    let shape = n.weight_shape().unwrap();
    n.weights = Some(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), values).unwrap());
    n
}

/// Column bytes of processor 0 of a one-layer graph: `(column, B[0..9])`.
fn filled(n: Node) -> Vec<(u32, Vec<u8>)> {
    let g = graph(vec![n]);
    let geo = KernelGeometry::of(&g, 0, &MAX78000).unwrap();
    let rows = geo.kernel_rows(&g.nodes[0]).unwrap();
    let mut bytes = geo.fill(&MAX78000, &rows);
    let layout = geo.layout(&MAX78000);
    for (b, l) in bytes.iter().zip(&layout.processors) {
        let cols: Vec<u32> = b.columns.iter().map(|c| c.0).collect();
        assert_eq!(cols, l.columns, "fill and layout agree on columns");
    }
    bytes.remove(0).columns
}

#[test]
fn fill_3x3_eight_bit_puts_element_t_in_byte_t() {
    let w: Vec<f32> = (0..18).map(|v| v as f32 - 9.0).collect();
    let cols = filled(with_weights(conv2d(1, 2, 8, 3), w));
    let b = |v: i32| (v & 0xff) as u8;
    assert_eq!(cols[0], (0, (-9..0).map(b).collect()));
    assert_eq!(cols[1], (1, (0..9).map(b).collect()));
}

#[test]
fn fill_1x1_eight_bit_first_channel_in_last_byte() {
    let w: Vec<f32> = (1..=10).map(|v| v as f32).collect();
    let cols = filled(with_weights(conv2d(1, 10, 8, 1), w));
    assert_eq!(cols[0], (0, vec![9, 8, 7, 6, 5, 4, 3, 2, 1]));
    assert_eq!(cols[1], (1, vec![0, 0, 0, 0, 0, 0, 0, 0, 10]));
}

#[test]
fn fill_four_bit_packs_output_pairs() {
    // Output 2j in the low nibble, 2j+1 in the high nibble; −1 masks to 0xf.
    let mut w = vec![0.0; 36];
    w[0] = 1.0; // out 0, t 0
    w[9 + 8] = -1.0; // out 1, t 8
    w[18 + 4] = 7.0; // out 2, t 4
    let cols = filled(bits(with_weights(conv2d(1, 4, 8, 3), w), WeightBits::B4));
    assert_eq!(cols[0], (0, vec![0x01, 0, 0, 0, 0, 0, 0, 0, 0xf0]));
    assert_eq!(cols[1], (1, vec![0, 0, 0, 0, 0x07, 0, 0, 0, 0]));
}

#[test]
fn kernel_rows_rewrite_for_the_hardware() {
    let c1 = |k: usize, d: usize| {
        let c = Conv {
            kernel: [k, 1],
            pad: [0, 0],
            dilation: [d, 1],
            ..conv(1, 1)
        };
        let n = node(Op::Conv1d(c), Shape::d1(1, 64));
        let w = (1..=k).map(|v| v as f32).collect();
        let n = with_weights(n, w);
        let geo = KernelGeometry::of_node(&n, false, &MAX78000).unwrap();
        geo.kernel_rows(&n).unwrap()
    };
    assert_eq!(c1(3, 1), vec![vec![1, 2, 3]]);
    assert_eq!(c1(3, 2), vec![vec![1, 0, 2, 0, 3]]); // stretched
    assert_eq!(c1(3, 5), vec![vec![0, 1, 0, 0, 2, 0, 0, 3, 0]]); // 3×3, centre column
    assert_eq!(c1(2, 9), vec![vec![0, 0, 0, 0, 1, 0, 0, 2, 0]]); // zero row on top

    // ConvTranspose2d `[in, out, kh, kw]`: flipped, rows in `[out, in]` order.
    let t = Conv {
        stride: [2, 2],
        output_pad: 1,
        ..conv(2, 3)
    };
    let n = node(Op::ConvTranspose2d(t), Shape::d2(1, 4, 4));
    let n = with_weights(n, (0..18).map(|v| v as f32).collect());
    let geo = KernelGeometry::of_node(&n, false, &MAX78000).unwrap();
    let rows = geo.kernel_rows(&n).unwrap();
    assert_eq!(rows[0], (0..9).rev().collect::<Vec<i64>>());
    assert_eq!(rows[1], (9..18).rev().collect::<Vec<i64>>());

    // Streaming 1×1 → weight at the 3×3 centre.
    let n = with_weights(conv2d(1, 1, 8, 1), vec![5.0]);
    let geo = KernelGeometry::of_node(&n, true, &MAX78000).unwrap();
    assert_eq!(
        geo.kernel_rows(&n).unwrap(),
        vec![vec![0, 0, 0, 0, 5, 0, 0, 0, 0]]
    );
}

#[test]
fn flatten_rows_are_pixel_major_with_the_pass_fastest() {
    let w = ndarray::ArrayD::from_shape_vec(
        ndarray::IxDyn(&[1, 72]),
        (0..72).map(|v| v as f32).collect(),
    )
    .unwrap();
    // 72 channels of one pixel: 2 passes of 36.
    let rows = super::flatten_rows(&w, 1, 2, 36).unwrap();
    assert_eq!(rows.len(), 36);
    assert_eq!(rows[0], vec![0, 36]);
    assert_eq!(rows[35], vec![35, 71]);
}
