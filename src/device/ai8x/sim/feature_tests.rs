//! MAX78002 features in the integer engine, on layers small enough to work out by hand:
//! depthwise convolution, binary ±1 weights and Conv2d dilation. Every expected integer is
//! computed in the test's comments; the image-by-image and batched paths must both give it.

use super::{Prepared, SimOptions};
use crate::device::ai8x::testutil::node;
use crate::ir::{Activation, Conv, Graph, Node, Op, Shape, WeightBits};
use ndarray::{Array3, ArrayD, Axis, IxDyn};

/// A one-layer graph: Conv2d `conv` on `input`, weights `w` of `shape`, no activation.
fn layer(conv: Conv, input: Shape, shape: &[usize], w: &[f32], bits: WeightBits) -> Graph {
    let mut n: Node = node(Op::Conv2d(conv), input);
    n.activation = Activation::None;
    n.weights = Some(ArrayD::from_shape_vec(IxDyn(shape), w.to_vec()).expect("weights"));
    n.quant.weight_bits = Some(bits);
    Graph::new("hand", input, vec![n])
}

/// The layer's output on `x` by both paths (which must agree), flattened.
fn run(g: &Graph, x: Array3<i64>) -> Vec<i64> {
    let p = Prepared::new(g).expect("prepare");
    let reference = p
        .run_reference(&x, SimOptions::default(), false)
        .expect("reference");
    let batch = p
        .run_batch(&x.clone().insert_axis(Axis(0)), SimOptions::default())
        .expect("batch");
    let out = reference.outputs[0].clone();
    assert_eq!(batch[0].index_axis(Axis(0), 0), out, "batch ≠ reference");
    out.iter().copied().collect()
}

fn conv3(out: usize, groups: usize, dilation: usize) -> Conv {
    Conv {
        out_channels: out,
        kernel: [3, 3],
        stride: [1, 1],
        pad: [0, 0],
        dilation: [dilation; 2],
        output_pad: 0,
        groups,
    }
}

#[test]
fn depthwise_reads_only_its_own_channel() {
    // ch0 = 1..9, ch1 = [-1 0 1; 2 -2 3; 0 4 -4]; 3×3 kernels, no pad → one value each.
    let x = Array3::from_shape_vec(
        (2, 3, 3),
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, -1, 0, 1, 2, -2, 3, 0, 4, -4],
    )
    .unwrap();
    // k0 = all ones, k1 = diag(1, 2, −1).
    let w = [
        1., 1., 1., 1., 1., 1., 1., 1., 1., //
        1., 0., 0., 0., 2., 0., 0., 0., -1.,
    ];
    let mut g = layer(
        conv3(2, 2, 1),
        Shape::d2(2, 3, 3),
        &[2, 1, 3, 3],
        &w,
        WeightBits::B8,
    );
    // 8-bit weights with output_shift 7: total shift 7, the output is the sum itself.
    g.nodes[0].quant.output_shift = Some(7);
    // out0 = 1+…+9 = 45; out1 = −1·1 + (−2)·2 + (−4)·(−1) = −1.
    // (A dense 2-in convolution would add ch1·k0 = −1+0+1+2−2+3+0+4−4 = 3 to out0.)
    assert_eq!(run(&g, x), [45, -1]);
}

#[test]
fn binary_weights_add_and_subtract_with_the_one_bit_shift() {
    // 1×1 kernel, weights (+1, −1) over two channels of 1×2: acc = x0 − x1.
    let x = Array3::from_shape_vec((2, 1, 2), vec![10, 20, 3, 50]).unwrap();
    let mut g = layer(
        Conv::plain(1, [1, 1]),
        Shape::d2(2, 1, 2),
        &[1, 2, 1, 1],
        &[1., -1.],
        WeightBits::B1,
    );
    g.nodes[0].quant.binary = true;
    // acc = (10 − 3, 20 − 50) = (7, −30). Output shift 0 + implicit 8 − 1 = 7: out = acc.
    g.nodes[0].quant.output_shift = Some(0);
    assert_eq!(run(&g, x.clone()), [7, -30]);
    // Output shift −2 → total 5: (acc + 2) >> 2 = (9 >> 2, −28 >> 2) = (2, −7).
    g.nodes[0].quant.output_shift = Some(-2);
    assert_eq!(run(&g, x.clone()), [2, -7]);
    // Bias β = 3 adds 128·β before the shift of 5: (7 + 384 + 2) >> 2 = 98,
    // (−30 + 384 + 2) >> 2 = 89.
    g.nodes[0].bias = Some(ndarray::Array1::from(vec![3.0]));
    assert_eq!(run(&g, x), [98, 89]);
}

#[test]
fn conv2d_dilation_spreads_the_taps() {
    // x[i][j] = 5·i + j on 5×6; kernel diag(1, 1, 1) with dilation 2 reads x[0][j],
    // x[2][j+2], x[4][j+4] for output column j ∈ {0, 1}.
    let x = Array3::from_shape_fn((1, 5, 6), |(_, i, j)| (5 * i + j) as i64);
    let w = [1., 0., 0., 0., 1., 0., 0., 0., 1.];
    let mut g = layer(
        conv3(1, 1, 2),
        Shape::d2(1, 5, 6),
        &[1, 1, 3, 3],
        &w,
        WeightBits::B8,
    );
    g.nodes[0].quant.output_shift = Some(7);
    // j = 0: 0 + 12 + 24 = 36; j = 1: 1 + 13 + 25 = 39.
    assert_eq!(run(&g, x), [36, 39]);
}

#[test]
fn dilated_depthwise_binary_layer() {
    // All three at once: two channels of 5×5, x0[i][j] = i + j, x1 = −x0; depthwise 3×3
    // binary kernels with dilation 2 (taps at rows/columns 0, 2, 4): k0 = all +1,
    // k1 = +1 on the first row, −1 elsewhere.
    let x = Array3::from_shape_fn((2, 5, 5), |(c, i, j)| {
        let v = (i + j) as i64;
        if c == 0 { v } else { -v }
    });
    let mut w = vec![1.0f32; 18];
    for v in &mut w[12..18] {
        *v = -1.0;
    }
    let mut g = layer(
        conv3(2, 2, 2),
        Shape::d2(2, 5, 5),
        &[2, 1, 3, 3],
        &w,
        WeightBits::B1,
    );
    g.nodes[0].quant.binary = true;
    g.nodes[0].quant.output_shift = Some(0);
    // out0 = Σ over rows r, columns c in {0,2,4} of (r + c) = 3·6 + 3·6 = 36.
    // out1: first row (r = 0) gives +(−(0+0+2+4)) = −6; rows 2 and 4 give
    // −(−(3·2 + 6)) − (−(3·4 + 6)) = 12 + 18 = 30; total 24.
    assert_eq!(run(&g, x), [36, 24]);
}
