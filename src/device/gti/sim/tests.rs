//! The engine against a direct transcription of gti.md §2.8 (loops over every output,
//! i64 sums, the chip's rounding through floats), on random networks covering 3×3 and 1×1
//! kernels, depthwise sub-layers, max and sample pooling and host FC layers.

use super::*;
use crate::data::rng::Rng;
use crate::device::gti::graph::build;
use crate::device::gti::{Chip, chip_slot};
use crate::ir::{Node, Op};
use crate::netdesc::gti::{ChipExtras, ChipNetwork, FullModel, GtiJson};
use crate::quant::gti::chip_round;
use ndarray::{Array1, ArrayD, IxDyn};

fn network(sampling: u8) -> ChipNetwork {
    ChipNetwork::from_json(&format!(
        r#"{{"layer": [
        {{"major_layer": 1, "image_size": 12, "input_channels": 3, "output_channels": 16,
         "sublayer_number": 2, "coef_bits": 12, "pooling": true}},
        {{"major_layer": 2, "image_size": 6, "input_channels": 16, "output_channels": 32,
         "sublayer_number": 3, "coef_bits": 5, "pooling": true, "depth_enable": true,
         "one_coef": [0, 1, 1]}}],
        "model": [{{"ChipType": 2803, "SamplingMethod": {sampling}}}]}}"#
    ))
    .unwrap()
}

/// Residual pairs: one at the start of a major layer after max pooling, one in the middle,
/// one reading the previous pair's sum.
fn residual_network() -> ChipNetwork {
    ChipNetwork::from_json(
        r#"{"layer": [
        {"major_layer": 1, "image_size": 12, "input_channels": 3, "output_channels": 16,
         "sublayer_number": 3, "coef_bits": 12, "pooling": true,
         "resnet_shortcut_start_layers": [2]},
        {"major_layer": 2, "image_size": 6, "input_channels": 16, "output_channels": 16,
         "sublayer_number": 4, "coef_bits": 5, "pooling": true,
         "resnet_shortcut_start_layers": [1, 3]}],
        "model": [{"ChipType": 2803, "SamplingMethod": 0}]}"#,
    )
    .unwrap()
}

const HOST: &str = r#"{"name": "t", "layer": [
  {"operation": "IMAGEREADER"},
  {"operation": "FC", "name": "fc1", "activation": "relu", "output channels": 8},
  {"operation": "FC", "name": "fc2", "output channels": 4}]}"#;

/// A quantized graph with random integer coefficients and shifts.
fn quantized(sampling: u8, seed: u64) -> Graph {
    random_coefficients(&network(sampling), seed)
}

fn random_coefficients(net: &ChipNetwork, seed: u64) -> Graph {
    let host = FullModel::from_json(HOST).unwrap();
    let extras = ChipExtras {
        batch_norm: Some(false),
        ..ChipExtras::default()
    };
    let mut g = build(net, Chip::C2803, &extras, Some(&host), "t").unwrap();
    let mut rng = Rng::new(seed);
    for n in &mut g.nodes {
        let Some(shape) = n.weight_shape() else {
            continue;
        };
        let count: usize = shape.iter().product();
        let out = n.out_shape.channels;
        if chip_slot(n).is_some() {
            let w = (0..count)
                .map(|_| rng.range_i64(-300, 300) as f32)
                .collect();
            n.weights = Some(ArrayD::from_shape_vec(IxDyn(&shape), w).unwrap());
            n.bias = Some(
                (0..out)
                    .map(|_| rng.range_i64(-3000, 9000) as f32)
                    .collect(),
            );
            n.quant.output_shift = Some(rng.range_i64(0, 12) as i32);
        } else {
            let w = (0..count)
                .map(|_| rng.range_i64(-50, 50) as f32 / 64.0)
                .collect();
            n.weights = Some(ArrayD::from_shape_vec(IxDyn(&shape), w).unwrap());
            n.bias = Some(Array1::from_elem(out, 0.25));
        }
    }
    g
}

/// Every chip node of `g` on `x` by the book (a residual pair's second conv as its
/// accumulators).
fn reference(g: &Graph, x: &Array3<i64>) -> Vec<Array3<i64>> {
    let mut outs: Vec<Array3<i64>> = Vec::new();
    for n in g
        .nodes
        .iter()
        .take_while(|n| !matches!(n.op, Op::Linear { .. }))
    {
        let operand = |k: usize| match &n.inputs[k] {
            crate::ir::Source::Node(j) => outs[*j].clone(),
            _ => x.clone(),
        };
        let y = if n.eltwise.is_some() {
            let shift = match &n.inputs[0] {
                crate::ir::Source::Node(j) => g.nodes[*j].quant.output_shift.unwrap(),
                _ => 0,
            };
            let (acc, short) = (operand(0), operand(1));
            Array3::from_shape_fn(acc.dim(), |i| {
                let v = (acc[i] + short[i] * (1 << shift)) as f64 / f64::from(1u32 << shift);
                (chip_round(v as f32) as i64).clamp(0, 31)
            })
        } else {
            reference_node(n, &operand(0))
        };
        outs.push(y);
    }
    outs
}

