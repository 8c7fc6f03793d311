//! Operation counts of a network as izer's statistics report them (the `SUMMARY OF OPS`
//! comment of `main.c` and `cnn.h`), and the memory figures of its `RESOURCE USAGE` lines.
//!
//! Owns the counting rules only (spec `cnn-c.md` §11). Must not format text (the emitters do)
//! nor allocate kernels or bias (`resources::totals` provides those sums).

use super::chip::Chip;
use super::resources::totals;
use crate::ir::{Activation, EltwiseOp, Graph, Node, Op, PoolKind};

/// Operations of one layer, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerOps {
    /// Multiply-accumulates of the convolution or linear stage.
    pub macc: u64,
    /// Comparisons: activation outputs and max-pooling.
    pub comp: u64,
    /// Additions: average pooling and element-wise add/sub.
    pub add: u64,
    /// Multiplications (element-wise multiply; never produced by the MAX78000 IR).
    pub mul: u64,
    /// Bitwise element-wise or/xor.
    pub bitwise: u64,
}

impl LayerOps {
    /// All operations together.
    pub fn total(&self) -> u64 {
        self.macc + self.comp + self.add + self.mul + self.bitwise
    }

    fn sum(a: LayerOps, b: &LayerOps) -> LayerOps {
        LayerOps {
            macc: a.macc + b.macc,
            comp: a.comp + b.comp,
            add: a.add + b.add,
            mul: a.mul + b.mul,
            bitwise: a.bitwise + b.bitwise,
        }
    }
}

/// Operations of `node` as izer's simulator accounts them.
///
/// * pooling (a window larger than 1): `window · pooled C·H·W · operands` comparisons (max) or
///   additions (average); Conv1d counts the first window axis and one operand only; the
///   operands are pooled separately only when they are pooled before being combined;
/// * element-wise stage: `(operands − 1) · elements of one operand` (pooled or not, as the
///   stage runs), additions for add/sub, bitwise for or/xor;
/// * weighted operator: `C_in/groups · kernel · output C·H·W` multiply-accumulates (a flattened
///   input counts as `C·H·W` channels), plus one comparison per output with an activation.
pub fn layer_ops(node: &Node) -> LayerOps {
    let mut ops = LayerOps::default();
    let operands = node.operands() as u64;
    if let Some(pool) = node.pool.filter(|p| p.size[0] > 1 || p.size[1] > 1) {
        let pooled = node.pooled_shape.numel() as u64;
        let count = match node.op {
            Op::Conv1d(_) => pool.size[0] as u64 * pooled,
            _ => {
                let pooled_operands = match node.eltwise {
                    Some(e) if e.operands > 1 && !e.pool_first => 1,
                    _ => operands,
                };
                (pool.size[0] * pool.size[1]) as u64 * pooled * pooled_operands
            }
        };
        match pool.kind {
            PoolKind::Max => ops.comp += count,
            PoolKind::Avg => ops.add += count,
        }
    }
    if let Some(e) = node.eltwise.filter(|e| e.operands > 1) {
        let shape = if e.pool_first {
            node.pooled_shape
        } else {
            node.in_shape
        };
        let count = (operands - 1) * shape.numel() as u64;
        match e.op {
            EltwiseOp::Add | EltwiseOp::Sub => ops.add += count,
            EltwiseOp::Or | EltwiseOp::Xor => ops.bitwise += count,
        }
    }
    if node.op.has_weights() {
        let (groups, kernel) = match node.op.conv() {
            Some(c) => (c.groups.max(1), c.kernel[0] * c.kernel[1]),
            None => (1, 1),
        };
        let outputs = node.out_shape.numel() as u64;
        ops.macc += (node.op_in_channels() / groups * kernel) as u64 * outputs;
        if node.activation != Activation::None {
            ops.comp += outputs;
        }
    }
    ops
}

/// [`layer_ops`] of every layer.
pub fn graph_ops(graph: &Graph) -> Vec<LayerOps> {
    graph.nodes.iter().map(layer_ops).collect()
}

/// Sum of `ops` over the layers.
pub fn total_ops(ops: &[LayerOps]) -> LayerOps {
    ops.iter().fold(LayerOps::default(), LayerOps::sum)
}

/// Kernel and bias memory used, against what the device has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUse {
    pub weight_bytes: u32,
    pub weight_bytes_limit: u32,
    /// Bias bytes over all quadrants after izer's allocation.
    pub bias_bytes: u32,
    pub bias_bytes_limit: u32,
}

/// Kernel and bias memory of `graph` (the `RESOURCE USAGE` figures).
pub fn memory_use(graph: &Graph, chip: &Chip) -> MemoryUse {
    let limits = &chip.limits;
    let t = totals(graph, chip);
    MemoryUse {
        weight_bytes: t.weight_bytes,
        weight_bytes_limit: t.weight_bytes_limit,
        bias_bytes: t.bias_bytes.iter().sum(),
        bias_bytes_limit: t.bias_bytes_limit * limits.quadrants,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::ai8x::testutil::{conv2d, node, reinfer};
    use crate::ir::{Eltwise, Pool, Shape};

    fn pool(kind: PoolKind, k: usize) -> Pool {
        Pool {
            kind,
            size: [k, k],
            stride: [k, k],
            dilation: [1, 1],
        }
    }

    #[test]
    fn convolution_with_max_pool_and_relu() {
        let mut n = conv2d(4, 8, 8, 3);
        n.pool = Some(pool(PoolKind::Max, 2));
        n.activation = Activation::Relu;
        reinfer(&mut n);
        let ops = layer_ops(&n);
        // Pool 2x2 on 4x4x4 pooled; conv 3x3 pad 1 → 8x4x4 outputs.
        assert_eq!(ops.comp, 4 * 4 * 16 + 8 * 16);
        assert_eq!(ops.macc, 4 * 9 * 8 * 16);
        assert_eq!(ops.total(), ops.macc + ops.comp);
    }

    #[test]
    fn eltwise_counts_one_operand_less() {
        let mut n = node(Op::Eltwise(EltwiseOp::Xor), Shape::d2(3, 4, 4));
        n.eltwise = Some(Eltwise {
            op: EltwiseOp::Xor,
            operands: 3,
            pool_first: false,
        });
        n.pool = Some(pool(PoolKind::Avg, 2));
        reinfer(&mut n);
        let ops = layer_ops(&n);
        assert_eq!(ops.bitwise, 2 * 48);
        // Combined before pooling: one pooled operand.
        assert_eq!(ops.add, 4 * 12);
        assert_eq!(ops.macc, 0);
    }
}
