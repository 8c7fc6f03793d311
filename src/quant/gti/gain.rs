//! Cap fusion, "gain editing" (gti.md §3.3 b): after batch-norm folding (`crate::fuse`),
//! every on-chip layer is rescaled so that its cap becomes the chip's full range — output
//! gain `g_i = target_i / cap_i`, weights × `g_i / g_(i−1)`, bias × `g_i` — and the first
//! off-chip layer's weights are divided by the last layer's gain.

/// Within this of its target, a cap counts as already fused (gain 1).
const FUSED: f32 = 1e-4;

/// One on-chip layer's calibrated cap and the maximum its output is rescaled to (31; 1023
/// with all layers at 10 bits; 1023/32 for a 10-bit last layer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapTarget {
    pub cap: f32,
    pub target: f32,
}

/// Factors one layer's parameters are multiplied by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gains {
    pub weight: f32,
    pub bias: f32,
}

/// The output gain of a layer: `target / cap`, or 1 when the cap already is the target.
pub fn output_gain(l: CapTarget) -> f32 {
    if (l.cap - l.target).abs() < FUSED {
        1.0
    } else {
        l.target / l.cap
    }
}

/// Gains of the on-chip layers in network order; `input_gain` is the factor already on the
/// network input (1 for 5-bit inputs in [0, 31]).
pub fn gains(layers: &[CapTarget], input_gain: f32) -> Vec<Gains> {
    let mut previous = input_gain;
    layers
        .iter()
        .map(|&l| {
            let g = output_gain(l);
            let gains = Gains {
                weight: g / previous,
                bias: g,
            };
            previous = g;
            gains
        })
        .collect()
}

/// What the first off-chip layer's weights are multiplied by: `1 / g_last` (its bias stays).
pub fn host_compensation(last: CapTarget) -> f32 {
    1.0 / output_gain(last)
}

#[cfg(test)]
mod tests {
    use super::super::activation::{CODES_5BIT, TEN_BIT_LAST_CAP};
    use super::*;
    use crate::fuse::fold_batchnorm;
    use crate::ir::{BatchNorm, Conv, Graph, Node, Op, Shape, Source, infer_node};
    use crate::quant::gti::assert_close as close;
    use ndarray::{ArrayD, IxDyn, arr1};

    /// gti.md §5 vector 18: batch-norm folding, gain editing and FC compensation, checked on
    /// one input pixel through the float and the fused network.
    #[test]
    fn vector_18_fold_gain_and_compensation() {
        let mut a = Node::new(
            Op::Conv2d(Conv::plain(2, [1, 1])),
            vec![Source::Input],
            Shape::d2(1, 1, 1),
        );
        infer_node(0, &mut a).unwrap();
        a.weights = Some(ArrayD::from_shape_vec(IxDyn(&[2, 1, 1, 1]), vec![0.5, -0.25]).unwrap());
        a.batchnorm = Some(BatchNorm {
            gamma: Some(arr1(&[2.0, 0.5])),
            beta: Some(arr1(&[0.1, -0.2])),
            running_mean: arr1(&[0.3, 0.1]),
            running_var: arr1(&[0.04, 0.25]),
            eps: 0.0,
        });
        let mut graph = Graph::new("v18", Shape::d2(1, 1, 1), vec![a]);
        assert_eq!(fold_batchnorm(&mut graph).unwrap(), 1);
        let node = &graph.nodes[0];
        let w: Vec<f32> = node.weights.as_ref().unwrap().iter().copied().collect();
        let b: Vec<f32> = node.bias.as_ref().unwrap().to_vec();
        close(&w, &[5.0, -0.25]);
        close(&b, &[-2.9, -0.3]);

        let caps = [
            CapTarget {
                cap: 12.0,
                target: CODES_5BIT,
            },
            CapTarget {
                cap: 4.0,
                target: CODES_5BIT,
            },
        ];
        let g = gains(&caps, 1.0);
        let scale = |v: &[f32], k: f32| v.iter().map(|x| x * k).collect::<Vec<_>>();
        let (wa, ba) = (scale(&w, g[0].weight), scale(&b, g[0].bias));
        close(&wa, &[12.916667, -0.6458333]);
        close(&ba, &[-7.4916667, -0.775]);
        let (wb, bb) = (scale(&[0.2, -0.1], g[1].weight), 0.05 * g[1].bias);
        close(&wb, &[0.6, -0.3]);
        close(&[bb], &[0.3875]);
        let fc_w = 1.5 * host_compensation(caps[1]);
        close(&[fc_w], &[0.19354839]);

        // Pixel code 10 through both networks (caps, no rounding): the same FC output.
        let relu_cap = |x: f32, cap: f32| x.clamp(0.0, cap);
        let layer_b = |a: [f32; 2], w: &[f32], bias: f32| a[0] * w[0] + a[1] * w[1] + bias;
        let float_a = [0, 1].map(|o| relu_cap(10.0 * w[o] + b[o], 12.0));
        let float = 1.5 * relu_cap(layer_b(float_a, &[0.2, -0.1], 0.05), 4.0) + 0.2;
        let fused_a = [0, 1].map(|o| relu_cap(10.0 * wa[o] + ba[o], 31.0));
        let fused = fc_w * relu_cap(layer_b(fused_a, &wb, bb), 31.0) + 0.2;
        close(&[float, fused], &[3.875, 3.875]);
    }

    /// gti.md §5 vector 19: a 10-bit last layer's gains.
    #[test]
    fn vector_19_ten_bit_last_layer() {
        let caps = [
            CapTarget {
                cap: 4.0,
                target: CODES_5BIT,
            },
            CapTarget {
                cap: 8.0,
                target: TEN_BIT_LAST_CAP,
            },
        ];
        let g = gains(&caps, 1.0);
        close(&[g[1].bias, g[1].weight], &[3.99609375, 0.515625]);
        // Already fused: gain 1.
        let fused = CapTarget {
            cap: TEN_BIT_LAST_CAP,
            target: TEN_BIT_LAST_CAP,
        };
        assert_eq!(
            gains(&[fused], 1.0)[0],
            Gains {
                weight: 1.0,
                bias: 1.0
            }
        );
    }
}
