//! One array through one quantizer (`qtool fakequant`): the scheme-neutral interface. Each
//! scheme lives with its arithmetic (`gti-weight`, `gti-act`: [`super::gti::tensor`]); the
//! list of schemes by name is [`super::registry`].

use ndarray::ArrayD;
use serde_json::Value;
use thiserror::Error;

/// The options a scheme may read; each scheme says which it needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TensorOptions {
    /// `--chip`: the chip of a device family (GTI: 2801, 2803, 5801).
    pub chip: Option<String>,
    /// `--mask`: coefficient mask bits.
    pub mask: Option<u8>,
    /// `--cap`: an activation's clipping value.
    pub cap: Option<f32>,
    /// `--ten-bits`: a 10-bit activation.
    pub ten_bits: bool,
    /// `--truncate`: truncate codes instead of rounding them (compatibility modes).
    pub truncate: bool,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TensorQuantError {
    #[error("--scheme {name}: unknown quantizer (known: {known})")]
    Unknown { name: String, known: String },
    #[error("--scheme {scheme}: {message}")]
    Options {
        scheme: &'static str,
        message: String,
    },
    #[error("--scheme {scheme}: the input {message}")]
    Input {
        scheme: &'static str,
        message: String,
    },
}

/// An array after a quantizer.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedTensor {
    /// The quantized values (float32, the input's shape).
    pub values: ArrayD<f32>,
    /// Parameters the quantizer chose or was given (`"shift"`, `"cap"`, …), for the report.
    pub parameters: Vec<(String, Value)>,
}

/// A quantizer of whole arrays.
pub trait TensorQuantizer: Send + Sync {
    fn name(&self) -> &'static str;

    fn apply(
        &self,
        x: &ArrayD<f32>,
        options: &TensorOptions,
    ) -> Result<QuantizedTensor, TensorQuantError>;
}