/// One chip node by the book.
fn reference_node(n: &Node, x: &Array3<i64>) -> Array3<i64> {
    let x = match n.pool {
        Some(_) => {
            let (c, h, w) = x.dim();
            Array3::from_shape_fn((c, h / 2, w / 2), |(ch, i, j)| {
                (0..2)
                    .flat_map(|u| (0..2).map(move |v| (u, v)))
                    .map(|(u, v)| x[[ch, 2 * i + u, 2 * j + v]])
                    .max()
                    .unwrap()
            })
        }
        None => x.clone(),
    };
    let Op::Conv2d(c) = n.op else {
        return x;
    };
    let w = n.weights.as_ref().unwrap();
    let b = n.bias.as_ref().unwrap();
    let s = n.quant.output_shift.unwrap();
    let (cin, h, wd) = x.dim();
    let (k, pad, stride) = (c.kernel[0], c.pad[0] as i64, c.stride[0]);
    let per = cin / c.groups;
    let (ho, wo) = (
        (h + 2 * pad as usize - k) / stride + 1,
        (wd + 2 * pad as usize - k) / stride + 1,
    );
    Array3::from_shape_fn((c.out_channels, ho, wo), |(o, i, j)| {
        let group = o / (c.out_channels / c.groups);
        let mut acc = b[o] as i64;
        for ci in 0..per {
            for u in 0..k {
                for v in 0..k {
                    let y = (i * stride + u) as i64 - pad;
                    let z = (j * stride + v) as i64 - pad;
                    if y < 0 || z < 0 || y >= h as i64 || z >= wd as i64 {
                        continue;
                    }
                    let xv = x[[group * per + ci, y as usize, z as usize]];
                    acc += w[[o, ci, u, v]] as i64 * xv;
                }
            }
        }
        if n.activation == crate::ir::Activation::None {
            return acc;
        }
        if chip_slot(n).is_some_and(|s| s.ten_bits) {
            let v = chip_round(32.0 * acc as f32 / (1u64 << s) as f32) as i64;
            return v.clamp(0, 1023);
        }
        let v = chip_round(acc as f32 / (1u64 << s) as f32) as i64;
        v.clamp(0, 31)
    })
}

#[test]
fn residual_pairs_match_the_formula() {
    let net = residual_network();
    for seed in [11, 12, 13] {
        let mut g = random_coefficients(&net, seed);
        // Small coefficients so that sums stay in range and the additions matter.
        for n in &mut g.nodes {
            let on_chip = chip_slot(n).is_some();
            if let Some(w) = n.weights.as_mut().filter(|_| on_chip) {
                w.mapv_inplace(|v| (v / 8.0).round());
            }
        }
        let kinds: Vec<&str> = g.nodes.iter().map(|n| n.op.name()).collect();
        assert_eq!(
            kinds,
            [
                "conv2d",
                "conv2d",
                "conv2d",
                "passthrough",
                "passthrough",
                "conv2d",
                "conv2d",
                "passthrough",
                "conv2d",
                "conv2d",
                "passthrough",
                "linear",
                "linear"
            ]
        );
        let engine = GtiEngine::new(&g).unwrap();
        let mut rng = Rng::new(seed);
        let x = Array3::from_shape_fn((3, 12, 12), |_| rng.range_i64(0, 31));
        let expected = reference(&g, &x);
        let run = engine.run(&x, SimOptions::default(), false).unwrap();
        for (k, (a, b)) in run.outputs.iter().zip(&expected).enumerate() {
            assert_eq!(a, b, "seed {seed}, node {k}");
        }
        assert!(
            expected[10].iter().any(|v| *v > 0 && *v < 31),
            "seed {seed}"
        );
        let traced = engine.run(&x, SimOptions::default(), true).unwrap();
        assert_eq!(traced.outputs, run.outputs);
    }
}

