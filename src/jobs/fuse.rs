//! `qtool fuse`: fold the batch norms of a float checkpoint into its operators, for
//! post-training quantization.
//!
//! Owns reading the checkpoint onto the description's graph and writing the folded one;
//! the folding itself is [`crate::fuse`]'s. Must not parse flags or print.

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

/// Fold the batch norms of a float checkpoint into its operators and write the result
/// (parameters only: the optimizer state does not survive a change of parameters). Returns the
/// number of folded layers.
pub fn fuse(job: &FuseJob) -> Result<usize, JobError> {
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
    progress::save_params(&job.out, &graph, loaded.meta.as_ref())?;
    Ok(folded)
}
