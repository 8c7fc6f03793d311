//! Quantization attributes carried by IR nodes.
//!
//! Owns the typed, scheme-neutral vocabulary (weight width, output shift, activation range,
//! fixed-point formats, logarithmic coefficients, scheme). What a width or shift means in arithmetic belongs to the scheme or device that
//! applies it, never to the IR.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Width of quantized weights in bits, 1 to 32. The IR accepts any width a scheme can name;
/// the scheme or device that uses a width checks it is one it supports (MAX78000: 1, 2, 4 or
/// 8 bits; GTI masks: 1 to 12 bits; fixed-point schemes: up to 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct WeightBits(u8);

impl WeightBits {
    pub const B1: WeightBits = WeightBits(1);
    pub const B2: WeightBits = WeightBits(2);
    pub const B4: WeightBits = WeightBits(4);
    pub const B8: WeightBits = WeightBits(8);
    /// The widest width the IR can carry.
    pub const MAX: u8 = 32;

    pub fn bits(self) -> u8 {
        self.0
    }

    /// Smallest and largest two's-complement integer of this width.
    pub fn range(self) -> (i64, i64) {
        let half = 1i64 << (self.0 - 1);
        (-half, half - 1)
    }
}

impl TryFrom<u8> for WeightBits {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        if (1..=Self::MAX).contains(&v) {
            Ok(WeightBits(v))
        } else {
            Err(format!(
                "weight width must be 1 to {} bits, not {v}",
                Self::MAX
            ))
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
    /// Fixed-point "quantclip" (msb and width per quantizer), PULP-style engines.
    Quantclip,
    /// HiSilicon NNIE's logarithmic grouped floating point.
    Gfpq,
}

impl QuantScheme {
    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            QuantScheme::Float => "float",
            QuantScheme::Max78000 => "max78000",
            QuantScheme::Gti => "gti",
            QuantScheme::Quantclip => "quantclip",
            QuantScheme::Gfpq => "gfpq",
        }
    }
}

/// A fixed-point format: amplitude `2^msb`, `bits` two's-complement bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedFormat {
    pub msb: i32,
    pub bits: u8,
}

/// The fixed-point formats of a layer's operator: kernel, operator input and raw sum of
/// products (before the bias).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorFormats {
    pub kernel: FixedFormat,
    pub input: FixedFormat,
    pub output: FixedFormat,
}

/// A logarithmic quantizer's width and top code (`±2^(k/S)`, `k ≤ top`) for the data
/// entering a layer; `None` until calibrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogCoefficient {
    pub bits: u8,
    pub top: Option<i32>,
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
    /// The weights take the two values −1 and +1 (one bit each) instead of `weight_bits`'
    /// two's-complement range; `weight_bits` is then 1.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
    pub bias_bits: Option<u8>,
    /// Output shift as written in the network description or checkpoint (any shift a device
    /// adds on its own, such as MAX78000's `8 − bits` for narrow weights, is the device's).
    pub output_shift: Option<i32>,
    pub act: Option<ActQuant>,
    /// Fixed-point formats of the operator's kernel, input and raw output (quantclip).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formats: Option<OperatorFormats>,
    /// The logarithmic coefficient of the data entering the layer (GFPQ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_data: Option<LogCoefficient>,
}
