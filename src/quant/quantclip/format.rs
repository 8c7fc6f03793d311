//! The fixed-point format of one quantclip quantizer: an amplitude `A = 2^msb` and `n` bits,
//! two's-complement codes with step `q = 2^(msb+1−n)` covering `[−A, A − q]`, and truncation
//! toward −∞. Also the `k:i:o` resolution triple of a layer (kernel, input, raw output).
//!
//! Owns the arithmetic on host values; the tensor form with its straight-through gradient is
//! [`super::fake`]. Must not pick an msb from data ([`super::range`] does).

use crate::ir::{FixedFormat, OperatorFormats};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The widest quantclip width.
pub const MAX_BITS: u8 = 24;
/// The msb range qtool accepts: every amplitude and step stays a normal f32 power of two.
pub const MSB_RANGE: std::ops::RangeInclusive<i32> = -100..=100;

/// One quantizer: amplitude exponent and width, checked to be in range (the IR's
/// [`FixedFormat`] as quantclip computes with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedPoint {
    pub msb: i32,
    pub bits: u8,
}

impl FixedPoint {
    /// A quantizer, if `msb` and `bits` are in range.
    pub fn new(msb: i32, bits: u8) -> Result<Self, String> {
        if !(1..=MAX_BITS).contains(&bits) {
            return Err(format!("a width of {bits} bits (1 to {MAX_BITS})"));
        }
        if !MSB_RANGE.contains(&msb) {
            return Err(format!(
                "msb {msb} (qtool keeps msb in {}..={})",
                MSB_RANGE.start(),
                MSB_RANGE.end()
            ));
        }
        Ok(FixedPoint { msb, bits })
    }

    /// `A = 2^msb`.
    pub fn amplitude(self) -> f32 {
        pow2(self.msb)
    }

    /// `q = 2^(msb + 1 − n)`.
    pub fn step(self) -> f32 {
        pow2(self.msb + 1 - i32::from(self.bits))
    }

    /// The largest representable value, `A − q` (exact in f32 for widths up to 24 bits).
    pub fn top(self) -> f32 {
        self.amplitude() - self.step()
    }

    /// `q · floor(min(max(x, −A), A − q) / q)`; NaN stays NaN.
    pub fn quantize(self, x: f32) -> f32 {
        let (q, inv) = (self.step(), pow2(i32::from(self.bits) - 1 - self.msb));
        (x.clamp(-self.amplitude(), self.top()) * inv).floor() * q
    }

    /// Quantize a slice in place (one vectorisable pass).
    pub fn quantize_slice(self, values: &mut [f32]) {
        let (lo, hi) = (-self.amplitude(), self.top());
        let (q, inv) = (self.step(), pow2(i32::from(self.bits) - 1 - self.msb));
        for v in values {
            *v = ((*v).clamp(lo, hi) * inv).floor() * q;
        }
    }
}

impl fmt::Display for FixedPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "msb {} / {} bits", self.msb, self.bits)
    }
}

/// `2^e` as f32 (exact for the exponents [`MSB_RANGE`] allows).
pub fn pow2(e: i32) -> f32 {
    2f64.powi(e) as f32
}

/// The widths of a layer's three quantizers, `k:i:o` (kernel, input, raw output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub kernel: u8,
    pub input: u8,
    pub output: u8,
}

impl FromStr for Resolution {
    type Err = String;
    /// `K:I:O`, three integers in 1–24.
    fn from_str(s: &str) -> Result<Self, String> {
        let parts = s.split(':').map(str::trim).collect::<Vec<_>>();
        let bad = || format!("`{s}` is not three widths K:I:O in 1–{MAX_BITS} (e.g. 8:8:8)");
        let [k, i, o] = parts.as_slice() else {
            return Err(bad());
        };
        let width = |t: &str| {
            t.parse::<u8>()
                .ok()
                .filter(|b| (1..=MAX_BITS).contains(b))
                .ok_or_else(bad)
        };
        Ok(Resolution {
            kernel: width(k)?,
            input: width(i)?,
            output: width(o)?,
        })
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.kernel, self.input, self.output)
    }
}

