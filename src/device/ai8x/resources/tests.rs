//! Per-layer resources, bias allocation and totals on tiny graphs.

use super::{allocate_bias, data_bytes, layer_resources, totals};
use crate::device::ai8x::MAX78000;
use crate::device::ai8x::Placement;
use crate::device::ai8x::placement::{DataFormat, OutputWidth, ProcessorMask};
use crate::device::ai8x::testutil::{conv2d, graph, place};
use crate::ir::{Eltwise, EltwiseOp, Node};

fn with_bias(mut n: Node, value: f32) -> Node {
    n.bias = Some(ndarray::Array1::from_elem(n.out_shape.channels, value));
    n
}

#[test]
fn layer_resources_of_a_conv() {
    let g = graph(vec![with_bias(conv2d(128, 16, 8, 3), 1.0)]);
    let r = layer_resources(&g, 0, &MAX78000);
    assert_eq!(r.processors, 64);
    assert_eq!((r.in_expand, r.out_expand), (2, 1));
    assert_eq!(
        (r.kernel_words, r.kernel_words_total, r.kernel_span),
        (32, 64 * 32, 32)
    );
    assert_eq!(r.weight_bytes, 128 * 16 * 9);
    assert_eq!(r.bias_bytes, 16);
    assert_eq!(
        (r.data_in_bytes, r.data_out_bytes),
        (8 * 8 * 2 * 4, 8 * 8 * 4)
    );
}

#[test]
fn bias_bytes_include_leading_dummies_and_the_streaming_pad() {
    let mut n = with_bias(conv2d(16, 16, 8, 3), 1.0);
    place(&mut n).output_processors = ProcessorMask(0xffff << 1);
    assert_eq!(
        layer_resources(&graph(vec![n.clone()]), 0, &MAX78000).bias_bytes,
        17
    );
    place(&mut n).streaming = true;
    assert_eq!(
        layer_resources(&graph(vec![n.clone()]), 0, &MAX78000).bias_bytes,
        18
    );
    n.bias = Some(ndarray::Array1::zeros(16));
    assert_eq!(layer_resources(&graph(vec![n]), 0, &MAX78000).bias_bytes, 0);
}

#[test]
fn data_bytes_formulas() {
    let mut n = conv2d(4, 16, 10, 3);
    place(&mut n).data_format = DataFormat::Chw;
    let p = n.annex.get::<Placement>().unwrap().clone();
    assert_eq!(data_bytes(&n, &p, &MAX78000), (100, 400));
    n.eltwise = Some(Eltwise {
        op: EltwiseOp::Add,
        operands: 3,
        pool_first: true,
    });
    let mut p = p;
    p.data_format = DataFormat::Hwc;
    p.output_width = OutputWidth::Bits32;
    assert_eq!(data_bytes(&n, &p, &MAX78000), (100 * 3 * 4, 1600));
}

#[test]
fn bias_goes_to_the_emptiest_used_quadrant() {
    // All four quadrants are used (64 input processors): three biases spread out.
    let nodes = vec![
        with_bias(conv2d(64, 64, 4, 1), 1.0),
        with_bias(conv2d(64, 64, 4, 1), 2.0),
        with_bias(conv2d(64, 100, 4, 1), 3.0),
    ];
    let map = allocate_bias(&graph(nodes), &MAX78000);
    // Largest first: layer 2 (100 bytes) → quadrant 0, then layers 0 and 1.
    assert_eq!(
        map.placement,
        vec![Some((1, 0)), Some((2, 0)), Some((0, 0))]
    );
    assert_eq!(map.fill, vec![100, 64, 64, 0]);
    assert_eq!(map.overflow, None);
}

#[test]
fn bias_quadrants_are_the_used_ones_and_duplicates_are_shared() {
    let nodes = vec![
        with_bias(conv2d(16, 16, 4, 1), 1.0),
        with_bias(conv2d(16, 16, 4, 1), 1.0),
    ];
    let map = allocate_bias(&graph(nodes), &MAX78000);
    assert_eq!(map.fill, vec![16, 0, 0, 0]);
    assert_eq!(map.placement, vec![Some((0, 0)), None]);
}

#[test]
fn totals_against_limits() {
    let nodes = vec![with_bias(conv2d(16, 16, 8, 3), 1.0), conv2d(16, 10, 8, 1)];
    let t = totals(&graph(nodes), &MAX78000);
    assert_eq!(t.layers, 2);
    assert_eq!(t.kernel_words[0], 16 + 2);
    assert_eq!(t.kernel_words[16], 0);
    assert_eq!(t.kernel_high_water, Some(18));
    assert_eq!(t.weight_bytes, 16 * 16 * 9 + 16 * 10);
    assert_eq!(t.bias_bytes, vec![16, 0, 0, 0]);
    assert!(t.fits());
    let full = totals(
        &graph((0..13).map(|_| conv2d(64, 64, 4, 3)).collect()),
        &MAX78000,
    );
    assert_eq!(full.kernel_high_water, None);
    assert!(!full.fits());
}

#[test]
fn bias_image_skips_leading_dummies_and_the_streaming_pad() {
    // Layer 0 streams (one zero byte first); its outputs start at processor 1 (one dummy).
    let mut a = conv2d(1, 2, 8, 3);
    a.bias = Some(ndarray::Array1::from_vec(vec![-1.0, 5.0]));
    place(&mut a).streaming = true;
    place(&mut a).output_processors = ProcessorMask(0b110);
    let b = with_bias(conv2d(2, 3, 8, 3), 7.0);
    let g = graph(vec![a, b]);
    let map = allocate_bias(&g, &MAX78000);
    let image = super::bias_image(&g, &MAX78000, &map);
    // Layer 0 (4 bytes) first, then layer 1 (3 bytes): same quadrant, larger first.
    assert_eq!(image[0], vec![0, 0, 0xff, 5, 7, 7, 7]);
    assert!(image[1..].iter().all(Vec::is_empty));
}
