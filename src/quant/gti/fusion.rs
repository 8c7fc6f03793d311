//! Gain editing of a whole graph (gti.md §3.3 b), after batch-norm folding: every chip
//! sub-layer's weights and bias are rescaled so that its calibrated cap becomes the chip's
//! full range (31; 1023/32 for a 10-bit last layer), the caps are set to it, and the first
//! host layer after the chip is compensated; residual pairs follow the graph (see
//! [`edit_gains`]). The float model computes the same function before and after (caps applied,
//! no rounding), up to float rounding. Idempotent: a fused graph's gains are all 1.

use super::activation::{CODES_5BIT, TEN_BIT_LAST_CAP};
use super::gain::{CapTarget, output_gain};
use crate::device::gti::chip_slot;
use crate::ir::{Activation, Graph, Op, Source, params::layer_key};
use ndarray::Array1;

/// The value of a chip node's largest code after fusion: 31, or 1023/32 for a 10-bit last
/// layer.
pub fn full_range(node: &crate::ir::Node) -> f32 {
    if chip_slot(node).is_some_and(|s| s.ten_bits) {
        TEN_BIT_LAST_CAP
    } else {
        CODES_5BIT
    }
}

/// What gain editing did: per chip layer with coefficients its old cap (NaN for a conv
/// feeding a residual addition) and weight gain, and the host layer that was compensated.
#[derive(Debug, Clone, PartialEq)]
pub struct GainReport {
    pub layers: Vec<(String, f32, f32)>,
    pub host: Option<(String, f32)>,
}

