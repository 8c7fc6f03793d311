//! `qtool fakequant`: flags → [`crate::jobs::fakequant`] → a report.

use crate::jobs::fakequant::{FakeQuantJob, fakequant};
use crate::quant::tensor::TensorOptions;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `qtool fakequant`.
#[derive(Debug, Args)]
pub struct FakeQuantArgs {
    /// The quantizer: `gti-weight` (needs --chip, --mask), `gti-act` (needs --cap),
    /// `quantclip` (needs --bits and --msb or --msb-percentile) or `gfpq` (needs --bits).
    #[arg(long, value_name = "NAME")]
    pub scheme: String,
    /// The chip of a device family (GTI: 2801, 2803, 5801).
    #[arg(long, value_name = "N")]
    pub chip: Option<String>,
    /// Coefficient mask bits (GTI: 1, 2, 3, 5, 8, 12 as the chip has them).
    #[arg(long, value_name = "BITS")]
    pub mask: Option<u8>,
    /// The activation's cap (clipping value).
    #[arg(long, value_name = "A", allow_negative_numbers = true)]
    pub cap: Option<f32>,
    /// A 10-bit activation (1023 codes instead of 31).
    #[arg(long)]
    pub ten_bits: bool,
    /// Truncate 5-bit weight codes (GTI's TensorFlow MDK) instead of rounding them.
    #[arg(long)]
    pub truncate: bool,
    /// Width of a `quantclip` (1 to 24) or `gfpq` (8 or 16) quantizer.
    #[arg(long, value_name = "N")]
    pub bits: Option<u8>,
    /// `quantclip`: the amplitude exponent (range ±2^M).
    #[arg(long, value_name = "M", allow_negative_numbers = true)]
    pub msb: Option<i32>,
    /// `quantclip`: choose the msb covering the limits that hold P % of the values.
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub msb_percentile: Option<f64>,
    /// `gfpq`: init (coefficient from the data, the default), update (the wider of the data's
    /// and --coefficient) or apply (--coefficient only).
    #[arg(long, value_name = "MODE")]
    pub gfpq_mode: Option<String>,
    /// `gfpq`: a stored coefficient (the top code k_max).
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub coefficient: Option<i32>,
    /// Float32 `.npy` to quantize (weights `[out, in, kh, kw]` for `gti-weight`).
    #[arg(long, value_name = "NPY")]
    pub input: PathBuf,
    /// Where to write the quantized float32 `.npy`.
    #[arg(long, value_name = "NPY")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub overwrite: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &FakeQuantArgs) -> Result<ExitCode> {
    let report = fakequant(&FakeQuantJob {
        scheme: a.scheme.clone(),
        options: TensorOptions {
            chip: a.chip.clone(),
            mask: a.mask,
            cap: a.cap,
            ten_bits: a.ten_bits,
            truncate: a.truncate,
            bits: a.bits,
            msb: a.msb,
            msb_percentile: a.msb_percentile,
            mode: a.gfpq_mode.clone(),
            coefficient: a.coefficient,
        },
        input: a.input.clone(),
        out: a.out.clone(),
        overwrite: a.overwrite,
    })?;
    let text = if a.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        let params: Vec<String> = report
            .parameters
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        format!(
            "{}: {} {:?} ({}): {} levels, max |error| {:.6}, rms {:.6}\n",
            a.out.display(),
            report.scheme,
            report.shape,
            params.join(", "),
            report.levels,
            report.max_abs_error,
            report.rms_error
        )
    };
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
