//! `qtool quantize`: flags → quantized checkpoint → the per-layer table.

use super::args::DeviceFlag;
use crate::jobs::quantize::{QuantizeJob, quantize};
use crate::quant::ClipMethod;
use anyhow::{Result, anyhow};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// How each layer's clipping magnitude is chosen.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ClipFlag {
    /// The largest |w ∪ b| (or the policy's shift_quantile): ai8x's default, what QAT trained.
    Max,
    /// 1/--scale.
    Scale,
    /// Mean over output channels of each channel's largest |w|.
    Avg,
    /// Larger magnitude of the mean channel minimum and the mean channel maximum.
    Avgmax,
    /// Mean ± --stddev standard deviations, within the weights' range.
    Stddev,
}

/// Flags of `qtool quantize`.
#[derive(Debug, Args)]
pub struct QuantizeArgs {
    #[command(flatten)]
    pub device: DeviceFlag,
    /// Network description (MAX78000 YAML); its per-layer `quantization` keys set widths.
    #[arg(long, short = 'n', value_name = "YAML")]
    pub network: PathBuf,
    /// Float or QAT checkpoint of `qtool train` / `qtool fuse` (.safetensors).
    #[arg(long, short = 'c', value_name = "CKPT")]
    pub checkpoint: PathBuf,
    /// Where to write the quantized checkpoint (.safetensors).
    #[arg(long, value_name = "CKPT")]
    pub out: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub overwrite: bool,
    /// Clipping method (default: max, the power-of-two shift of the largest parameter).
    #[arg(long, value_enum, ignore_case = true, default_value = "max")]
    pub clip_method: ClipFlag,
    /// Scale S of --clip-method scale (clipping magnitude 1/S).
    #[arg(long, value_name = "S", default_value_t = 0.85)]
    pub scale: f32,
    /// Standard deviations of --clip-method stddev.
    #[arg(long, value_name = "N", default_value_t = 2.0)]
    pub stddev: f32,
    /// Bit widths: a QAT-policy-style YAML (`weight_bits`, `overrides: {layer: {weight_bits}}`).
    #[arg(long, value_name = "BITS.yaml")]
    pub config: Option<PathBuf>,
}

pub fn run(a: &QuantizeArgs, ctx: &super::Context) -> Result<ExitCode> {
    let target = ctx.target(&a.device)?;
    if !(a.scale.is_finite() && a.scale > 0.0) {
        return Err(anyhow!("--scale {}: must be a positive number", a.scale));
    }
    if !(a.stddev.is_finite() && a.stddev > 0.0) {
        return Err(anyhow!("--stddev {}: must be a positive number", a.stddev));
    }
    let method = match a.clip_method {
        ClipFlag::Max => ClipMethod::MaxBitShift,
        ClipFlag::Scale => ClipMethod::Scale(a.scale),
        ClipFlag::Avg => ClipMethod::Avg,
        ClipFlag::Avgmax => ClipMethod::AvgMax,
        ClipFlag::Stddev => ClipMethod::StdDev(a.stddev),
    };
    let report = quantize(&QuantizeJob {
        target,
        network: a.network.clone(),
        checkpoint: a.checkpoint.clone(),
        out: a.out.clone(),
        overwrite: a.overwrite,
        method,
        config: a.config.clone(),
    })
    .map_err(|e| anyhow!(e))?;
    if !ctx.quiet {
        eprint!("{}", warning_lines(&report.warnings));
    }
    super::print_stdout(&format!(
        "{}quantized checkpoint ({}): {}\n",
        report.table,
        report.method,
        a.out.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `warning: …` lines for the warnings of a job.
fn warning_lines(warnings: &[String]) -> String {
    warnings.iter().map(|w| format!("warning: {w}\n")).collect()
}
