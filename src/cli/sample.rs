//! `qtool sample`: one test image as the integer sample input (`sample_<dataset>.npy`) that
//! `convert` and `sim` read for the known-answer test.

use super::train::DataFlags;
use crate::jobs::sample::{SampleJob, sample};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `qtool sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    #[command(flatten)]
    pub data: DataFlags,
    /// Index of the image in the test split.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub index: usize,
    /// Where to write the int64 `[C, H, W]` `.npy`.
    #[arg(long, value_name = "NPY")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(a: &SampleArgs) -> Result<ExitCode> {
    let label = sample(&SampleJob {
        data: a.data.source(),
        index: a.index,
        out: a.out.clone(),
        overwrite: a.overwrite,
    })?;
    super::print_stdout(&format!(
        "{}: test image {} (label {label}), ai8x-normalized\n",
        a.out.display(),
        a.index,
    ))?;
    Ok(ExitCode::SUCCESS)
}
