//! `qtool fuse`: fold the batch norms of a float checkpoint into its operators, then run the
//! device's own fusion (GTI's gain editing), for post-training quantization or the next
//! training stage.
//!
//! Owns reading the checkpoint onto the description's graph and writing the folded one;
//! the folding itself is [`crate::fuse`]'s, the device's fusion the device's. Must not parse
//! flags or print.

use super::load::load;
use super::{JobError, refuse_existing};
use crate::device::{LoadRequest, Target};
use crate::train::progress;
use std::path::PathBuf;
use std::sync::Arc;

/// A batch-norm folding job.
#[derive(Debug, Clone)]
pub struct FuseJob {
    /// The device whose description format (and batch-norm conventions) the network uses.
    pub target: Arc<dyn Target>,
    pub network: PathBuf,
    pub checkpoint: PathBuf,
    pub out: PathBuf,
    pub overwrite: bool,
}

/// What a fusion did.
#[derive(Debug, Clone, Default)]
pub struct FuseReport {
    /// Folded batch norms.
    pub folded: usize,
    /// What the device's own fusion did, one line each.
    pub device: Vec<String>,
}

/// Fold the batch norms of a float checkpoint into its operators, run the device's fusion
/// and write the result (parameters, widths and caps; the optimizer state does not survive a
/// change of parameters).
pub fn fuse(job: &FuseJob) -> Result<FuseReport, JobError> {
    refuse_existing(&job.out, job.overwrite)?;
    let req = LoadRequest {
        network: job.network.clone(),
        ..Default::default()
    };
    let mut graph = load(job.target.as_ref(), &req)?.graph;
    let loaded = progress::load_into(&job.checkpoint, &mut graph)?;
    let folded = crate::fuse::fold_batchnorm(&mut graph).map_err(|e| JobError::Fuse {
        file: job.checkpoint.display().to_string(),
        source: e,
    })?;
    let device = job
        .target
        .fuse(&mut graph)
        .map_err(|e| JobError::target(&job.checkpoint, e))?;
    progress::save_params(&job.out, &graph, loaded.meta.as_ref())?;
    Ok(FuseReport { folded, device })
}