/// The three msb values of a layer (`--msb K:I:O` sets one triple for all layers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsbTriple {
    pub kernel: i32,
    pub input: i32,
    pub output: i32,
}

impl FromStr for MsbTriple {
    type Err = String;
    /// `K:I:O`, three integers (may be negative).
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{s}` is not three msb values K:I:O in {}..={} (e.g. 0:9:9)",
                MSB_RANGE.start(),
                MSB_RANGE.end()
            )
        };
        let parts = s
            .split(':')
            .map(|t| {
                t.trim()
                    .parse::<i32>()
                    .ok()
                    .filter(|m| MSB_RANGE.contains(m))
                    .ok_or_else(bad)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let [kernel, input, output] = parts.as_slice() else {
            return Err(bad());
        };
        Ok(MsbTriple {
            kernel: *kernel,
            input: *input,
            output: *output,
        })
    }
}

impl From<FixedPoint> for FixedFormat {
    fn from(f: FixedPoint) -> FixedFormat {
        FixedFormat {
            msb: f.msb,
            bits: f.bits,
        }
    }
}

impl TryFrom<FixedFormat> for FixedPoint {
    type Error = String;
    fn try_from(f: FixedFormat) -> Result<Self, String> {
        FixedPoint::new(f.msb, f.bits)
    }
}

/// A layer's three formats from its msb triple and resolution.
pub fn operator_formats(msb: MsbTriple, res: Resolution) -> Result<OperatorFormats, String> {
    Ok(OperatorFormats {
        kernel: FixedPoint::new(msb.kernel, res.kernel)?.into(),
        input: FixedPoint::new(msb.input, res.input)?.into(),
        output: FixedPoint::new(msb.output, res.output)?.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_examples() {
        let f = FixedPoint::new(0, 8).unwrap();
        assert_eq!((f.amplitude(), f.step()), (1.0, 1.0 / 128.0));
        assert_eq!(f.quantize(0.30), 0.296875);
        assert_eq!(f.quantize(-0.30), -0.3046875);
        assert_eq!(f.quantize(1.7), 0.9921875);
        assert_eq!(f.quantize(-1.0), -1.0);
        assert_eq!(f.quantize(-7.0), -1.0);
        let g = FixedPoint::new(9, 8).unwrap();
        assert_eq!(g.quantize(377.8), 376.0);
        assert_eq!(g.quantize(-1008.0), -512.0);
        let mut v = [0.30, -0.30, 1.7, f32::NAN];
        f.quantize_slice(&mut v);
        assert_eq!(&v[..3], &[0.296875, -0.3046875, 0.9921875]);
        assert!(v[3].is_nan());
    }

    #[test]
    fn widths_and_triples_parse_or_refuse() {
        let r: Resolution = "8:6:6".parse().unwrap();
        assert_eq!((r.kernel, r.input, r.output), (8, 6, 6));
        for bad in ["8:6", "0:6:6", "8:6:x", "8:6:25", "8:6:6:6", ""] {
            assert!(bad.parse::<Resolution>().is_err(), "{bad}");
        }
        let m: MsbTriple = "0:9:-2".parse().unwrap();
        assert_eq!((m.kernel, m.input, m.output), (0, 9, -2));
        assert!("0:9".parse::<MsbTriple>().is_err());
        assert!("0:9:999".parse::<MsbTriple>().is_err());
        assert!(FixedPoint::new(0, 0).is_err() && FixedPoint::new(0, 25).is_err());
        // 24 bits: the top A − q is still exact.
        let f = FixedPoint::new(3, 24).unwrap();
        assert_eq!(f64::from(f.top()), 8.0 - 2f64.powi(3 + 1 - 24));
    }
}
