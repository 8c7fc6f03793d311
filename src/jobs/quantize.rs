//! `qtool quantize`: a float (or QAT) checkpoint → the device's quantized checkpoint, written
//! atomically, and the per-layer table.
//!
//! Owns reading the input checkpoint (refusing an already quantized one), the `--config`
//! policy, and writing the result; which widths and integers each layer gets is the device's
//! ([`crate::device::Target::quantize`]). Must not parse flags or print.

use super::{JobError, refuse_existing};
use crate::checkpoint::CheckpointError;
use crate::checkpoint::graph::split_optimizer;
use crate::checkpoint::native::NativeCheckpoint;
use crate::device::{QuantizeRequest, QuantizedLayer, Target};
use crate::quant::{ClipMethod, QatPolicy};
use crate::train::progress::training_meta;
use std::path::PathBuf;
use std::sync::Arc;

/// What to quantize.
#[derive(Debug, Clone)]
pub struct QuantizeJob {
    pub target: Arc<dyn Target>,
    pub network: PathBuf,
    pub checkpoint: PathBuf,
    pub out: PathBuf,
    pub overwrite: bool,
    pub method: ClipMethod,
    /// Bit widths: a QAT-policy-style file (`weight_bits`, `overrides`).
    pub config: Option<PathBuf>,
}

/// What a job did: the quantized layers, the per-layer table and what it noticed.
#[derive(Debug, Clone)]
pub struct QuantizeReport {
    /// How the integers were obtained, as the checkpoint records it.
    pub method: String,
    pub rows: Vec<QuantizedLayer>,
    pub table: String,
    pub warnings: Vec<String>,
}

/// Quantize the checkpoint of `job` and write it.
pub fn quantize(job: &QuantizeJob) -> Result<QuantizeReport, JobError> {
    refuse_existing(&job.out, job.overwrite)?;
    let file = job.checkpoint.display().to_string();
    let native = NativeCheckpoint::read(&job.checkpoint).map_err(CheckpointError::from)?;
    if let Some(method) = native.meta.clipping_method {
        return Err(JobError::AlreadyQuantized { file, method });
    }
    let meta = training_meta(&native.meta, &job.checkpoint)?;
    if let Some(s) = meta
        .as_ref()
        .and_then(|m| m.qat.as_ref())
        .and_then(|q| q.scheme)
    {
        return Err(JobError::SchemeCheckpoint {
            file,
            scheme: s.name(),
        });
    }
    let trained = meta
        .and_then(|m| m.qat)
        .filter(|q| q.active)
        .map(|q| q.policy);
    let config = match &job.config {
        Some(p) => Some((QatPolicy::read(p)?, p.display().to_string())),
        None => None,
    };
    let (params, _) = split_optimizer(native.tensors, &job.checkpoint)?;
    let req = QuantizeRequest {
        network: job.network.clone(),
        checkpoint: job.checkpoint.clone(),
        epoch: native.meta.epoch,
        params,
        trained,
        method: job.method,
        config,
    };
    let quantized = job.target.quantize(&req)?;
    quantized
        .checkpoint
        .write(&job.out)
        .map_err(CheckpointError::from)?;
    Ok(QuantizeReport {
        method: quantized
            .checkpoint
            .meta
            .clipping_method
            .clone()
            .unwrap_or_default(),
        rows: quantized.layers,
        table: quantized.table,
        warnings: quantized.warnings,
    })
}
