//! One array through one quantizer (`qtool fakequant`): the scheme-neutral interface. Each
//! scheme lives with its arithmetic (`gti-weight`, `gti-act`: [`super::gti::tensor`]); the
//! list of schemes by name is [`super::registry`]; the helpers every scheme shares (refusing
//! non-finite input, parallel passes) are here.

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
    /// `--bits`: the width of a fixed-point or logarithmic quantizer.
    pub bits: Option<u8>,
    /// `--msb`: a fixed-point quantizer's amplitude exponent.
    pub msb: Option<i32>,
    /// `--msb-percentile`: choose the msb from the limits holding this share of the values.
    pub msb_percentile: Option<f64>,
    /// `--gfpq-mode`: `init`, `update` or `apply`.
    pub mode: Option<String>,
    /// `--coefficient`: a stored coefficient (GFPQ's `k_max`).
    pub coefficient: Option<i32>,
}

/// Refuse an array holding NaN or ±∞, naming the first such value.
pub fn finite(scheme: &'static str, x: &ArrayD<f32>) -> Result<(), TensorQuantError> {
    let bad = match x.as_slice() {
        Some(v) => v.iter().position(|v| !v.is_finite()).map(|i| (i, v[i])),
        None => x
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite())
            .map(|(i, v)| (i, *v)),
    };
    match bad {
        None => Ok(()),
        Some((i, v)) => Err(TensorQuantError::Input {
            scheme,
            message: format!("value {i} is {v}"),
        }),
    }
}

/// `x`'s values in logical (row-major) order, as one contiguous vector (a copy of its memory
/// when it is already laid out so).
pub fn contiguous(x: &ArrayD<f32>) -> Vec<f32> {
    match x.as_slice() {
        Some(v) => v.to_vec(),
        None => x.iter().copied().collect(),
    }
}

/// Apply `f` to `values` in parallel chunks (one vectorised pass per chunk).
pub fn par_apply(values: &mut [f32], f: impl Fn(&mut [f32]) + Sync + Send) {
    use rayon::prelude::*;
    values.par_chunks_mut(1 << 16).for_each(f);
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
