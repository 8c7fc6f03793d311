//! The chip's rounding and the shift quantizer every GTI quantizer is built from
//! (gti.md §2.1, §2.2).

use crate::device::gti::{Chip, MaskBits};

/// `floor(x + 0.5)` for `x ≥ 0`, `ceil(x − 0.5)` below: half away from zero, computed the way
/// GTI's code does (in f32, so `0.49999997` rounds to 1, as on their side).
pub fn chip_round(x: f32) -> f32 {
    if x >= 0.0 {
        (x + 0.5).floor()
    } else {
        (x - 0.5).ceil()
    }
}

/// `round(v·2^s) / 2^s`: `v` on the grid of shift `s`.
pub fn on_grid(v: f32, shift: u8) -> f32 {
    let scale = (1u32 << shift) as f32;
    chip_round(v * scale) / scale
}

/// The largest magnitude of `v` (0 for none): the statistic [`shift`] takes.
pub fn max_abs(v: &[f32]) -> f32 {
    v.iter().fold(0f32, |m, x| m.max(x.abs()))
}

/// Guard added to the largest magnitudes before dividing (GTI's PyTorch MDK).
const EPSILON: f32 = 1e-6;

/// The sub-layer shift (`scaling`): the largest power of two at which the largest weight
/// fits a signed weight-width integer and the largest bias a signed bias-width integer,
/// within `0..=max_shift`. `None` if `chip` lacks `mask`.
pub fn shift(chip: Chip, mask: MaskBits, max_w: f32, max_b: Option<f32>) -> Option<u8> {
    let widths = chip.widths(mask)?;
    let exponent = |bits: u8, max: f32| {
        let top = ((1u64 << (bits - 1)) - 1) as f32;
        (top / (EPSILON + max)).log2().trunc()
    };
    let mut e = exponent(widths.weight_bits, max_w);
    if let Some(b) = max_b {
        e = e.min(exponent(widths.bias_bits, b));
    }
    let max_shift = chip.limits().max_shift;
    Some(e.clamp(0.0, f32::from(max_shift)) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// gti.md §5 vector 1.
    #[test]
    fn vector_1_rounding() {
        let x = [2.5, -2.5, 0.5, -0.5, 1.49, -1.5, 0.4999];
        assert_eq!(x.map(chip_round), [3.0, -3.0, 1.0, -1.0, 1.0, -2.0, 0.0]);
    }

    /// gti.md §5 vector 3 (the all-zero layer too).
    #[test]
    fn vector_3_shifts() {
        let m = |b| MaskBits::new(b).unwrap();
        let cases = [
            (Chip::C2803, 12, 0.75, Some(3.0), 11),
            (Chip::C2801, 1, 0.05, Some(20.0), 6),
            (Chip::C5801, 3, 0.5, Some(0.1), 7),
            (Chip::C5801, 8, 0.01, Some(0.001), 12),
            (Chip::C5801, 1, 300.0, Some(1.0), 0),
            (Chip::C2803, 5, 1.9, Some(40.0), 9),
            (Chip::C2801, 3, 0.9, None, 11),
            (Chip::C5801, 8, 0.0, None, 12),
        ];
        for (chip, mask, w, b, s) in cases {
            assert_eq!(
                shift(chip, m(mask), w, b),
                Some(s),
                "{chip} mask {mask} {w} {b:?}"
            );
        }
        assert_eq!(shift(Chip::C2801, m(12), 1.0, None), None);
    }
}
