//! The one load → check sequence every command that reads a network runs.
//!
//! Owns the order (load the description and checkpoint through the device, report what the
//! front end noticed, check the device's limits) and the file an error is blamed on. Must not
//! know any description format.

use super::JobError;
use crate::device::{LoadRequest, Loaded, Target};

/// Load `req` through `target`, log the front end's warnings, and check the device's limits.
pub fn load_checked(target: &dyn Target, req: &LoadRequest) -> Result<Loaded, JobError> {
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
