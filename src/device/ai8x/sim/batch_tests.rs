//! The batch path against the image-by-image reference path on random layers of every kind
//! (Conv1d, Conv2d, ConvTranspose2d, Linear with flatten, passthrough, element-wise with
//! pool-first and pool-last), every weight width (1/2/4/8 bits and binary ±1), depthwise
//! Conv2d, padding, stride, dilation, pooling, activations, shifts and 32-bit outputs:
//! identical outputs for every layer.

use super::{Prepared, SimOptions, Simulator};
use crate::data::rng::Rng;
use crate::device::ai8x::{OutputWidth, Placement};
use crate::ir::{
    Activation, Annex, Conv, Eltwise, EltwiseOp, Graph, Node, Op, Pool, PoolKind, Shape, Source,
    WeightBits, infer_node,
};
use ndarray::{Array1, Array3, ArrayD, Axis, IxDyn, stack};

fn pick<T: Copy>(r: &mut Rng, items: &[T]) -> T {
    items[r.below_usize(items.len())]
}

fn random_pool(r: &mut Rng, one_d: bool) -> Option<Pool> {
    if r.below_usize(2) == 0 {
        return None;
    }
    let size = if r.below_usize(4) == 0 {
        1
    } else {
        2 + r.below_usize(2)
    };
    let stride = 1 + r.below_usize(3);
    // izer's pooled-size rule holds for dilated windows of size 2 only.
    let dil = if one_d || size != 2 {
        1
    } else {
        1 + r.below_usize(2)
    };
    Some(Pool {
        kind: pick(r, &[PoolKind::Max, PoolKind::Avg]),
        size: if one_d { [size, 1] } else { [size, size] },
        stride: if one_d { [stride, 1] } else { [stride, stride] },
        dilation: [dil, dil],
    })
}

fn random_conv(r: &mut Rng, out: usize, kernel: [usize; 2]) -> Conv {
    Conv {
        out_channels: out,
        kernel,
        stride: [1 + r.below_usize(2), 1 + r.below_usize(2)],
        pad: [r.below_usize(3), r.below_usize(3)],
        dilation: [1 + r.below_usize(2), 1 + r.below_usize(2)],
        output_pad: 0,
        groups: 1,
    }
}

