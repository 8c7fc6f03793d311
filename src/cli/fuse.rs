//! `qtool fuse`: flags → batch-norm folding (and the device's fusion) of a checkpoint → a
//! summary.

use super::args::DeviceFlag;
use crate::jobs::fuse::{FuseJob, fuse};
use anyhow::{Result, anyhow};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `qtool fuse`.
#[derive(Debug, Args)]
pub struct FuseArgs {
    #[command(flatten)]
    pub device: DeviceFlag,
    /// Network description (MAX78000 YAML).
    #[arg(long, value_name = "YAML")]
    pub network: PathBuf,
    /// Float checkpoint written by `qtool train` (.safetensors).
    #[arg(long, value_name = "CKPT")]
    pub checkpoint: PathBuf,
    /// Where to write the folded checkpoint (.safetensors).
    #[arg(long, value_name = "CKPT")]
    pub out: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(a: &FuseArgs, ctx: &super::Context) -> Result<ExitCode> {
    let report = fuse(&FuseJob {
        target: ctx.target(&a.device)?,
        network: a.network.clone(),
        checkpoint: a.checkpoint.clone(),
        out: a.out.clone(),
        overwrite: a.overwrite,
    })
    .map_err(|e| anyhow!(e))?;
    let folded = report.folded;
    let mut text = String::new();
    for line in &report.device {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&format!(
        "folded {folded} batch norm{} into {}\n",
        if folded == 1 { "" } else { "s" },
        a.out.display()
    ));
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
