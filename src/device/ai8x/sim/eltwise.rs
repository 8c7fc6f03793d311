//! Element-wise combination of operands: left fold in int64, one saturation at the end.

use crate::ir::EltwiseOp;
use ndarray::{Array, Dimension};

/// `x0 ∘ x1 ∘ … ∘ x(n−1)`, then clamp to int8 (arithmetic.md §4); one image or a batch.
pub fn combine<D: Dimension>(op: EltwiseOp, operands: &[Array<i64, D>]) -> Array<i64, D> {
    let mut acc = operands[0].clone();
    for x in &operands[1..] {
        acc.zip_mut_with(x, |a, b| {
            *a = match op {
                EltwiseOp::Add => *a + b,
                EltwiseOp::Sub => *a - b,
                EltwiseOp::Or => *a | b,
                EltwiseOp::Xor => *a ^ b,
            }
        });
    }
    acc.mapv_inplace(|v| v.clamp(-128, 127));
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr3;

    #[test]
    fn spec_examples() {
        let a = |v: i64| arr3(&[[[v]]]);
        assert_eq!(combine(EltwiseOp::Add, &[a(100), a(50), a(-20)]), a(127));
        assert_eq!(combine(EltwiseOp::Xor, &[a(-128), a(127)]), a(-1));
        assert_eq!(combine(EltwiseOp::Sub, &[a(5), a(3), a(4)]), a(-2));
    }
}
