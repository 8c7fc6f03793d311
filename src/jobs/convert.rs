//! `qtool convert`: a quantized network and a sample input → the device's deployable project,
//! written atomically as one directory.
//!
//! Owns the order of the steps (load and check, sample input, project, optional report) and
//! the output directory's rules; which files a project has is the device's
//! ([`crate::device::Target::convert`]). Must not parse flags or print.

use super::JobError;
use super::load::load_checked;
use crate::device::{ConvertRequest, LoadRequest, Loaded, Target};
use crate::io::atomic::write_dir_atomic;
use crate::io::npy;
use std::path::PathBuf;

/// What to convert and where to.
#[derive(Debug, Clone, Default)]
pub struct ConvertJob {
    pub network: PathBuf,
    pub checkpoint: PathBuf,
    /// Sample input `.npy` for the known-answer test (required by devices that have one).
    pub sample_input: Option<PathBuf>,
    /// The project directory.
    pub out: PathBuf,
    pub overwrite: bool,
    /// Also report the loaded network as `inspect` does (izer's `--display-checkpoint`).
    pub display_checkpoint: bool,
    pub request: ConvertRequest,
}

/// What a conversion wrote and reported.
#[derive(Debug, Clone)]
pub struct ConvertOutcome {
    /// Names of the files written, in order.
    pub files: Vec<String>,
    /// The `inspect` text, with `display_checkpoint`.
    pub display: Option<String>,
    /// The device's description of its placement, with `request.verbose`.
    pub verbose: String,
}

/// Convert `job` on `target` and write the project directory.
pub fn convert(target: &dyn Target, job: &ConvertJob) -> Result<ConvertOutcome, JobError> {
    if job.out.exists() && !job.overwrite {
        return Err(JobError::Other(format!(
            "{}: exists; pass --overwrite to replace it",
            job.out.display()
        )));
    }
    target.check_options(&job.request.izer)?;
    let req = LoadRequest {
        network: job.network.clone(),
        checkpoint: Some(job.checkpoint.clone()),
        sample_input: job.sample_input.clone(),
        izer: job.request.izer.clone(),
        ..Default::default()
    };
    let loaded = load_checked(target, &req)?;
    let input = match &job.sample_input {
        Some(path) => {
            let sample = npy::read_i64_with_rank(path, &[2, 3])?;
            Some(
                target
                    .sample_input(&sample)
                    .map_err(|e| JobError::target(path, e))?,
            )
        }
        None => None,
    };
    let project = target
        .convert(&loaded.graph, input.as_ref(), &job.request)
        .map_err(|e| JobError::target(&job.network, e))?;
    let display = if job.display_checkpoint {
        let report = target.inspect(&Loaded {
            graph: loaded.graph,
            warnings: Vec::new(),
        })?;
        Some(report.text)
    } else {
        None
    };
    if let Some(parent) = job.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| JobError::Other(format!("{}: {e}", parent.display())))?;
    }
    write_dir_atomic(&job.out, &project.files, job.overwrite)
        .map_err(|e| JobError::Other(format!("{}: {e}", job.out.display())))?;
    Ok(ConvertOutcome {
        files: project.files.into_iter().map(|(n, _)| n).collect(),
        display,
        verbose: project.verbose,
    })
}
