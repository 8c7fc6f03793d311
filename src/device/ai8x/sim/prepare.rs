//! Turning IR nodes into ready-to-run integer layers: weights to i32 correlation layout,
//! bias to `128·β`, total shift, output width, weights packed for the shared batch engine.
//! Done once per graph, reused for every image.

use super::SimError;
use super::conv::{Kernel, Padding};
use crate::device::ai8x::{OutputWidth, Placement};
use crate::ir::{Activation, Node, Op};
use crate::sim::gemm::{Geometry, PackedWeights};
use ndarray::ArrayD;

/// The multiply-accumulate stage of a layer.
#[derive(Debug, Clone)]
pub enum Mac {
    /// Correlation (Conv2d, Conv1d as `k × 1`, Linear as `1 × 1`).
    Correlate {
        kernel: Kernel,
        pad: Padding,
        stride: [usize; 2],
        dilation: [usize; 2],
    },
    /// Transposed convolution: zero-stuff by `stride`, pad, correlate with the flipped kernel.
    Transposed {
        kernel: Kernel,
        pad: Padding,
        stride: [usize; 2],
    },
}

impl Mac {
    /// The correlation's integer weights.
    pub fn kernel(&self) -> &Kernel {
        match self {
            Mac::Correlate { kernel, .. } | Mac::Transposed { kernel, .. } => kernel,
        }
    }

    /// The correlation the shared engine runs (after zero-stuffing, for a transposed one).
    pub fn geometry(&self) -> Geometry {
        let (k, pad, stride, dilation) = match self {
            Mac::Correlate {
                kernel,
                pad,
                stride,
                dilation,
            } => (kernel, pad, *stride, *dilation),
            Mac::Transposed { kernel, pad, .. } => (kernel, pad, [1, 1], [1, 1]),
        };
        Geometry {
            kh: k.kh,
            kw: k.kw,
            pad_before: pad.before,
            pad_after: pad.after,
            stride,
            dilation,
        }
    }
}

/// One layer ready to run.
#[derive(Debug, Clone)]
pub struct PreparedLayer {
    pub mac: Option<Mac>,
    /// The same weights packed for the shared batch engine.
    pub packed: Option<PackedWeights>,
    /// `128·β` per output channel.
    pub bias: Option<Vec<i64>>,
    pub total_shift: i32,
    pub wide: bool,
}

fn integer_weights(index: usize, node: &Node) -> Result<(Vec<usize>, Vec<i32>), SimError> {
    let w: &ArrayD<f32> = node.weights.as_ref().ok_or_else(|| {
        SimError::layer(
            index,
            format!(
                "{} has no weights; pass a quantized checkpoint",
                node.op.name()
            ),
        )
    })?;
    let expected = node.weight_shape().unwrap_or_default();
    if w.shape() != expected.as_slice() {
        return Err(SimError::layer(
            index,
            format!(
                "weights have shape {:?}, the layer needs {expected:?}",
                w.shape()
            ),
        ));
    }
    let values = w
        .iter()
        .map(|v| {
            if v.fract() == 0.0 && v.abs() <= 128.0 {
                Ok(*v as i32)
            } else {
                Err(SimError::layer(
                    index,
                    format!("weight {v} is not an 8-bit integer; quantize the checkpoint first"),
                ))
            }
        })
        .collect::<Result<Vec<i32>, _>>()?;
    Ok((expected, values))
}

/// A grouped kernel (`[out][in/groups][kh][kw]`) as a dense one over all input channels, zero
/// where an input channel is outside the output channel's group: output channel `o` of group
/// `o / (out/groups)` reads only that group's inputs (depthwise: only input channel `o`). Both
/// the image-by-image and the batched correlation then run it unchanged.
pub fn ungrouped(k: Kernel, groups: usize) -> Kernel {
    if groups <= 1 || !k.out.is_multiple_of(groups) {
        return k;
    }
    let taps = k.kh * k.kw;
    let (per_group_out, inp) = (k.out / groups, k.inp * groups);
    let mut w = vec![0i32; k.out * inp * taps];
    for (o, row) in k.w.chunks(k.inp * taps).enumerate().take(k.out) {
        let first = (o / per_group_out) * k.inp;
        let at = (o * inp + first) * taps;
        w[at..at + row.len()].copy_from_slice(row);
    }
    Kernel { inp, w, ..k }
}

