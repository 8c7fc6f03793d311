//! One chip sub-layer of the engine: optional 2×2 max pooling of its input, the correlation
//! (depthwise sub-layers as a block-diagonal weight matrix), bias, shift and the 5-bit
//! clamp; or a pooling-only node after the last major layer.

use crate::device::gti::chip_slot;
use crate::ir::{Graph, Node, Op, PoolKind, params::layer_key};
use crate::sim::gemm::{self, Geometry, PackedWeights, Scratch};
use crate::sim::{LayerTrace, SimError};
use ndarray::{Array4, ArrayView4, Axis};
use std::cell::RefCell;

/// Largest 5-bit code.
const CODE_MAX: i64 = 31;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A prepared chip node.
#[derive(Debug)]
pub struct ChipStep {
    pool: bool,
    conv: Option<ChipConv>,
}

#[derive(Debug)]
struct ChipConv {
    packed: PackedWeights,
    geometry: Geometry,
    bias: Vec<i64>,
    shift: u32,
}

/// `v` as an exact integer, or the error naming the layer.
fn integer(v: f32, name: &str, what: &str) -> Result<i64, SimError> {
    if v.fract() == 0.0 && v.abs() < (1u64 << 31) as f32 {
        Ok(v as i64)
    } else {
        Err(SimError::Input(format!(
            "layer `{name}`: {what} {v} is not an integer (quantize with `qtool quantize --device gti`)"
        )))
    }
}

impl ChipStep {
    /// Only the pooling of node `i` (the chip's last pooling, which the graph puts on the
    /// first host layer).
    pub fn new_pooling(graph: &Graph, i: usize, node: &Node) -> Result<Self, SimError> {
        Ok(ChipStep {
            pool: pool_of(graph, i, node)?,
            conv: None,
        })
    }

    pub fn new(graph: &Graph, i: usize, node: &Node) -> Result<Self, SimError> {
        let name = layer_key(graph, i);
        let pool = pool_of(graph, i, node)?;
        let conv = match node.op {
            Op::Passthrough => None,
            Op::Conv2d(c) => {
                chip_slot(node).ok_or_else(|| {
                    SimError::Input(format!("layer `{name}`: not a chip sub-layer"))
                })?;
                let shift = node.quant.output_shift.ok_or_else(|| {
                    SimError::Input(format!(
                        "layer `{name}`: no shift (quantize with `qtool quantize --device gti`)"
                    ))
                })?;
                let w = node
                    .weights
                    .as_ref()
                    .ok_or_else(|| SimError::Input(format!("layer `{name}`: no weights")))?;
                let cin = node.in_shape.channels;
                let taps = c.kernel[0] * c.kernel[1];
                let out = c.out_channels;
                let mut rows = vec![0i32; out * cin * taps];
                let per = cin / c.groups.max(1);
                for (k, v) in w.iter().enumerate() {
                    let o = k / (per * taps);
                    let rest = k % (per * taps);
                    let ci = (o / (out / c.groups.max(1))) * per + rest / taps;
                    rows[o * cin * taps + ci * taps + rest % taps] =
                        integer(*v, &name, "weight")? as i32;
                }
                let bias = match &node.bias {
                    Some(b) => b
                        .iter()
                        .map(|v| integer(*v, &name, "bias"))
                        .collect::<Result<_, _>>()?,
                    None => vec![0; out],
                };
                Some(ChipConv {
                    packed: PackedWeights::new(out, cin * taps, rows),
                    geometry: Geometry {
                        kh: c.kernel[0],
                        kw: c.kernel[1],
                        pad_before: c.pad,
                        pad_after: c.pad,
                        stride: c.stride,
                        dilation: [1, 1],
                    },
                    bias,
                    shift: shift.clamp(0, 31) as u32,
                })
            }
            _ => {
                return Err(SimError::Input(format!(
                    "layer `{name}`: a {} layer cannot run on the chip",
                    node.op.name()
                )));
            }
        };
        Ok(ChipStep { pool, conv })
    }

    /// This node on a batch of codes.
    pub fn run(&self, x: ArrayView4<i64>) -> Array4<i64> {
        if self.pool {
            let pooled = max_pool_2x2(x);
            return self.operator(pooled.view()).1;
        }
        self.operator(x).1
    }

    /// This node on one batch of codes, with its intermediate data.
    pub fn trace(&self, x: ArrayView4<i64>) -> LayerTrace {
        let first = |a: &Array4<i64>| a.index_axis(Axis(0), 0).to_owned();
        let pooled = self.pool.then(|| max_pool_2x2(x));
        let op_input = pooled.clone().unwrap_or_else(|| x.to_owned());
        let (acc, output) = self.operator(op_input.view());
        LayerTrace {
            input: first(&x.to_owned()),
            pooled: pooled.as_ref().map(first),
            op_input: first(&op_input),
            acc: acc.as_ref().map(first),
            output: first(&output),
        }
    }

    /// The accumulators with bias (for a conv) and the output codes.
    fn operator(&self, x: ArrayView4<i64>) -> (Option<Array4<i64>>, Array4<i64>) {
        let Some(conv) = &self.conv else {
            return (None, x.to_owned());
        };
        let (b, _, h, w) = x.dim();
        let (ho, wo) = conv.geometry.out_hw(h, w);
        let m = conv.packed.m();
        let headroom = conv
            .bias
            .iter()
            .map(|v| v.unsigned_abs())
            .max()
            .unwrap_or(0)
            + (1u64 << conv.shift);
        let acc = SCRATCH.with(|s| {
            let mut scratch = s.borrow_mut();
            let (acc, _) = gemm::correlate(&conv.packed, &conv.geometry, x, headroom, &mut scratch);
            let acc = acc.to_i64();
            let plane = ho * wo;
            Array4::from_shape_fn((b, m, ho, wo), |(n, o, i, j)| {
                acc[(n * m + o) * plane + i * wo + j] + conv.bias[o]
            })
        });
        let half = (1i64 << conv.shift) >> 1;
        let out = acc.mapv(|a| {
            if a <= 0 {
                0
            } else {
                ((a + half) >> conv.shift).min(CODE_MAX)
            }
        });
        (Some(acc), out)
    }
}

/// Whether node `i` pools its input (2×2 max pooling is the only kind on the chip).
fn pool_of(graph: &Graph, i: usize, node: &Node) -> Result<bool, SimError> {
    match node.pool {
        None => Ok(false),
        Some(p) if p.kind == PoolKind::Max && p.size == [2, 2] && p.stride == [2, 2] => Ok(true),
        Some(_) => Err(SimError::Input(format!(
            "layer `{}`: only 2x2 max pooling runs on the chip",
            layer_key(graph, i)
        ))),
    }
}

/// 2×2, stride-2 max pooling (odd edges dropped).
fn max_pool_2x2(x: ArrayView4<i64>) -> Array4<i64> {
    let (b, c, h, w) = x.dim();
    Array4::from_shape_fn((b, c, h / 2, w / 2), |(n, ch, i, j)| {
        let (y, z) = (2 * i, 2 * j);
        x[[n, ch, y, z]]
            .max(x[[n, ch, y, z + 1]])
            .max(x[[n, ch, y + 1, z]])
            .max(x[[n, ch, y + 1, z + 1]])
    })
}
