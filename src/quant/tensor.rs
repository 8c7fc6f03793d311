//! One array through one quantizer (`qtool fakequant`): the scheme-neutral interface. Each
//! scheme lives with its arithmetic (`gti-weight`, `gti-act`: [`super::gti::tensor`]); the
//! list of schemes by name is [`super::registry`]; the helpers every scheme shares (refusing
//! non-finite input, parallel passes) are here.

use ndarray::ArrayD;
use rayon::prelude::*;
use serde_json::Value;
use std::borrow::Cow;
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

/// `x`'s values in logical (row-major) order: borrowed when it is already laid out so.
pub fn contiguous(x: &ArrayD<f32>) -> Cow<'_, [f32]> {
    match x.as_slice() {
        Some(v) => Cow::Borrowed(v),
        None => Cow::Owned(x.iter().copied().collect()),
    }
}

/// Apply `f` to `values` in parallel chunks (one vectorised pass per chunk).
pub fn par_apply(values: &mut [f32], f: impl Fn(&mut [f32]) + Sync + Send) {
    values.par_chunks_mut(CHUNK).for_each(f);
}

/// `f(input chunk, output chunk)` over `input` in parallel, into a new vector: one read and
/// one write pass.
pub fn par_map(input: &[f32], f: impl Fn(&[f32], &mut [f32]) + Sync + Send) -> Vec<f32> {
    let mut out = vec![0f32; input.len()];
    out.par_chunks_mut(CHUNK)
        .zip(input.par_chunks(CHUNK))
        .for_each(|(o, i)| f(i, o));
    out
}

/// The largest magnitude of `values` in one parallel pass, or the first value that is NaN
/// or ±∞ (refused, naming its index).
pub fn finite_max_abs(scheme: &'static str, values: &[f32]) -> Result<f32, TensorQuantError> {
    let (max, bad) = values
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, v)| {
            let bad = v.iter().position(|x| !x.is_finite()).map(|i| c * CHUNK + i);
            (v.iter().fold(0f32, |m, x| m.max(x.abs())), bad)
        })
        .reduce(
            || (0.0, None),
            |(m1, b1), (m2, b2)| (m1.max(m2), b1.into_iter().chain(b2).min()),
        );
    match bad {
        None => Ok(max),
        Some(i) => Err(TensorQuantError::Input {
            scheme,
            message: format!("value {i} is {}", values[i]),
        }),
    }
}

/// Values per parallel chunk.
const CHUNK: usize = 1 << 16;

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
