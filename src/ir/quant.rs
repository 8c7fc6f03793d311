//! Quantization attributes carried by IR nodes.
//!
//! Owns the typed vocabulary (weight width, output shift, activation range, scheme). The
//! arithmetic that applies them lives in `quant` (training) and `sim` (integer engine).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Width of quantized weights. MAX78000 supports 1, 2, 4 and 8 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum WeightBits {
    B1,
    B2,
    B4,
    B8,
}

impl WeightBits {
    pub fn bits(self) -> u8 {
        match self {
            WeightBits::B1 => 1,
            WeightBits::B2 => 2,
            WeightBits::B4 => 4,
            WeightBits::B8 => 8,
        }
    }

    /// The shift the hardware applies on top of `output_shift` for narrow weights (`8 − bits`).
    pub fn implicit_shift(self) -> i32 {
        8 - i32::from(self.bits())
    }

    /// Smallest and largest integer weight of this width.
    pub fn range(self) -> (i64, i64) {
        let half = 1i64 << (self.bits() - 1);
        (-half, half - 1)
    }
}

impl TryFrom<u8> for WeightBits {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        match v {
            1 => Ok(WeightBits::B1),
            2 => Ok(WeightBits::B2),
            4 => Ok(WeightBits::B4),
            8 => Ok(WeightBits::B8),
            other => Err(format!(
                "weight width must be 1, 2, 4 or 8 bits, not {other}"
            )),
        }
    }
}

impl From<WeightBits> for u8 {
    fn from(b: WeightBits) -> u8 {
        b.bits()
    }
}

impl fmt::Display for WeightBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.bits())
    }
}

/// Which quantization scheme produced (or will produce) a node's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantScheme {
    /// Plain floating point, not quantized.
    #[default]
    Float,
    /// MAX78000 power-of-two scaling (ai8x-training / izer).
    Max78000,
    /// Gyrfalcon Lightspeeur mask-bit scheme.
    Gti,
}

/// Activation output range after quantization.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ActQuant {
    /// Bits of the activation output (8 on MAX78000; 32 for the wide last layer).
    pub bits: u8,
    /// Upper clip of the activation in float units, if any (e.g. ReLU cap of GTI).
    pub cap: Option<f32>,
}

/// Quantization state of one node. `None` fields are not yet decided (float model).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct QuantAttrs {
    pub scheme: QuantScheme,
    pub weight_bits: Option<WeightBits>,
    pub bias_bits: Option<u8>,
    /// Output shift as written in the network description or checkpoint, *without* the
    /// implicit `8 − bits` of narrow weights.
    pub output_shift: Option<i32>,
    pub act: Option<ActQuant>,
}

impl QuantAttrs {
    /// Shift the hardware applies: `output_shift + (8 − weight bits)`.
    pub fn total_shift(&self) -> Option<i32> {
        let bits = self.weight_bits.unwrap_or(WeightBits::B8);
        self.output_shift.map(|s| s + bits.implicit_shift())
    }
}