#[test]
fn engine_matches_the_formula() {
    for (sampling, seed) in [(0, 1), (1, 2), (0, 3), (1, 4)] {
        let g = quantized(sampling, seed);
        let engine = GtiEngine::new(&g).unwrap();
        let mut rng = Rng::new(seed + 100);
        let inputs: Vec<Array3<i64>> = (0..3)
            .map(|_| Array3::from_shape_fn((3, 12, 12), |_| rng.range_i64(0, 31)))
            .collect();
        let batch = engine
            .classify_batch(&inputs, SimOptions::default())
            .unwrap();
        for (b, x) in inputs.iter().enumerate() {
            let run = engine.run(x, SimOptions::default(), false).unwrap();
            let mut y = x.clone();
            let chip_nodes = g.nodes.iter().filter(|n| chip_slot(n).is_some());
            for (k, n) in chip_nodes.enumerate() {
                y = reference_node(n, &y);
                assert_eq!(run.outputs[k], y, "sampling {sampling}, node {k}");
            }
            let pooled = reference_node(&g.nodes[5], &y);
            let last = run.outputs.last().unwrap();
            assert_eq!(last, &pooled, "the chip's last pooling");
            let row: Vec<i64> = batch.row(b).to_vec();
            assert_eq!(row, pooled.iter().copied().collect::<Vec<_>>());
            assert!(pooled.iter().any(|v| *v > 0) || sampling == 1);
        }
        let traced = engine.run(&inputs[0], SimOptions::default(), true).unwrap();
        let plain = engine
            .run(&inputs[0], SimOptions::default(), false)
            .unwrap();
        assert_eq!(traced.outputs, plain.outputs);
        assert_eq!(traced.traces.len(), plain.outputs.len());
        for t in &traced.traces {
            if let Some(acc) = &t.acc {
                assert_eq!(acc.dim(), t.output.dim());
                assert!(
                    acc.iter()
                        .zip(&t.output)
                        .all(|(a, o)| (*a <= 0) == (*o == 0) || *o == 0)
                );
            }
        }
        let scores = engine.scores_batch(&inputs, SimOptions::default()).unwrap();
        assert_eq!(scores.dim(), (3, 4));
    }
}

#[test]
fn refuses_bad_inputs_and_unquantized_layers() {
    let g = quantized(0, 9);
    let engine = GtiEngine::new(&g).unwrap();
    let bad = Array3::from_elem((3, 12, 12), 32);
    let e = engine.run(&bad, SimOptions::default(), false).unwrap_err();
    assert!(e.to_string().contains("5-bit code"), "{e}");
    let small = Array3::zeros((3, 10, 12));
    assert!(engine.run(&small, SimOptions::default(), false).is_err());
    let mut g = quantized(0, 9);
    g.nodes[0].quant.output_shift = None;
    let e = GtiEngine::new(&g).unwrap_err();
    assert!(e.to_string().contains("no shift"), "{e}");
    let mut g = quantized(0, 9);
    g.nodes[1].weights.as_mut().unwrap()[[0, 0, 0, 0]] = 0.5;
    let e = GtiEngine::new(&g).unwrap_err();
    assert!(e.to_string().contains("not an integer"), "{e}");
}

#[test]
fn ten_bit_last_layer_matches_the_formula() {
    let net = ChipNetwork::from_json(
        r#"{"layer": [
        {"major_layer": 1, "image_size": 12, "input_channels": 3, "output_channels": 16,
         "sublayer_number": 2, "coef_bits": 12, "pooling": true},
        {"major_layer": 2, "image_size": 6, "input_channels": 16, "output_channels": 16,
         "sublayer_number": 1, "coef_bits": 12, "ten_bits_enable": true, "pooling": true}],
        "model": [{"ChipType": 2803, "SamplingMethod": 0}]}"#,
    )
    .unwrap();
    let mut g = random_coefficients(&net, 21);
    for n in &mut g.nodes {
        let on_chip = chip_slot(n).is_some();
        if let Some(w) = n.weights.as_mut().filter(|_| on_chip) {
            w.mapv_inplace(|v| (v / 8.0).round());
        }
    }
    assert!(chip_slot(&g.nodes[2]).unwrap().ten_bits);
    let engine = GtiEngine::new(&g).unwrap();
    let mut rng = Rng::new(21);
    let x = Array3::from_shape_fn((3, 12, 12), |_| rng.range_i64(0, 31));
    let expected = reference(&g, &x);
    let run = engine.run(&x, SimOptions::default(), false).unwrap();
    assert_eq!(run.outputs[..3], expected[..3]);
    assert!(expected[2].iter().any(|v| *v > 31 && *v < 1023));
    // The host reads the pooled 10-bit codes as code / 32.
    let pooled = reference_node(&g.nodes[3], &expected[2]);
    let mut v: Vec<f32> = pooled.iter().map(|c| *c as f32 / 32.0).collect();
    for n in &g.nodes[3..] {
        let w = n.weights.as_ref().unwrap();
        let b = n.bias.as_ref().unwrap();
        let out = b.len();
        v = (0..out)
            .map(|o| {
                let s: f32 = (0..v.len()).map(|i| w[[o, i]] * v[i]).sum::<f32>() + b[o];
                if n.activation == crate::ir::Activation::Relu {
                    s.max(0.0)
                } else {
                    s
                }
            })
            .collect();
    }
    let scores = engine.scores_batch(&[x], SimOptions::default()).unwrap();
    for (a, b) in scores.iter().zip(&v) {
        assert!(
            (*a as f32 - b).abs() <= 1e-4 * b.abs().max(1.0),
            "{scores:?} vs {v:?}"
        );
    }
}
