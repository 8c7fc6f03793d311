//! Output stage: shift with round-half-toward-+∞, saturation to int8, activation.

use crate::ir::Activation;

/// Scale an accumulator by `2^shift / 128`, rounding half toward +∞ (arithmetic.md §6).
pub fn shift_round(acc: i64, total_shift: i32) -> i64 {
    let k = 7 - total_shift;
    if k > 0 {
        (acc + (1i64 << (k - 1))) >> k
    } else {
        acc << (-k)
    }
}

/// Saturate to int8, then apply the activation (ReLU and Abs clip at +127).
pub fn clamp_activate(v: i64, act: Activation) -> i64 {
    let v = v.clamp(-128, 127);
    match act {
        Activation::None => v,
        Activation::Relu => v.max(0),
        Activation::Abs => v.abs().min(127),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_table() {
        // (acc, output_shift, bits, pre-clamp, ReLU) from arithmetic.md §6.
        let rows = [
            (1000, -1, 8, 4, 4),
            (-1000, -1, 8, -4, 0),
            (192, 0, 8, 2, 2),
            (-192, 0, 8, -1, 0),
            (40000, 0, 8, 313, 127),
            (300, 1, 4, 75, 75),
            (-7, 3, 2, -28, 0),
        ];
        for (acc, shift, bits, pre, relu) in rows {
            let total = shift + 8 - bits;
            let y = shift_round(acc, total);
            assert_eq!(y, pre, "acc {acc}");
            assert_eq!(clamp_activate(y, Activation::Relu), relu, "acc {acc}");
        }
        assert_eq!(clamp_activate(-128, Activation::Abs), 127);
    }
}
