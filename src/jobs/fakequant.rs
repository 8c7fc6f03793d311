//! `qtool fakequant`: one float32 array through one quantizer ([`crate::quant::tensor`]),
//! written as float32 `.npy`, and what it did (parameters, distinct levels, error).
//!
//! Must not parse flags or print.

use super::{JobError, refuse_existing};
use crate::io::npy;
use crate::quant::registry::scheme;
use crate::quant::tensor::{TensorOptions, TensorQuantError};
use serde::Serialize;
use std::path::PathBuf;

/// Which quantizer, with which options, from which file to which.
#[derive(Debug, Clone)]
pub struct FakeQuantJob {
    pub scheme: String,
    pub options: TensorOptions,
    pub input: PathBuf,
    pub out: PathBuf,
    pub overwrite: bool,
}

/// What the quantizer did to the array.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FakeQuantReport {
    pub scheme: &'static str,
    pub shape: Vec<usize>,
    /// Parameters the scheme chose or was given (`shift`, `cap`, …).
    pub parameters: serde_json::Map<String, serde_json::Value>,
    /// Distinct output values.
    pub levels: usize,
    pub max_abs_error: f64,
    pub rms_error: f64,
}

/// Quantize `job.input` into `job.out`.
pub fn fakequant(job: &FakeQuantJob) -> Result<FakeQuantReport, JobError> {
    let quantizer = scheme(&job.scheme)?;
    refuse_existing(&job.out, job.overwrite)?;
    let x = npy::read_float(&job.input)?;
    let quantized = quantizer.apply(&x, &job.options).map_err(|e| match e {
        TensorQuantError::Input { .. } => JobError::Input {
            file: job.input.display().to_string(),
            message: e.to_string(),
        },
        e => e.into(),
    })?;
    let (y, params) = (quantized.values, quantized.parameters);
    let (mut max, mut sum) = (0f64, 0f64);
    for (a, b) in x.iter().zip(&y) {
        let d = f64::from(*a) - f64::from(*b);
        max = max.max(d.abs());
        sum += d * d;
    }
    let mut levels: Vec<f32> = y.iter().copied().collect();
    levels.sort_by(f32::total_cmp);
    levels.dedup();
    npy::write_f32(&job.out, &y)?;
    Ok(FakeQuantReport {
        scheme: quantizer.name(),
        shape: x.shape().to_vec(),
        parameters: params.into_iter().collect(),
        levels: levels.len(),
        max_abs_error: max,
        rms_error: (sum / x.len().max(1) as f64).sqrt(),
    })
}