/// Integer weights and bias of `node` at a random width, a random shift and activation.
fn quantize_randomly(r: &mut Rng, node: &mut Node) {
    let Some(shape) = node.weight_shape() else {
        return;
    };
    let bits = pick(r, &[1u8, 2, 4, 8]);
    let (lo, hi) = if bits == 1 {
        (-1, 0)
    } else {
        (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    };
    // Half the 1-bit layers binary (MAX78002): ±1 instead of −1/0.
    let binary = bits == 1 && r.below_usize(2) == 0;
    let n: usize = shape.iter().product();
    let w: Vec<f32> = (0..n)
        .map(|_| match (binary, r.range_i64(lo, hi)) {
            (true, 0) => 1.0,
            (_, v) => v as f32,
        })
        .collect();
    node.quant.binary = binary;
    node.weights = Some(ArrayD::from_shape_vec(IxDyn(&shape), w).expect("shape"));
    let out = node.out_shape.channels;
    if r.below_usize(3) > 0 {
        node.bias = Some(Array1::from_shape_fn(out, |_| {
            r.range_i64(-128, 127) as f32
        }));
    }
    node.quant.weight_bits = Some(match bits {
        1 => WeightBits::B1,
        2 => WeightBits::B2,
        4 => WeightBits::B4,
        _ => WeightBits::B8,
    });
    node.quant.output_shift = Some(r.range_i64(-3, 3) as i32);
}

/// One random layer reading the input (and, for element-wise layers, a passthrough of it);
/// `None` when the drawn geometry has no output.
fn random_graph(r: &mut Rng) -> Option<Graph> {
    let c = 1 + r.below_usize(6);
    let kind = r.below_usize(6);
    let input = if kind == 1 {
        Shape::d1(c, 6 + r.below_usize(20))
    } else {
        Shape::d2(c, 4 + r.below_usize(12), 4 + r.below_usize(12))
    };
    let mut nodes = Vec::new();
    let mut sources = vec![Source::Input];
    let out = 1 + r.below_usize(13);
    let (op, in_shape, pool) = match kind {
        0 => {
            let k = pick(r, &[[1, 1], [3, 3], [2, 2], [3, 1]]);
            // A third of them depthwise (MAX78002): groups = input = output channels.
            let depthwise = r.below_usize(3) == 0;
            let mut conv = random_conv(r, if depthwise { c } else { out }, k);
            if depthwise {
                conv.groups = c;
            }
            (Op::Conv2d(conv), input, random_pool(r, false))
        }
        1 => {
            let k = 1 + r.below_usize(9);
            let mut conv = random_conv(r, out, [k, 1]);
            conv.stride[1] = 1;
            (Op::Conv1d(conv), input, random_pool(r, true))
        }
        2 => {
            let conv = Conv {
                out_channels: out,
                kernel: [3, 3],
                stride: [2, 2],
                pad: [1, 1],
                dilation: [1, 1],
                output_pad: 1,
                groups: 1,
            };
            (Op::ConvTranspose2d(conv), input, random_pool(r, false))
        }
        3 => (
            Op::Linear { out_features: out },
            input,
            random_pool(r, false),
        ),
        4 => (Op::Passthrough, input, random_pool(r, false)),
        _ => {
            let mut through = Node::new(Op::Passthrough, vec![Source::Input], input);
            infer_node(0, &mut through).expect("passthrough");
            nodes.push(through);
            sources = vec![Source::Input, Source::Node(0)];
            let k = pick(r, &[[1, 1], [3, 3]]);
            (
                Op::Conv2d(random_conv(r, out, k)),
                input,
                random_pool(r, false),
            )
        }
    };
    let mut node = Node::new(op, sources.clone(), in_shape);
    node.pool = pool;
    node.flatten = matches!(op, Op::Linear { .. });
    if sources.len() > 1 {
        node.eltwise = Some(Eltwise {
            op: pick(
                r,
                &[
                    EltwiseOp::Add,
                    EltwiseOp::Sub,
                    EltwiseOp::Or,
                    EltwiseOp::Xor,
                ],
            ),
            operands: 2,
            pool_first: r.below_usize(2) == 0,
        });
    }
    let wide = node.op.name() != "passthrough" && r.below_usize(5) == 0;
    node.activation = if wide {
        Activation::None
    } else {
        pick(r, &[Activation::None, Activation::Relu, Activation::Abs])
    };
    if wide {
        node.annex = Annex::new(Placement {
            output_width: OutputWidth::Bits32,
            ..Default::default()
        });
    }
    let index = nodes.len();
    infer_node(index, &mut node).ok()?;
    quantize_randomly(r, &mut node);
    nodes.push(node);
    Some(Graph::new("random", input, nodes))
}

#[test]
fn the_batch_path_equals_the_reference_on_random_layers() {
    let mut r = Rng::new(0x5eed_1234_abcd_ef01);
    let mut ran = 0;
    while ran < 400 {
        let Some(graph) = random_graph(&mut r) else {
            continue;
        };
        let Ok(prepared) = Prepared::new(&graph) else {
            panic!("random graph did not prepare: {graph:?}")
        };
        let (c, h, w) = (
            graph.input.channels,
            graph.input.dims.hw().0,
            graph.input.dims.hw().1,
        );
        let images: Vec<Array3<i64>> = (0..3)
            .map(|_| Array3::from_shape_fn((c, h, w), |_| r.range_i64(-128, 127)))
            .collect();
        let reference: Vec<_> = images
            .iter()
            .map(|x| prepared.run_reference(x, SimOptions::default(), false))
            .collect();
        // Layers whose geometry the reference rejects are rejected by the batch path too.
        let views: Vec<_> = images.iter().map(|x| x.view()).collect();
        let batch = prepared.run_batch(
            &stack(Axis(0), &views).expect("stack"),
            SimOptions::default(),
        );
        let (Ok(batch), true) = (&batch, reference.iter().all(|x| x.is_ok())) else {
            assert!(
                batch.is_err() && reference.iter().all(|x| x.is_err()),
                "{graph:?}"
            );
            continue;
        };
        for (b, refr) in reference.iter().enumerate() {
            let refr = refr.as_ref().expect("checked");
            for (layer, out) in refr.outputs.iter().enumerate() {
                assert_eq!(
                    &batch[layer].index_axis(Axis(0), b),
                    out,
                    "image {b}, layer {layer}: {:?}",
                    graph.nodes[layer]
                );
            }
        }
        let classified = prepared
            .classify_batch(&images, SimOptions::default())
            .expect("classify");
        for (x, y) in images.iter().zip(classified.outer_iter()) {
            let one = prepared.classify(x, SimOptions::default()).expect("one");
            assert_eq!(one.iter().copied().collect::<Vec<_>>(), y.to_vec());
        }
        ran += 1;
    }
}
