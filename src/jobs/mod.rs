//! One library function per command: what `qtool <command>` does, callable without the command
//! line. `src/cli` parses flags, calls one function here, prints its answer and maps errors to
//! exit codes; everything else happens here or below.
//!
//! Owns the order of a command's stages and the rules shared by commands (one load → check
//! sequence, [`load::load_checked`]; refusing to overwrite outputs; running on a given number
//! of threads). A job reaches a device only through [`crate::device::Target`]. Must not parse
//! flags or print (warnings of the front ends go to `tracing`).
//!
//! Adding a command: a file here with its request type and function, a file in `src/cli` with
//! its flags, one variant in `cli::Command`.

pub mod analyze;
pub mod convert;
pub mod eval;
pub mod fakequant;
pub mod fuse;
pub mod inspect;
pub mod load;
pub mod model;
pub mod quantize;
pub mod sample;
pub mod sim;
pub mod train;

use crate::checkpoint::CheckpointError;
use crate::data::DataError;
use crate::device::{TargetError, UnknownDevice};
use crate::train::qat::QatError;
use crate::train::run::RunError;
use burn::tensor::Device;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a job failed: one line naming the file (and layer and key where there is one).
#[derive(Debug, Error)]
pub enum JobError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    UnknownDevice(#[from] UnknownDevice),
    /// The device's own error, which names its file.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The device's error about `file`, which does not name it.
    #[error("{file}: {error}")]
    TargetOn { file: String, error: TargetError },
    #[error("{file}: {source}")]
    Model { file: String, source: QatError },
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(
        "{dir}: output directory exists and is not empty (pass --overwrite, or --resume-from a checkpoint in it)"
    )]
    OutDirExists { dir: String },
    #[error("{dir}: {source}")]
    OutDir { dir: String, source: std::io::Error },
    #[error("cannot start {threads} threads: {message}")]
    Threads { threads: usize, message: String },
    #[error("{file}: {message}")]
    Recipe { file: String, message: String },
    #[error(transparent)]
    Policy(#[from] crate::quant::PolicyError),
    #[error("{file}: exists (pass --overwrite to replace it)")]
    OutputExists { file: String },
    #[error(
        "{file}: trained with --scheme {scheme}, which has no integer deployment on a device; evaluate it with `qtool eval` or `qtool analyze`"
    )]
    SchemeCheckpoint { file: String, scheme: &'static str },
    #[error("{file}: already quantized ({method}); quantize its float checkpoint instead")]
    AlreadyQuantized { file: String, method: String },
    #[error("{file}: a quantized checkpoint; evaluate it with --quantized")]
    Quantized { file: String },
    #[error("{file}: not a quantized checkpoint; run `qtool quantize` first, or drop --quantized")]
    NotQuantized { file: String },
    #[error("{file}: {source}")]
    Fuse {
        file: String,
        source: crate::fuse::FuseError,
    },
    #[error("{file}: {message}")]
    Input { file: String, message: String },
    #[error(transparent)]
    Quantizer(#[from] crate::quant::tensor::TensorQuantError),
    #[error(transparent)]
    Npy(#[from] crate::io::npy::NpyError),
    #[error("{file}: {action}: {error}")]
    Io {
        file: String,
        action: &'static str,
        error: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

impl JobError {
    /// A device's error about `file`, which does not name it.
    pub fn target(file: &Path, error: TargetError) -> Self {
        JobError::TargetOn {
            file: file.display().to_string(),
            error,
        }
    }

    /// An I/O error on `file` while doing `action` ("cannot write").
    pub fn io(file: &Path, action: &'static str, error: std::io::Error) -> Self {
        JobError::Io {
            file: file.display().to_string(),
            action,
            error,
        }
    }
}

/// Refuse to replace an existing output unless asked to.
pub fn refuse_existing(path: &Path, overwrite: bool) -> Result<(), JobError> {
    if path.exists() && !overwrite {
        return Err(JobError::OutputExists {
            file: path.display().to_string(),
        });
    }
    Ok(())
}

/// Where the data of a job comes from.
#[derive(Debug, Clone)]
pub struct DataSource {
    pub kind: crate::data::DatasetKind,
    pub dir: PathBuf,
}

/// Run `f` on a pool of exactly `threads` threads (all cores if `None`).
pub fn on_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> Result<T, JobError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| JobError::Threads {
        threads: threads.unwrap_or(0),
        message: e.to_string(),
    })?;
    Ok(pool.install(f))
}

/// The devices a training or evaluation job runs on: burn's flex CPU backend, with and
/// without autodiff.
fn burn_devices() -> (Device, Device) {
    let base = Device::flex();
    (base.clone().autodiff(), base)
}
