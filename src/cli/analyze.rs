//! `qtool analyze`: flags → one job of [`crate::jobs::analyze`] → a text report or one JSON
//! object.
//!
//! `--compare-sim` (a quantized checkpoint against the simulator) runs alone. Without it the
//! checkpoint is analysed as `eval` runs it, in the modes asked for: `--ranges` (the default
//! when no mode is given), `--extract DIR`, `--histograms DIR`, `--compare`. Exit 0, or 1 when
//! `--fail-below` finds a layer below its threshold; bad input exits 2.

use super::args::DeviceFlag;
use super::scheme::SchemeFlags;
use crate::data::{DatasetKind, bundled_mnist_dir};
use crate::jobs::DataSource;
use crate::jobs::analyze::{
    AnalysisData, CheckpointJob, CompareRequest, CompareSimJob, DEFAULT_IMAGES,
    DEFAULT_PERCENTILES, ModelSource, analyze_checkpoint, compare_sim,
};
use anyhow::{Result, bail};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `qtool analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub device: DeviceFlag,
    /// Network description (MAX78000 YAML).
    #[arg(long, short = 'n', value_name = "YAML", visible_alias = "config-file")]
    pub network: PathBuf,
    /// The checkpoint: quantized for --compare-sim; otherwise a float checkpoint (optionally
    /// with --scheme) or one trained with a scheme (`qtool train --scheme` or QAT).
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        visible_alias = "checkpoint-file"
    )]
    pub checkpoint: PathBuf,
    /// Run a quantized checkpoint through the bit-exact simulator and through the fake-quant
    /// model of `eval --quantized`, and report per layer the share of bit-identical values,
    /// the first difference, and the cosine between the fake-quant model and the float model
    /// of the same weights. Exit 0 whatever the share. Runs alone.
    #[arg(long)]
    pub compare_sim: bool,
    /// Per quantized layer and for all together: the limits holding each of --percentiles of
    /// the kernel, operator input and raw output (sum of products before the bias) values,
    /// and the msb covering them. The default when no other mode is given.
    #[arg(long)]
    pub ranges: bool,
    /// Percentiles of the range table and the histograms, comma-separated, each in (0, 100].
    #[arg(long, value_name = "P,P,…", allow_hyphen_values = true)]
    pub percentiles: Option<String>,
    /// Write every layer's output (`<layer>.npy`, float32 [N, C, H, W]) and each operator's
    /// raw sum before the bias (`<layer>.raw.npy`) for the analysed images into DIR.
    #[arg(long, value_name = "DIR")]
    pub extract: Option<PathBuf>,
    /// Draw per quantized layer and for all together the histograms of kernel and raw output
    /// values with each percentile's limits (PNG files in DIR).
    #[arg(long, value_name = "DIR")]
    pub histograms: Option<PathBuf>,
    /// Cosine per layer between the checkpoint's fake-quantized model and a reference (its
    /// parameters in float, or --reference), flagging layers below 0.98.
    #[arg(long)]
    pub compare: bool,
    /// With --compare: the reference checkpoint of the same network (run as `eval` runs it).
    #[arg(long, value_name = "FILE")]
    pub reference: Option<PathBuf>,
    /// With --compare: exit 1 when a layer's cosine is below T (0 < T ≤ 1).
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub fail_below: Option<f64>,
    /// Replace existing --extract and --histograms folders.
    #[arg(long)]
    pub overwrite: bool,
    /// With a float checkpoint: post-training fake quantization as `eval --scheme` does
    /// (calibrated on the training split).
    #[command(flatten)]
    pub scheme: SchemeFlags,
    /// Analyse the first N images of the test split (all of them when it has fewer).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_IMAGES as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub images: u32,
    /// Data set folder (default: the bundled MNIST digits, data/mnist).
    #[arg(long, value_name = "DIR", visible_alias = "data")]
    pub data_dir: Option<PathBuf>,
    /// Format of --data-dir (mnist, fashion, cifar10, cifar100, folder, npy).
    #[arg(long, value_name = "KIND", default_value = "mnist", value_parser = parse_dataset)]
    pub dataset: DatasetKind,
    /// Print one JSON object (its schema: the documentation of
    /// `qtool::jobs::analyze::compare_sim` and `qtool::jobs::analyze::checkpoint`).
    #[arg(long)]
    pub json: bool,
}

fn parse_dataset(s: &str) -> Result<DatasetKind, String> {
    s.parse()
}

pub fn run(a: &AnalyzeArgs, ctx: &super::Context) -> Result<ExitCode> {
    if a.compare_sim {
        run_compare_sim(a, ctx)
    } else {
        run_checkpoint(a, ctx)
    }
}

/// The data set of `--data-dir`.
fn source(a: &AnalyzeArgs) -> DataSource {
    DataSource {
        kind: a.dataset,
        dir: a.data_dir.clone().unwrap_or_else(bundled_mnist_dir),
    }
}

fn print(a: &AnalyzeArgs, report: &impl serde::Serialize, text: String) -> Result<()> {
    let text = if a.json {
        serde_json::to_string_pretty(report)? + "\n"
    } else {
        text
    };
    Ok(super::print_stdout(&text)?)
}

fn run_compare_sim(a: &AnalyzeArgs, ctx: &super::Context) -> Result<ExitCode> {
    let others = [
        ("--ranges", a.ranges),
        ("--percentiles", a.percentiles.is_some()),
        ("--extract", a.extract.is_some()),
        ("--histograms", a.histograms.is_some()),
        ("--compare", a.compare),
        ("--reference", a.reference.is_some()),
        ("--fail-below", a.fail_below.is_some()),
        ("--overwrite", a.overwrite),
        ("--scheme", a.scheme.scheme.is_some()),
    ];
    if let Some((flag, _)) = others.iter().find(|(_, given)| *given) {
        bail!("--compare-sim runs alone: drop {flag}");
    }
    let report = compare_sim(&CompareSimJob {
        target: ctx.target(&a.device)?,
        network: a.network.clone(),
        checkpoint: a.checkpoint.clone(),
        data: AnalysisData {
            source: source(a),
            images: a.images as usize,
        },
    })?;
    print(a, &report, report.table())?;
    Ok(ExitCode::SUCCESS)
}

/// `--percentiles` as numbers (their range is the job's to check).
fn percentiles(a: &AnalyzeArgs) -> Result<Vec<f64>> {
    let Some(list) = a.percentiles.as_deref() else {
        return Ok(DEFAULT_PERCENTILES.to_vec());
    };
    list.split(',')
        .map(|p| {
            let p = p.trim();
            p.parse::<f64>()
                .map_err(|_| anyhow::anyhow!("--percentiles {p:?}: not a number"))
        })
        .collect()
}

fn run_checkpoint(a: &AnalyzeArgs, ctx: &super::Context) -> Result<ExitCode> {
    for (flag, given) in [
        ("--reference", a.reference.is_some()),
        ("--fail-below", a.fail_below.is_some()),
    ] {
        if given && !a.compare {
            bail!("{flag} needs --compare");
        }
    }
    let job = CheckpointJob {
        model: ModelSource {
            target: ctx.target(&a.device)?,
            network: a.network.clone(),
            checkpoint: a.checkpoint.clone(),
            scheme: a.scheme.settings()?,
            data: source(a),
            normalization: None,
        },
        images: a.images as usize,
        ranges: a.ranges,
        percentiles: percentiles(a)?,
        extract: a.extract.clone(),
        histograms: a.histograms.clone(),
        compare: a.compare.then(|| CompareRequest {
            reference: a.reference.clone(),
            fail_below: a.fail_below,
        }),
        overwrite: a.overwrite,
    };
    let report = analyze_checkpoint(&job)?;
    print(a, &report, report.text())?;
    let failed = report.compare.as_ref().is_some_and(|c| c.failed);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
