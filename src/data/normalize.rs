//! Pixel normalization: how a byte becomes a training value and, where the target has one, an
//! integer input code ([`Normalization`]).
//!
//! Owns only that per-byte arithmetic (ai8x: `../shared/specs/max78000/qat.md` §9; GTI:
//! `gti.md` §2.6). Must not read files or know data sets.

use ndarray::{Array3, ArrayView3};

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

/// Maps a pixel byte to GTI's 5-bit input code: `min(((x >> 2) + 1) >> 1, 31)`, i.e.
/// `x / 8` rounded half up and clipped (252..=255 give 32, clipped to 31).
pub fn gti_from_byte(p: u8) -> i64 {
    ((i64::from(p >> 2) + 1) >> 1).min(31)
}

/// How pixel bytes become network inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalization {
    /// ai8x: integer code `n` = [`q7_from_byte`] in `[−128, 127]` (the hardware input); the
    /// training value is `n / 128`, in `[−1, 127/128]`.
    Ai8x,
    /// GTI: integer code [`gti_from_byte`] in `[0, 31]`; the training value is that integer.
    /// Channels stay in file order (RGB); GTI trains on BGR, which is the caller's choice.
    Gti,
    /// `p / 255` in `[0, 1]`; no integer code.
    Unit,
}

impl Normalization {
    pub const ALL: [Normalization; 3] =
        [Normalization::Ai8x, Normalization::Gti, Normalization::Unit];

    /// The name used on the command line: `ai8x`, `gti`, `unit`.
    pub fn name(self) -> &'static str {
        match self {
            Normalization::Ai8x => "ai8x",
            Normalization::Gti => "gti",
            Normalization::Unit => "unit",
        }
    }

    /// The byte → integer code mapping, for the modes that have one.
    fn code_fn(self) -> Option<fn(u8) -> i64> {
        match self {
            Normalization::Ai8x => Some(q7_from_byte),
            Normalization::Gti => Some(gti_from_byte),
            Normalization::Unit => None,
        }
    }

    /// The integer input code of a pixel, for the modes that have one.
    pub fn code(self, p: u8) -> Option<i64> {
        self.code_fn().map(|f| f(p))
    }

    /// The training value of a pixel (exact in f32 for ai8x and gti).
    pub fn value(self, p: u8) -> f32 {
        match self {
            Normalization::Ai8x => q7_from_byte(p) as f32 / 128.0,
            Normalization::Gti => gti_from_byte(p) as f32,
            Normalization::Unit => f32::from(p) / 255.0,
        }
    }

    /// The training value of every byte, indexed by the byte.
    pub fn table(self) -> [f32; 256] {
        std::array::from_fn(|p| self.value(p as u8))
    }

    /// A `[C, H, W]` byte image as training values.
    pub fn values(self, img: ArrayView3<u8>) -> Array3<f32> {
        let lut = self.table();
        img.mapv(|p| lut[usize::from(p)])
    }

    /// A `[C, H, W]` byte image as integer codes (the ai8x hardware input), if the mode has them.
    pub fn codes(self, img: ArrayView3<u8>) -> Option<Array3<i64>> {
        self.code_fn().map(|f| img.mapv(f))
    }
}

impl std::str::FromStr for Normalization {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Normalization::ALL
            .into_iter()
            .find(|n| n.name() == s)
            .ok_or_else(|| format!("unknown normalization {s:?} (ai8x, gti or unit)"))
    }
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
    fn gti_equals_rounded_eighth_clipped() {
        for p in 0..=255u8 {
            let half_up = ((f64::from(p) / 8.0) + 0.5).floor().min(31.0) as i64;
            assert_eq!(gti_from_byte(p), half_up, "p={p}");
        }
    }

    #[test]
    fn image_layouts() {
        let img = array![[[0u8, 255], [128, 127]]];
        let q = Normalization::Ai8x.codes(img.view()).unwrap();
        assert_eq!(q, array![[[-128i64, 127], [1, -1]]]);
        let v = Normalization::Ai8x.values(img.view());
        assert_eq!(
            v,
            array![[[-1.0f32, 127.0 / 128.0], [1.0 / 128.0, -1.0 / 128.0]]]
        );
        assert_eq!(Normalization::Unit.codes(img.view()), None);
    }
}
