//! A layer as the MAX78000 hardware runs it: the operator class, dimensions, kernel size and
//! padding after the rewrites the device needs (streaming 1×1 → 3×3, dilated Conv1d on 3×3
//! Conv2d hardware, ConvTranspose2d padding flip), plus the TRAM row length.
//!
//! Owns those rewrites for register programming only. Must not touch kernel bytes
//! (`kernels`) or the network arithmetic (`super::sim`).

use super::super::chip::Chip;
use super::super::kernels::emulates_1x1;
use super::super::placement::Placement;
use crate::ir::{Graph, Node, NodeId, Op, PoolKind};

/// izer's operator classes as the hardware distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HwOp {
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    Linear,
    /// No convolution: passthrough or a pure element-wise layer.
    None,
}

impl HwOp {
    pub fn convolves(self) -> bool {
        self != HwOp::None
    }

    /// Conv2d or Linear with a 1×1 hardware kernel.
    pub fn one_by_one(self, kernel: [usize; 2]) -> bool {
        matches!(self, HwOp::Conv2d | HwOp::Linear) && kernel == [1, 1]
    }
}

/// One layer's hardware parameters (izer's `hw_*` lists and their companions).
#[derive(Debug, Clone)]
pub struct HwLayer<'a> {
    pub node: &'a Node,
    pub place: &'a Placement,
    pub op: HwOp,
    /// Input rows/columns before pooling (Conv1d: `[L, 1]`).
    pub input: [usize; 2],
    /// Rows/columns after pooling.
    pub pooled: [usize; 2],
    pub kernel: [usize; 2],
    pub pad: [usize; 2],
    pub stride: [usize; 2],
    pub pool: [usize; 2],
    pub pool_stride: [usize; 2],
    pub pool_dilation: [usize; 2],
    pub pooling: bool,
    pub avg_pool: bool,
    pub operands: usize,
    /// Weight width in bits (0 for layers without weights).
    pub quant: u32,
    /// Bytes at the start of the output the hardware writes but the layer does not own
    /// (dilated Conv1d of length 3 emulated on 3×3 kernels).
    pub out_ignore: u32,
    /// TRAM entries per row (izer `tram_max`).
    pub tram: usize,
    pub in_exp: usize,
    pub out_exp: usize,
    /// Multi-pass element-wise operation emulated in passthrough mode.
    pub emulate_eltwise: bool,
}

fn hw(shape: crate::ir::Shape) -> [usize; 2] {
    let (h, w) = shape.dims.hw();
    [h, w]
}

impl<'a> HwLayer<'a> {
    /// Hardware view of layer `ll`; `None` if the node carries no MAX78000 placement.
    pub fn of(graph: &'a Graph, ll: NodeId, chip: &Chip) -> Option<Self> {
        let limits = &chip.limits;
        let node = graph.nodes.get(ll)?;
        let place = node.annex.get::<Placement>()?;
        let (mut op, conv) = match node.op {
            Op::Conv1d(c) => (HwOp::Conv1d, Some(c)),
            Op::Conv2d(c) => (HwOp::Conv2d, Some(c)),
            Op::ConvTranspose2d(c) => (HwOp::ConvTranspose2d, Some(c)),
            Op::Linear { .. } => (HwOp::Linear, None),
            Op::Passthrough | Op::Eltwise(_) => (HwOp::None, None),
        };
        let mut input = hw(node.in_shape);
        let mut pooled = hw(node.pooled_shape);
        let mut kernel = conv.map_or([1, 1], |c| c.kernel);
        let mut pad = conv.map_or([0, 0], |c| c.pad);
        let stride = conv.map_or([1, 1], |c| c.stride);
        let mut out_ignore = 0;
        let out_exp = limits.expansion(node.out_shape.channels).passes;
        let in_exp = limits.expansion(node.in_shape.channels).passes;
        if let Some(c) = conv {
            let d = c.dilation[0];
            if op == HwOp::Conv1d && d > 1 {
                let k = c.kernel[0];
                if (k - 1) * d < limits.conv1d_stretch_span {
                    kernel = [(k - 1) * d + 1, 1];
                } else if k <= limits.max_dilation_1d_kernel {
                    op = HwOp::Conv2d;
                    input = [node.in_shape.dims.hw().0.div_ceil(d), d];
                    pooled = input;
                    pad = [1, 1];
                    kernel = [3, 3];
                    if k == 3 {
                        out_ignore = (4 * d * out_exp) as u32;
                    }
                }
            }
            let emulate_1x1 = c.kernel == [1, 1]
                && matches!(op, HwOp::Conv2d | HwOp::ConvTranspose2d)
                && emulates_1x1(graph, ll, chip);
            if emulate_1x1 {
                kernel = [3, 3];
                pad = [1, 1];
            }
            if op == HwOp::ConvTranspose2d {
                pad = [kernel[0] - 1 - pad[0], kernel[1] - 1 - pad[1]];
            }
        }
        let tram = match op {
            HwOp::None => 1,
            HwOp::ConvTranspose2d => {
                let out_pad = conv.map_or(0, |c| c.output_pad);
                ((pooled[1] - 1) * stride[1] + 1 + out_pad + 2 * pad[1]).saturating_sub(kernel[1])
                    + 1
            }
            _ => (pooled[1] + 2 * pad[1]).saturating_sub(kernel[1]) + 1,
        };
        let pool = node.pool;
        let operands = node.operands();
        let quant = match node.quant.weight_bits {
            Some(b) => u32::from(b.bits()),
            None if op.convolves() => 8,
            None => 0,
        };
        Some(HwLayer {
            node,
            place,
            op,
            input,
            pooled,
            kernel,
            pad,
            stride,
            pool: pool.map_or([1, 1], |p| p.size),
            pool_stride: pool.map_or([1, 1], |p| p.stride),
            pool_dilation: pool.map_or([1, 1], |p| p.dilation),
            pooling: pool.is_some_and(|p| p.size[0] > 1 || p.size[1] > 1),
            avg_pool: pool.is_some_and(|p| p.kind == PoolKind::Avg),
            operands,
            quant,
            out_ignore,
            tram,
            in_exp,
            out_exp,
            emulate_eltwise: chip.features.emulate_eltwise_multipass
                && operands > 1
                && in_exp > 1
                && operands * in_exp != operands + in_exp,
        })
    }

    /// Pooled pixels times input passes, minus one (izer `flatten_prod`); 0 unless flattening.
    pub fn flatten_prod(&self) -> usize {
        if self.node.flatten {
            self.in_exp * self.pooled[0] * self.pooled[1] - 1
        } else {
            0
        }
    }
}
