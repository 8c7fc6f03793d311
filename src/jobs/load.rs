//! The one load → check sequence every command that reads a network runs.
//!
//! Owns the order (load the description and checkpoint through the device, report what the
//! front end noticed, check the device's limits) and the file an error is blamed on. Must not
//! know any description format.

use super::JobError;
use crate::device::{LoadRequest, Loaded, Target};
use crate::train::progress::peek_meta;
use std::path::Path;

/// Load `req` through `target`, log the front end's warnings, and check the device's limits.
/// A checkpoint trained with a device-independent scheme is refused (it has no integers).
pub fn load_checked(target: &dyn Target, req: &LoadRequest) -> Result<Loaded, JobError> {
    if let Some(c) = &req.checkpoint {
        refuse_scheme_checkpoint(c)?;
    }
    let loaded = load(target, req)?;
    target
        .check(&loaded.graph)
        .map_err(|e| JobError::target(&req.network, e))?;
    Ok(loaded)
}

/// Load `req` through `target` and log the front end's warnings, without the limit check
/// (training graphs are checked by the device when they are quantized and converted).
pub fn load(target: &dyn Target, req: &LoadRequest) -> Result<Loaded, JobError> {
    let loaded = target.load(req)?;
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded)
}

/// Refuse a qtool checkpoint trained with `--scheme` (quantclip, GFPQ): it has no integer
/// form for `quantize`, `sim` or `convert`. Other files pass (their readers judge them).
pub fn refuse_scheme_checkpoint(path: &Path) -> Result<(), JobError> {
    let scheme = peek_meta(path)
        .ok()
        .flatten()
        .and_then(|m| m.qat)
        .and_then(|q| q.scheme);
    match scheme {
        Some(s) => Err(JobError::SchemeCheckpoint {
            file: path.display().to_string(),
            scheme: s.name(),
        }),
        None => Ok(()),
    }
}