pub fn prepare(index: usize, node: &Node) -> Result<PreparedLayer, SimError> {
    let mac = match node.op {
        Op::Conv2d(c) | Op::Conv1d(c) => {
            let (s, w) = integer_weights(index, node)?;
            let (kh, kw) = if s.len() == 4 {
                (s[2], s[3])
            } else {
                (s[2], 1)
            };
            let kernel = ungrouped(
                Kernel {
                    out: s[0],
                    inp: s[1],
                    kh,
                    kw,
                    w,
                },
                c.groups,
            );
            let one_d = matches!(node.op, Op::Conv1d(_));
            let pad = if one_d { [c.pad[0], 0] } else { c.pad };
            let stride = if one_d { [c.stride[0], 1] } else { c.stride };
            let dilation = if one_d {
                [c.dilation[0], 1]
            } else {
                c.dilation
            };
            Some(Mac::Correlate {
                kernel,
                pad: Padding {
                    before: pad,
                    after: pad,
                },
                stride,
                dilation,
            })
        }
        Op::Linear { .. } => {
            let (s, w) = integer_weights(index, node)?;
            let kernel = Kernel {
                out: s[0],
                inp: s[1],
                kh: 1,
                kw: 1,
                w,
            };
            Some(Mac::Correlate {
                kernel,
                pad: Padding {
                    before: [0, 0],
                    after: [0, 0],
                },
                stride: [1, 1],
                dilation: [1, 1],
            })
        }
        Op::ConvTranspose2d(c) => {
            let (s, w) = integer_weights(index, node)?;
            let (inp, out, kh, kw) = (s[0], s[1], s[2], s[3]);
            // PyTorch [in][out][u][v] → correlation [out][in][kh−1−u][kw−1−v].
            let mut flipped = vec![0i32; w.len()];
            for c_in in 0..inp {
                for o in 0..out {
                    for u in 0..kh {
                        for v in 0..kw {
                            flipped[((o * inp + c_in) * kh + (kh - 1 - u)) * kw + (kw - 1 - v)] =
                                w[((c_in * out + o) * kh + u) * kw + v];
                        }
                    }
                }
            }
            let edge = |i: usize, k: usize| (c.dilation[i] * (k - 1)).checked_sub(c.pad[i]);
            let (Some(top), Some(left)) = (edge(0, kh), edge(1, kw)) else {
                return Err(SimError::layer(
                    index,
                    "transposed convolution pad exceeds the kernel reach",
                ));
            };
            let pad = Padding {
                before: [top, left],
                after: [top + c.output_pad, left + c.output_pad],
            };
            Some(Mac::Transposed {
                kernel: Kernel {
                    out,
                    inp,
                    kh,
                    kw,
                    w: flipped,
                },
                pad,
                stride: c.stride,
            })
        }
        Op::Passthrough | Op::Eltwise(_) => None,
    };
    let bias = node
        .bias
        .as_ref()
        .map(|b| b.iter().map(|v| (*v as i64) * 128).collect());
    let wide = node
        .annex
        .get::<Placement>()
        .is_some_and(|p| p.output_width == OutputWidth::Bits32);
    if wide && node.activation != Activation::None {
        return Err(SimError::layer(
            index,
            "a 32-bit output layer cannot have an activation",
        ));
    }
    let total_shift = crate::device::ai8x::total_shift(&node.quant).unwrap_or(0);
    let packed = mac.as_ref().map(|m| {
        let k = m.kernel();
        PackedWeights::new(k.out, k.inp * k.kh * k.kw, k.w.clone())
    });
    Ok(PreparedLayer {
        mac,
        packed,
        bias,
        total_shift,
        wide,
    })
}
