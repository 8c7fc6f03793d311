//! One chip node of the engine: optional 2×2 max pooling of its input, then a conv
//! sub-layer (the correlation, depthwise sub-layers as a block-diagonal weight matrix, bias,
//! shift and the 5-bit clamp, or the 10-bit one of a last layer; a residual pair's second conv
//! keeps its accumulators), a
//! residual addition (`acc + shortcut·2^s`, shifted and clamped like a conv), or nothing.

use crate::device::gti::chip_slot;
use crate::ir::{Activation, Graph, Node, Op, PoolKind, Source, params::layer_key};
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
    /// Operands: an earlier step's output, or `None` for the network input.
    pub inputs: Vec<Option<usize>>,
    pool: bool,
    kind: StepKind,
}

#[derive(Debug)]
enum StepKind {
    /// Pooling (or nothing) only.
    Pass,
    Conv(ChipConv),
    /// A residual pair's end: the first operand is the second conv's accumulators at
    /// `shift`, the second the shortcut's codes.
    Add {
        shift: u32,
    },
}

#[derive(Debug)]
struct ChipConv {
    packed: PackedWeights,
    geometry: Geometry,
    bias: Vec<i64>,
    shift: u32,
    /// Round and clamp to codes (false: a residual pair's second conv, whose accumulators go
    /// on to the addition).
    relu: bool,
    /// 10-bit codes of 1/32 (a last layer with `ten_bits_enable`).
    ten_bits: bool,
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
            inputs: vec![Some(i - 1)],
            pool: pool_of(graph, i, node)?,
            kind: StepKind::Pass,
        })
    }

    pub fn new(graph: &Graph, i: usize, node: &Node) -> Result<Self, SimError> {
        let name = layer_key(graph, i);
        let pool = pool_of(graph, i, node)?;
        let inputs = node
            .inputs
            .iter()
            .map(|s| match s {
                Source::Input => Ok(None),
                Source::Node(j) => Ok(Some(*j)),
                Source::Buffer(b) => Err(SimError::Input(format!(
                    "layer `{name}`: reads data buffer `{b}`"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let kind = match node.op {
            Op::Passthrough if node.eltwise.is_some() => {
                let conv = inputs.first().copied().flatten().map(|j| &graph.nodes[j]);
                let shift = conv.and_then(|c| c.quant.output_shift).ok_or_else(|| {
                    SimError::Input(format!(
                        "layer `{name}`: a residual addition after a layer without a shift"
                    ))
                })?;
                StepKind::Add {
                    shift: shift.clamp(0, 31) as u32,
                }
            }
            Op::Passthrough => StepKind::Pass,
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
                StepKind::Conv(ChipConv {
                    relu: node.activation == Activation::Relu,
                    ten_bits: chip_slot(node).is_some_and(|s| s.ten_bits),
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
        Ok(ChipStep { inputs, pool, kind })
    }

    /// Whether this node is a conv sub-layer.
    pub fn is_conv(&self) -> bool {
        matches!(&self.kind, StepKind::Conv(_))
    }

    /// Whether this node writes 10-bit codes of 1/32.
    pub fn ten_bits(&self) -> bool {
        matches!(&self.kind, StepKind::Conv(c) if c.ten_bits)
    }

    /// This node on its operands (codes, or a residual pair's accumulators).
    pub fn run(&self, x: &[ArrayView4<i64>]) -> Array4<i64> {
        if self.pool {
            let pooled = max_pool_2x2(x[0]);
            return self.operator(pooled.view(), x).1;
        }
        self.operator(x[0], x).1
    }

    /// This node on one batch of operands, with its intermediate data.
    pub fn trace(&self, x: &[ArrayView4<i64>]) -> LayerTrace {
        let first = |a: &Array4<i64>| a.index_axis(Axis(0), 0).to_owned();
        let pooled = self.pool.then(|| max_pool_2x2(x[0]));
        let op_input = pooled.clone().unwrap_or_else(|| x[0].to_owned());
        let (acc, output) = self.operator(op_input.view(), x);
        LayerTrace {
            input: first(&x[0].to_owned()),
            pooled: pooled.as_ref().map(first),
            op_input: first(&op_input),
            acc: acc.as_ref().map(first),
            output: first(&output),
        }
    }

    /// The accumulators with bias (for a conv) and the output: codes, or a residual pair's
    /// accumulators. `x` is the first operand after pooling, `operands` all of them.
    fn operator(
        &self,
        x: ArrayView4<i64>,
        operands: &[ArrayView4<i64>],
    ) -> (Option<Array4<i64>>, Array4<i64>) {
        let conv = match &self.kind {
            StepKind::Pass => return (None, x.to_owned()),
            StepKind::Add { shift } => {
                let mut sum = x.to_owned();
                sum.zip_mut_with(&operands[1], |a, c| *a += c << shift);
                let out = sum.mapv(|a| to_code(a, *shift));
                return (Some(sum), out);
            }
            StepKind::Conv(conv) => conv,
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
        if !conv.relu {
            return (None, acc);
        }
        let out = if conv.ten_bits {
            acc.mapv(|a| to_code_10(a, conv.shift))
        } else {
            acc.mapv(|a| to_code(a, conv.shift))
        };
        (Some(acc), out)
    }
}

/// Largest 10-bit code.
const CODE_MAX_10: i64 = 1023;

/// An accumulator at `shift` as a 10-bit code of 1/32: `clamp(round(32·a / 2^shift), 0,
/// 1023)` (gti.md §2.8).
fn to_code_10(a: i64, shift: u32) -> i64 {
    if a <= 0 {
        0
    } else {
        ((a * 32 + ((1i64 << shift) >> 1)) >> shift).min(CODE_MAX_10)
    }
}

/// An accumulator at `shift` as a 5-bit code: `clamp(round(a / 2^shift), 0, 31)` with the
/// chip's rounding (half away from zero; negative sums give 0).
fn to_code(a: i64, shift: u32) -> i64 {
    if a <= 0 {
        0
    } else {
        ((a + ((1i64 << shift) >> 1)) >> shift).min(CODE_MAX)
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
