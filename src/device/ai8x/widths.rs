//! The weight widths the MAX78000 supports and the shift its hardware adds for narrow weights.
//!
//! Owns the rule "1, 2, 4 or 8 bits" and `output_shift + (8 − bits)`: the IR carries any
//! width and the shift as written, this device decides what they mean. Must not touch data.

use crate::ir::{QuantAttrs, WeightBits};

/// `bits` as a MAX78000 weight width (1, 2, 4 or 8).
pub fn weight_bits(bits: u8) -> Result<WeightBits, String> {
    match bits {
        1 | 2 | 4 | 8 => Ok(WeightBits::try_from(bits)?),
        other => Err(format!(
            "weight width must be 1, 2, 4 or 8 bits, not {other}"
        )),
    }
}

/// Whether the device can hold weights of this width.
pub fn supports(bits: WeightBits) -> bool {
    weight_bits(bits.bits()).is_ok()
}

/// The shift the hardware applies on top of `output_shift` for narrow weights (`8 − bits`).
pub fn implicit_shift(bits: WeightBits) -> i32 {
    8 - i32::from(bits.bits())
}

/// Shift the hardware applies: `output_shift + (8 − weight bits)` (8 bits when unset).
pub fn total_shift(q: &QuantAttrs) -> Option<i32> {
    let bits = q.weight_bits.unwrap_or(WeightBits::B8);
    q.output_shift.map(|s| s + implicit_shift(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_widths_add_their_shift() {
        assert_eq!(weight_bits(4), Ok(WeightBits::B4));
        assert!(weight_bits(3).unwrap_err().contains("1, 2, 4 or 8"));
        assert!(weight_bits(0).is_err());
        let q = |bits, shift| QuantAttrs {
            weight_bits: Some(bits),
            output_shift: Some(shift),
            ..QuantAttrs::default()
        };
        assert_eq!(total_shift(&q(WeightBits::B8, -1)), Some(-1));
        assert_eq!(total_shift(&q(WeightBits::B2, -1)), Some(5));
        assert_eq!(total_shift(&QuantAttrs::default()), None);
    }
}
