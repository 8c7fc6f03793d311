//! Trainable burn models from the IR: seeded initialisation, forward shapes against shape
//! inference, SGD lowering the loss, and parameters exported back into the graph's layout.

use burn::tensor::Tensor;
use ndarray::Array1;
use qtool::ir::{
    Activation, BatchNorm, Conv, Dims, Eltwise, EltwiseOp, Graph, Node, Op, Pool, PoolKind, Shape,
    Source,
};
use qtool::netdesc::ai8x::{InputSpec, build_graph, load, parse};
use qtool::train::{
    ModelOptions, Stepper, TrainError, TrainModel, default_device, images_tensor, labels_tensor,
};
use std::path::Path;

fn ai85net5() -> Graph {
    let desc = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("networks/ai85net5.yaml")).unwrap();
    let spec = InputSpec {
        channels: 1,
        dims: Dims::D2(28, 28),
    };
    build_graph(&desc, None, spec).unwrap().graph
}

/// conv 1→4 (3×3, pad 1, ReLU) on 8×8, max-pool 2 + conv 4→4 (ReLU), flatten + linear → 3.
fn tiny() -> Graph {
    let yaml = "arch: tiny\ndataset: t\nlayers:\n  - processors: 0x1\n    op: conv2d\n    out_channels: 4\n    pad: 1\n    activate: ReLU\n    out_offset: 0x1000\n  - processors: 0xf\n    op: conv2d\n    out_channels: 4\n    max_pool: 2\n    pool_stride: 2\n    pad: 1\n    activate: ReLU\n    out_offset: 0\n  - processors: 0xf\n    op: mlp\n    out_channels: 3\n    flatten: true\n    out_offset: 0x1000\n";
    let spec = InputSpec {
        channels: 1,
        dims: Dims::D2(8, 8),
    };
    build_graph(&parse(yaml, "tiny.yaml").unwrap(), None, spec)
        .unwrap()
        .graph
}

/// A deterministic batch of `n` images `c×h×w` with labels in `0..classes`.
fn batch(n: usize, [c, h, w]: [usize; 3], classes: usize) -> (Vec<f32>, Vec<usize>) {
    let mut s = 12345u32;
    let mut next = || {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
        ((s >> 8) & 0xffff) as f32 / 65536.0 - 0.5
    };
    let x = (0..n * c * h * w).map(|_| next()).collect();
    let y = (0..n).map(|i| i % classes).collect();
    (x, y)
}

fn input(graph: &Graph, n: usize) -> Tensor<4> {
    let (h, w) = graph.input.dims.hw();
    let (x, _) = batch(n, [graph.input.channels, h, w], 1);
    images_tensor(x, [n, graph.input.channels, h, w], &default_device())
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec_as::<f32>().unwrap()
}

fn exported(model: &TrainModel, graph: &Graph) -> Graph {
    let mut g = graph.clone();
    model.export_to_graph(&mut g).unwrap();
    g
}

