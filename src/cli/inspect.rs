//! `qtool inspect`: flags → `load` + `inspect` → stdout.

use super::args::Device;
use crate::device::max78000;
use crate::ir::{Dims, Shape};
use crate::load::{LoadRequest, load_max78000};
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
    /// Target device.
    #[arg(long, value_enum, default_value = "max78000")]
    pub device: Device,
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

pub fn run(a: &InspectArgs) -> Result<ExitCode> {
    let Device::Max78000 = a.device;
    let req = LoadRequest {
        network: a.network.clone(),
        checkpoint: a.checkpoint.clone(),
        sample_input: a.sample_input.clone(),
        input_shape: a.input_shape.as_deref().map(parse_shape).transpose()?,
        ..Default::default()
    };
    let built = load_max78000(&req)?;
    for w in &built.warnings {
        tracing::warn!("{w}");
    }
    max78000::check_graph(&built.graph)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.network.display()))?;
    let report = crate::inspect::inspect_max78000(&built.graph, built.warnings);
    let text = if a.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        crate::inspect::render_text(&report)
    };
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
