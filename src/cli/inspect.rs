//! `qtool inspect`: flags → [`crate::jobs::inspect`] → stdout.

use super::args::DeviceFlag;
use crate::device::LoadRequest;
use crate::ir::{Dims, Shape};
use anyhow::{Context, Result, bail};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Network description (MAX78000 YAML).
    #[arg(long, short = 'n', value_name = "YAML")]
    pub network: PathBuf,
    /// Quantized checkpoint (`.pth.tar` from ai8x-training, or qtool `.safetensors`).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    #[command(flatten)]
    pub device: DeviceFlag,
    /// Sample input `.npy` ([C,H,W] or [C,L]) that fixes the input shape.
    #[arg(long, value_name = "NPY")]
    pub sample_input: Option<PathBuf>,
    /// Input shape as C,H,W (or C,L) instead of a sample file.
    #[arg(long, value_name = "C,H,W", conflicts_with = "sample_input")]
    pub input_shape: Option<String>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_shape(s: &str) -> Result<Shape> {
    let v: Vec<usize> = s
        .split(',')
        .map(|p| p.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--input-shape `{s}`: expected C,H,W or C,L"))?;
    match v[..] {
        [c, l] => Ok(Shape {
            channels: c,
            dims: Dims::D1(l),
        }),
        [c, h, w] => Ok(Shape {
            channels: c,
            dims: Dims::D2(h, w),
        }),
        _ => bail!("--input-shape `{s}`: expected C,H,W or C,L"),
    }
}

pub fn run(a: &InspectArgs, ctx: &super::Context) -> Result<ExitCode> {
    let target = ctx.target(&a.device)?;
    let req = LoadRequest {
        network: a.network.clone(),
        checkpoint: a.checkpoint.clone(),
        sample_input: a.sample_input.clone(),
        input_shape: a.input_shape.as_deref().map(parse_shape).transpose()?,
        ..Default::default()
    };
    let report = crate::jobs::inspect::inspect(target.as_ref(), &req)?;
    super::print_stdout(if a.json { &report.json } else { &report.text })?;
    Ok(ExitCode::SUCCESS)
}