#[test]
fn same_seed_gives_same_initial_weights() {
    let g = ai85net5();
    let dev = default_device();
    let opts = |seed| ModelOptions { seed, bias: true };
    let a = exported(&TrainModel::new(&g, &opts(7), &dev).unwrap(), &g);
    let b = exported(&TrainModel::new(&g, &opts(7), &dev).unwrap(), &g);
    let c = exported(&TrainModel::new(&g, &opts(8), &dev).unwrap(), &g);
    for ((na, nb), nc) in a.nodes.iter().zip(&b.nodes).zip(&c.nodes) {
        assert_eq!(na.weights, nb.weights);
        assert_eq!(na.bias, nb.bias);
        assert_ne!(na.weights, nc.weights);
    }
    // ai8x's He-normal initialisation of MAX78000 convolutions: std √(2/fan_out), fan_out =
    // 60·3·3 for the first layer (540 samples: within 15 % of 0.0609).
    let w0 = a.nodes[0].weights.as_ref().unwrap();
    let n = w0.len() as f32;
    let mean = w0.sum() / n;
    let std = (w0.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt();
    let expected = (2.0f32 / 540.0).sqrt();
    assert!(
        (std / expected - 1.0).abs() < 0.15,
        "std {std}, expected {expected}"
    );
    assert!(mean.abs() < 0.01, "mean {mean}");
}

#[test]
fn ai85net5_forward_matches_shape_inference() {
    let g = ai85net5();
    // ai8x's ai85net5: bias-free convolutions, a biased classifier (71,158 parameters). The
    // description's `bias` keys decide, whatever the options' default says.
    let mut g_with_bias = g.clone();
    let fc = g_with_bias.nodes.len() - 1;
    g_with_bias.nodes[fc].bias = Some(Array1::zeros(10));
    let model = TrainModel::new(
        &g,
        &ModelOptions {
            seed: 1,
            bias: true,
        },
        &default_device(),
    )
    .unwrap();
    let outs = model.forward_all(input(&g, 2)).unwrap();
    for (node, out) in g.nodes.iter().zip(&outs) {
        let (h, w) = node.out_shape.dims.hw();
        assert_eq!(out.dims(), [2, node.out_shape.channels, h, w]);
    }
    assert_eq!(model.forward(input(&g, 2)).unwrap().dims(), [2, 10]);
    assert_eq!(
        burn::module::Module::num_params(&model),
        g_with_bias.param_count()
    );
    assert_eq!(g_with_bias.param_count(), 71_158);
}

#[test]
fn sgd_lowers_the_loss_on_a_fixed_batch() {
    let g = tiny();
    let dev = default_device();
    let mut model = TrainModel::new(&g, &ModelOptions::default(), &dev).unwrap();
    let (x, y) = batch(8, [1, 8, 8], 3);
    let mut trainer = Stepper::sgd(0.9, &dev);
    let mut losses = Vec::new();
    for _ in 0..12 {
        let (m, stats) = trainer
            .step(
                model,
                images_tensor(x.clone(), [8, 1, 8, 8], &dev),
                labels_tensor(&y, &dev),
                0.5,
            )
            .unwrap();
        model = m;
        losses.push(stats.loss);
    }
    let last = trainer
        .loss(
            &model,
            images_tensor(x, [8, 1, 8, 8], &dev),
            labels_tensor(&y, &dev),
        )
        .unwrap();
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert!(losses[1] < losses[0], "{losses:?}");
    assert!(
        last < 0.8 * losses[0],
        "loss {} → {last} ({losses:?})",
        losses[0]
    );
}

#[test]
fn trained_weights_round_trip_through_the_graph() {
    let g = tiny();
    let dev = default_device();
    let model = TrainModel::new(&g, &ModelOptions::default(), &dev).unwrap();
    let (x, y) = batch(4, [1, 8, 8], 3);
    let mut trainer = Stepper::sgd(0.0, &dev);
    let (model, _) = trainer
        .step(
            model,
            images_tensor(x.clone(), [4, 1, 8, 8], &dev),
            labels_tensor(&y, &dev),
            0.05,
        )
        .unwrap();
    let g1 = exported(&model, &g);
    // Framework layout: Conv2d [out, in, kh, kw], Linear [out, in] (burn stores [in, out]).
    assert_eq!(g1.nodes[0].weights.as_ref().unwrap().shape(), [4, 1, 3, 3]);
    assert_eq!(g1.nodes[1].weights.as_ref().unwrap().shape(), [4, 4, 3, 3]);
    assert_eq!(g1.nodes[2].weights.as_ref().unwrap().shape(), [3, 64]);
    assert_eq!(g1.nodes[2].bias.as_ref().unwrap().len(), 3);
    let burn_linear = values(model.layers[2].linear.as_ref().unwrap().weight.val());
    let ir_linear = g1.nodes[2].weights.as_ref().unwrap();
    assert_eq!(ir_linear[[2, 5]], burn_linear[5 * 3 + 2]);

    // A model built from the exported graph (another seed: weights come from the graph) has
    // the same parameters and computes the same logits.
    let again = TrainModel::new(
        &g1,
        &ModelOptions {
            seed: 99,
            bias: false,
        },
        &dev,
    )
    .unwrap();
    let g2 = exported(&again, &g);
    for (a, b) in g1.nodes.iter().zip(&g2.nodes) {
        assert_eq!(a.weights, b.weights);
        assert_eq!(a.bias, b.bias);
    }
    let xs = || images_tensor(x.clone(), [4, 1, 8, 8], &dev);
    let (ya, yb) = (
        values(model.forward(xs()).unwrap()),
        values(again.forward(xs()).unwrap()),
    );
    assert_eq!(ya, yb);
}

fn conv(out_channels: usize, kernel: [usize; 2], pad: [usize; 2]) -> Conv {
    Conv {
        out_channels,
        kernel,
        stride: [1, 1],
        pad,
        dilation: [1, 1],
        output_pad: 0,
        groups: 1,
    }
}

fn graph(input: Shape, nodes: Vec<Node>) -> Graph {
    let mut g = Graph {
        arch: "t".into(),
        dataset: None,
        input,
        nodes,
        outputs: vec![],
        annex: Default::default(),
    };
    g.infer_shapes().unwrap();
    g
}

fn check_shapes(g: &Graph) -> Vec<Tensor<4>> {
    let model = TrainModel::new(g, &ModelOptions::default(), &default_device()).unwrap();
    let outs = model.forward_all(input(g, 3)).unwrap();
    for (i, (node, out)) in g.nodes.iter().zip(&outs).enumerate() {
        let (h, w) = node.out_shape.dims.hw();
        assert_eq!(
            out.dims(),
            [3, node.out_shape.channels, h, w],
            "layer {i} ({})",
            node.op.name()
        );
    }
    // And the exported weights have the IR's layout for every operator.
    let g1 = exported(&model, g);
    for (i, node) in g1.nodes.iter().enumerate() {
        assert_eq!(
            node.weights.as_ref().map(|w| w.shape().to_vec()),
            node.weight_shape(),
            "layer {i}"
        );
    }
    outs
}

#[test]
fn conv1d_convtranspose_eltwise_concat_batchnorm_follow_shape_inference() {
    // 1-D: conv1d 2→4 (k 3, pad 1) with max pool 2, then abs.
    let mut c1 = Node::new(
        Op::Conv1d(conv(4, [3, 1], [1, 0])),
        vec![Source::Input],
        Shape::d1(2, 16),
    );
    c1.pool = Some(Pool {
        kind: PoolKind::Max,
        size: [2, 1],
        stride: [2, 1],
        dilation: [1, 1],
    });
    c1.activation = Activation::Abs;
    let g = graph(Shape::d1(2, 16), vec![c1]);
    check_shapes(&g);

    // 2-D: conv → transposed conv (stride 2) → add(input pooled, conv) → concat → BN conv.
    let a = Node::new(
        Op::Conv2d(conv(3, [3, 3], [1, 1])),
        vec![Source::Input],
        Shape::d2(3, 8, 8),
    );
    let mut t = conv(3, [3, 3], [1, 1]);
    t.stride = [2, 2];
    t.output_pad = 1;
    let mut b = Node::new(
        Op::ConvTranspose2d(t),
        vec![Source::Node(0)],
        Shape::d2(3, 8, 8),
    );
    b.pool = Some(Pool {
        kind: PoolKind::Avg,
        size: [2, 2],
        stride: [2, 2],
        dilation: [1, 1],
    });
    let mut add = Node::new(
        Op::Eltwise(EltwiseOp::Add),
        vec![Source::Input, Source::Node(1)],
        Shape::d2(3, 8, 8),
    );
    add.eltwise = Some(Eltwise {
        op: EltwiseOp::Add,
        operands: 2,
        pool_first: true,
    });
    add.pool = Some(Pool {
        kind: PoolKind::Max,
        size: [2, 2],
        stride: [2, 2],
        dilation: [1, 1],
    });
    let mut cat = Node::new(
        Op::Conv2d(conv(5, [1, 1], [0, 0])),
        vec![Source::Node(0), Source::Node(1)],
        Shape::d2(6, 8, 8),
    );
    cat.batchnorm = Some(BatchNorm {
        gamma: None,
        beta: None,
        running_mean: Array1::zeros(5),
        running_var: Array1::ones(5),
        eps: 1e-5,
    });
    cat.activation = Activation::Relu;
    let g = graph(Shape::d2(3, 8, 8), vec![a, b, add, cat]);
    let outs = check_shapes(&g);
    // Pool-first add: max-pool(input) + max-pool(transposed conv output).
    assert_eq!(outs[2].dims(), [3, 3, 4, 4]);
}

#[test]
fn bitwise_ops_and_buffers_are_refused() {
    let mut xor = Node::new(
        Op::Eltwise(EltwiseOp::Xor),
        vec![Source::Input, Source::Input],
        Shape::d2(2, 4, 4),
    );
    xor.eltwise = Some(Eltwise {
        op: EltwiseOp::Xor,
        operands: 2,
        pool_first: true,
    });
    let g = graph(Shape::d2(2, 4, 4), vec![xor]);
    let e = TrainModel::new(&g, &ModelOptions::default(), &default_device()).unwrap_err();
    assert!(matches!(e, TrainError::Unsupported { layer: 0, .. }), "{e}");

    let mut g = graph(
        Shape::d2(2, 4, 4),
        vec![Node::new(
            Op::Passthrough,
            vec![Source::Input],
            Shape::d2(2, 4, 4),
        )],
    );
    g.nodes[0].inputs = vec![Source::Buffer("history".into())];
    let model = TrainModel::new(&g, &ModelOptions::default(), &default_device()).unwrap();
    assert!(model.forward(input(&g, 1)).is_err());
}
