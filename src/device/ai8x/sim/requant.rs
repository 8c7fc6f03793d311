//! Output stage: shift with round-half-toward-+∞, saturation to int8, activation — per
//! value for the reference path, and over a whole layer's accumulators (bias included) for
//! the batch path, in i32 where the engine proved the sums fit.

use crate::ir::Activation;
use crate::sim::gemm::{Accumulators, avx2_dispatch};

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

/// [`shift_round`] then [`clamp_activate`] on every accumulator, with the shift's direction
/// and the activation chosen once for the whole slice (so the loop vectorizes).
pub fn requantize(acc: &mut [i64], total_shift: i32, act: Activation) {
    let (add, right, left) = shift_parts(total_shift);
    let scale = |v: i64| ((v + add) >> right) << left;
    match act {
        Activation::None => acc.iter_mut().for_each(|v| *v = scale(*v).clamp(-128, 127)),
        Activation::Relu => acc.iter_mut().for_each(|v| *v = scale(*v).clamp(0, 127)),
        Activation::Abs => acc
            .iter_mut()
            .for_each(|v| *v = scale(*v).clamp(-127, 127).abs()),
    }
}

/// The rounding constant and shifts of [`shift_round`]: `((v + add) >> right) << left`.
fn shift_parts(total_shift: i32) -> (i64, u32, u32) {
    let k = 7 - total_shift;
    if k > 0 {
        (1i64 << (k - 1), k as u32, 0)
    } else {
        (0, 0, k.unsigned_abs())
    }
}

/// What the output stage may add to a sum before shifting: the largest bias and the
/// rounding constant (the engine's i32 proof must leave room for both).
pub fn headroom(bias: Option<&[i64]>, total_shift: i32) -> u64 {
    let b = bias.map_or(0, |b| b.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0));
    b.saturating_add(shift_parts(total_shift).0.unsigned_abs())
}

avx2_dispatch! {
    /// Bias per output channel (`acc` is `[B][channels][plane]`; channels without a bias get
    /// none), then unless `wide` the shift, saturation and activation: the layer's outputs.
    pub fn output_stage(
        acc: Accumulators,
        bias: Option<&[i64]>,
        shape: (usize, usize),
        total_shift: i32,
        act: Activation,
        wide: bool,
        out: &mut Vec<i64>,
    ) {
        let (channels, plane) = (shape.0, shape.1.max(1));
        let bias_of = |chunk: usize| bias.and_then(|b| b.get(chunk % channels.max(1)).copied());
        let (add, right, left) = shift_parts(total_shift);
        match acc {
            // The engine proved |sum| + |bias| + add ≤ i32::MAX, so no i32 step below
            // overflows; a left shift sees values pre-clamped to ±2^15, which saturate alike.
            Accumulators::Narrow(v) if wide || (left <= 15 && right <= 30) => {
                out.clear();
                out.reserve(v.len());
                for (i, chunk) in v.chunks(plane).enumerate() {
                    let b = bias_of(i).unwrap_or(0) as i32;
                    let (add, right) = (add as i32 + b, right);
                    let scale = |s: &i32| ((s + add) >> right).clamp(-(1 << 15), 1 << 15) << left;
                    match act {
                        _ if wide => out.extend(chunk.iter().map(|s| i64::from(s + b))),
                        Activation::None => {
                            out.extend(chunk.iter().map(|s| i64::from(scale(s).clamp(-128, 127))))
                        }
                        Activation::Relu => {
                            out.extend(chunk.iter().map(|s| i64::from(scale(s).clamp(0, 127))))
                        }
                        Activation::Abs => out.extend(
                            chunk
                                .iter()
                                .map(|s| i64::from(scale(s).clamp(-127, 127).abs())),
                        ),
                    }
                }
            }
            acc => {
                out.clear();
                match acc {
                    Accumulators::Narrow(v) => out.extend(v.iter().map(|s| i64::from(*s))),
                    Accumulators::Wide(v) => out.extend_from_slice(v),
                }
                for (i, chunk) in out.chunks_mut(plane).enumerate() {
                    let b = bias_of(i).unwrap_or(0);
                    chunk.iter_mut().for_each(|s| *s += b);
                }
                if !wide {
                    requantize(out, total_shift, act);
                }
            }
        }
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

    #[test]
    fn the_i32_output_stage_equals_the_i64_one() {
        let accs: Vec<i32> = (-300_000..300_000).step_by(331).collect();
        let plane = accs.len() / 4;
        let bias = [5_000i64, -16_256, 0, 127];
        for shift in -20..=20 {
            for act in [Activation::None, Activation::Relu, Activation::Abs] {
                for wide in [false, true] {
                    let stage = |acc| {
                        let mut out = Vec::new();
                        output_stage(acc, Some(&bias), (4, plane), shift, act, wide, &mut out);
                        out
                    };
                    let accs64: Vec<i64> = accs.iter().map(|v| i64::from(*v)).collect();
                    assert_eq!(
                        stage(Accumulators::Narrow(&accs)),
                        stage(Accumulators::Wide(&accs64)),
                        "shift {shift}, {act:?}, wide {wide}"
                    );
                }
            }
        }
        assert!(headroom(Some(&bias), -20) > 1 << 26);
    }

    #[test]
    fn requantize_equals_the_scalar_steps() {
        let accs: Vec<i64> = (-70_000..70_000).step_by(97).collect();
        for shift in -8..=8 {
            for act in [Activation::None, Activation::Relu, Activation::Abs] {
                let mut v = accs.clone();
                requantize(&mut v, shift, act);
                let expect: Vec<i64> = accs
                    .iter()
                    .map(|a| clamp_activate(shift_round(*a, shift), act))
                    .collect();
                assert_eq!(v, expect, "shift {shift}, {act:?}");
            }
        }
    }
}
