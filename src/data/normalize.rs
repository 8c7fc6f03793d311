//! The ai8x evaluation mapping of 8-bit pixels to the accelerator's signed 8-bit input range.
//!
//! Owns only that per-byte arithmetic and the `[H, W]` → `[1, H, W]` layout change. Must not
//! read files or know data sets.

use ndarray::{Array3, ArrayView2, Axis};

/// Maps a pixel byte `p` to the hardware input: `clamp(⌊(512·p − 65280 + 255) / 510⌋, −128,
/// 127)`, in integers with floor division.
///
/// This equals ai8x's `round((p/255 − 0.5)·256)` clamped to `[−128, 127]` for every byte:
/// `(p/255 − 0.5)·256 = (512·p − 65280) / 510`, and adding 255 (half the divisor) before the
/// floor rounds to nearest. There are no ties: the numerator's remainder modulo 510 is
/// `2p mod 510`, which is even and never 255, so round-half-to-even (numpy, torch) and
/// round-half-up agree. `p = 0` gives −128 and `p = 255` gives 128, clamped to 127.
pub fn q7_from_byte(p: u8) -> i64 {
    (512 * i64::from(p) - 65280 + 255)
        .div_euclid(510)
        .clamp(-128, 127)
}

/// One `[H, W]` byte image as the `[1, H, W]` hardware input (see [`q7_from_byte`]).
pub fn to_q7_chw(img: ArrayView2<u8>) -> Array3<i64> {
    img.mapv(q7_from_byte).insert_axis(Axis(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn equals_rounded_float_reference_for_every_byte_without_ties() {
        for p in 0..=255u8 {
            let x = (f64::from(p) / 255.0 - 0.5) * 256.0;
            // Distance of the exact value from the nearest .5 is at least 1/510: no ties.
            assert!((x - x.floor() - 0.5).abs() > 1.0 / 511.0, "tie at p={p}");
            let even = x.round_ties_even().clamp(-128.0, 127.0) as i64;
            let away = x.round().clamp(-128.0, 127.0) as i64;
            // The float32 pipeline of ai8x (ToTensor, then normalize) rounds the same way.
            let x32 = (f32::from(p) / 255.0 - 0.5) * 256.0;
            let f32ref = x32.round_ties_even().clamp(-128.0, 127.0) as i64;
            assert_eq!(q7_from_byte(p), even, "p={p}");
            assert_eq!(even, away, "p={p}");
            assert_eq!(even, f32ref, "p={p}");
        }
        assert_eq!(q7_from_byte(0), -128);
        assert_eq!(q7_from_byte(1), -127);
        assert_eq!(q7_from_byte(127), -1);
        assert_eq!(q7_from_byte(128), 1);
        assert_eq!(q7_from_byte(254), 127);
        assert_eq!(q7_from_byte(255), 127);
    }

    #[test]
    fn chw_layout() {
        let img = array![[0u8, 255], [128, 127]];
        let q = to_q7_chw(img.view());
        assert_eq!(q.shape(), &[1, 2, 2]);
        assert_eq!(q, array![[[-128i64, 127], [1, -1]]]);
    }
}
