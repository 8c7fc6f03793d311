//! `qtool sample`: one test image as the integer sample input (`sample_<dataset>.npy`) that
//! `convert` and `sim` read for the known-answer test.

use super::args::DeviceFlag;
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
    pub device: DeviceFlag,
    /// Fit the image to this network's input (`--device gti`: grey images replicated
    /// B = G = R and enlarged to the chip network's size).
    #[arg(long, value_name = "FILE")]
    pub network: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataFlags,
    /// Index of the image in the test split.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub index: usize,
    /// Where to write the `[C, H, W]` `.npy` (int64 ai8x codes; uint8 5-bit codes for gti).
    #[arg(long, value_name = "NPY")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(a: &SampleArgs, ctx: &super::Context) -> Result<ExitCode> {
    let (label, norm) = sample(&SampleJob {
        target: ctx.target(&a.device)?,
        network: a.network.clone(),
        data: a.data.source(),
        index: a.index,
        out: a.out.clone(),
        overwrite: a.overwrite,
    })?;
    super::print_stdout(&format!(
        "{}: test image {} (label {label}), {}-normalized\n",
        a.out.display(),
        a.index,
        norm.name(),
    ))?;
    Ok(ExitCode::SUCCESS)
}
