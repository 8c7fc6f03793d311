//! `qtool inspect`: a description (and checkpoint) loaded and checked, reported by the device.
//!
//! Must not parse flags or print.

use super::JobError;
use super::load::load_checked;
use crate::device::{LoadRequest, Report, Target};

/// Load and check `req` on `target`; the device's report of it.
pub fn inspect(target: &dyn Target, req: &LoadRequest) -> Result<Report, JobError> {
    let loaded = load_checked(target, req)?;
    Ok(target.inspect(&loaded)?)
}