/// Edit the gains of `graph` (batch norm already folded). Each chip node's output gain is
/// `31 / cap` for a capped ReLU (1 once fused), its input's gain for a pooling node, and the
/// addition's for the conv that feeds a residual addition; a node's weights are multiplied by
/// its output gain over its input's, its bias by its output gain. Errors name a chip layer
/// without a calibrated cap, with batch norm left, or a residual addition whose shortcut is
/// scaled differently (caps not tied).
pub fn edit_gains(graph: &mut Graph) -> Result<GainReport, String> {
    let n = graph.nodes.len();
    let chip: Vec<usize> = (0..n)
        .filter(|&i| chip_slot(&graph.nodes[i]).is_some())
        .collect();
    // Output gains, from the caps; a conv without activation takes its consumer's.
    let mut out_gain: Vec<Option<f32>> = vec![None; n];
    let mut caps: Vec<Option<f32>> = vec![None; n];
    for &i in &chip {
        let node = &graph.nodes[i];
        let name = layer_key(graph, i);
        if node.batchnorm.is_some() {
            return Err(format!("layer `{name}`: batch norm is not folded"));
        }
        if node.activation == Activation::Relu {
            let cap = node.quant.act.and_then(|a| a.cap).ok_or_else(|| {
                format!(
                    "layer `{name}`: no calibrated ReLU cap (train with --quant-w --quant-act first)"
                )
            })?;
            caps[i] = Some(cap);
            out_gain[i] = Some(output_gain(CapTarget {
                cap,
                target: full_range(node),
            }));
        }
    }
    let gain_of = |g: &[Option<f32>], src: &Source| match src {
        Source::Node(j) => g[*j].unwrap_or(1.0),
        _ => 1.0,
    };
    for &i in chip.iter().rev() {
        let node = &graph.nodes[i];
        if out_gain[i].is_none() && node.op.has_weights() {
            out_gain[i] = (i + 1..n)
                .find(|&k| graph.nodes[k].inputs.first() == Some(&Source::Node(i)))
                .and_then(|k| out_gain[k]);
        }
    }
    for &i in &chip {
        if out_gain[i].is_none() {
            out_gain[i] = Some(gain_of(&out_gain, &graph.nodes[i].inputs[0]));
        }
    }
    let mut report = GainReport {
        layers: Vec::new(),
        host: None,
    };
    for &i in &chip {
        let name = layer_key(graph, i);
        let out = out_gain[i].unwrap_or(1.0);
        let input = gain_of(&out_gain, &graph.nodes[i].inputs[0]);
        if let Some(second) = graph.nodes[i].inputs.get(1) {
            let shortcut = gain_of(&out_gain, second);
            if (shortcut - out).abs() > 1e-6 * out.abs().max(1.0) {
                return Err(format!(
                    "layer `{name}`: the residual shortcut is scaled by {shortcut}, the sum by \
                     {out} (its cap and the shortcut's must be one; recalibrate)"
                ));
            }
        }
        let node = &mut graph.nodes[i];
        let target = full_range(node);
        if let Some(act) = node.quant.act.as_mut().filter(|_| caps[i].is_some()) {
            act.cap = Some(target);
        }
        let Some(w) = node.weights.as_mut() else {
            continue;
        };
        let weight_gain = out / input;
        w.mapv_inplace(|v| v * weight_gain);
        let channels = node.out_shape.channels;
        let bias = node.bias.take().unwrap_or_else(|| Array1::zeros(channels));
        node.bias = Some(bias.mapv(|v| v * out));
        report
            .layers
            .push((name, caps[i].unwrap_or(f32::NAN), weight_gain));
    }
    let last_chip = chip.last().copied();
    let host = last_chip
        .and_then(|l| (l + 1..n).find(|&i| matches!(graph.nodes[i].op, Op::Linear { .. })));
    if let (Some(h), Some(l)) = (host, last_chip) {
        let k = 1.0 / out_gain[l].unwrap_or(1.0);
        if let Some(w) = graph.nodes[h].weights.as_mut() {
            w.mapv_inplace(|v| v * k);
        }
        report.host = Some((layer_key(graph, h), k));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::gti::{ChipSlot, MaskBits};
    use crate::fuse::fold_batchnorm;
    use crate::ir::{ActQuant, Activation, Annex, BatchNorm, Conv, Node, Shape, Source};
    use ndarray::{ArrayD, IxDyn, array};

    fn conv(i: usize, cin: usize, cout: usize, w: Vec<f32>, cap: f32) -> Node {
        let src = if i == 0 {
            Source::Input
        } else {
            Source::Node(i - 1)
        };
        let mut n = Node::new(
            Op::Conv2d(Conv::plain(cout, [1, 1])),
            vec![src],
            Shape::d2(cin, 1, 1),
        );
        n.out_shape = Shape::d2(cout, 1, 1);
        n.pooled_shape = n.in_shape;
        n.weights = Some(ArrayD::from_shape_vec(IxDyn(&[cout, cin, 1, 1]), w).unwrap());
        n.activation = Activation::Relu;
        n.quant.act = Some(ActQuant {
            bits: 5,
            cap: Some(cap),
        });
        n.annex = Annex::new(ChipSlot {
            major: 0,
            sub: i,
            mask: MaskBits::new(12).unwrap(),
            residual_add: false,
            ten_bits: false,
        });
        n
    }

    /// gti.md §5 vector 18, with the layers' output through the caps (no rounding).
    fn vector_18() -> Graph {
        let mut a = conv(0, 1, 2, vec![0.5, -0.25], 12.0);
        a.batchnorm = Some(BatchNorm {
            gamma: Some(array![2.0, 0.5]),
            beta: Some(array![0.1, -0.2]),
            running_mean: array![0.3, 0.1],
            running_var: array![0.04, 0.25],
            eps: 0.0,
        });
        let mut b = conv(1, 2, 1, vec![0.2, -0.1], 4.0);
        b.bias = Some(array![0.05]);
        let mut fc = Node::new(
            Op::Linear { out_features: 1 },
            vec![Source::Node(1)],
            Shape::d2(1, 1, 1),
        );
        fc.weights = Some(ArrayD::from_shape_vec(IxDyn(&[1, 1]), vec![1.5]).unwrap());
        fc.bias = Some(array![0.2]);
        fc.flatten = true;
        Graph::new("v18", Shape::d2(1, 1, 1), vec![a, b, fc])
    }

    /// The float model with caps: conv, (bias), clip to [0, cap], then the FC.
    fn forward(g: &Graph, x: f32) -> f32 {
        let mut v = vec![x];
        for n in &g.nodes {
            let w = n.weights.as_ref().unwrap();
            let out = w.shape()[0];
            let mut y: Vec<f32> = (0..out)
                .map(|o| {
                    let s: f32 = v
                        .iter()
                        .enumerate()
                        .map(|(i, x)| w.as_slice().unwrap()[o * v.len() + i] * x)
                        .sum();
                    s + n.bias.as_ref().map_or(0.0, |b| b[o])
                })
                .collect();
            if let Some(cap) = n.quant.act.and_then(|a| a.cap) {
                y.iter_mut().for_each(|t| *t = t.clamp(0.0, cap));
            }
            v = y;
        }
        v[0]
    }

    #[test]
    fn vector_18_fusion_keeps_the_function() {
        let mut g = vector_18();
        let mut bn = g.clone();
        fold_batchnorm(&mut bn).unwrap();
        let before = forward(&bn, 10.0);
        assert!((before - 3.875).abs() < 1e-5, "{before}");
        fold_batchnorm(&mut g).unwrap();
        let r = edit_gains(&mut g).unwrap();
        let w = |i: usize| {
            g.nodes[i]
                .weights
                .as_ref()
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<f32>>()
        };
        let close = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 1e-5 * y.abs().max(1.0))
        };
        assert!(close(&w(0), &[12.916667, -0.6458333]), "{:?}", w(0));
        assert!(close(
            g.nodes[0].bias.as_ref().unwrap().as_slice().unwrap(),
            &[-7.491_667, -0.775]
        ));
        assert!(close(&w(1), &[0.6, -0.3]), "{:?}", w(1));
        assert!(close(
            g.nodes[1].bias.as_ref().unwrap().as_slice().unwrap(),
            &[0.3875]
        ));
        assert!(close(&w(2), &[0.193_548_4]), "{:?}", w(2));
        assert_eq!(r.host.as_ref().map(|h| h.0.as_str()), Some("layer2"));
        for x in [0.0, 3.0, 10.0, 31.0] {
            let (a, b) = (forward(&bn, x), forward(&g, x));
            assert!(
                (a - b).abs() <= 1e-5 * a.abs().max(1.0),
                "input {x}: {a} vs {b}"
            );
        }
        // Fusing again changes nothing.
        let again = g.clone();
        edit_gains(&mut g).unwrap();
        assert_eq!(g.nodes[0].weights, again.nodes[0].weights);
        assert_eq!(g.nodes[2].weights, again.nodes[2].weights);
    }

    #[test]
    fn refuses_missing_caps_and_unfolded_batch_norm() {
        let mut g = vector_18();
        assert!(edit_gains(&mut g).unwrap_err().contains("not folded"));
        let mut g = vector_18();
        g.nodes[0].batchnorm = None;
        g.nodes[1].quant.act = None;
        assert!(
            edit_gains(&mut g)
                .unwrap_err()
                .contains("no calibrated ReLU cap")
        );
    }
}
