//! `qtool analyze`: flags → one mode of [`crate::jobs::analyze`] → a table or one JSON object.
//!
//! Exactly one mode flag is given (`--compare-sim`; later modes join the `mode` group).

use super::args::QuantizedNetwork;
use crate::data::{DatasetKind, bundled_mnist_dir};
use crate::jobs::DataSource;
use crate::jobs::analyze::{AnalysisData, CompareSimJob, DEFAULT_IMAGES, compare_sim};
use anyhow::Result;
use clap::{ArgGroup, Args};
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `qtool analyze`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("mode").required(true).args(["compare_sim"])))]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub net: QuantizedNetwork,
    /// Run a quantized checkpoint through the bit-exact simulator and through the fake-quant
    /// model of `eval --quantized`, and report per layer the share of bit-identical values,
    /// the first difference, and the cosine between the fake-quant model and the float model
    /// of the same weights. Exit 0 whatever the share.
    #[arg(long)]
    pub compare_sim: bool,
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
    /// Print one JSON object (its schema: `qtool::jobs::analyze::compare_sim`'s documentation).
    #[arg(long)]
    pub json: bool,
}

fn parse_dataset(s: &str) -> Result<DatasetKind, String> {
    s.parse()
}

pub fn run(a: &AnalyzeArgs, ctx: &super::Context) -> Result<ExitCode> {
    // The `mode` group lets exactly one mode through; --compare-sim is the only one so far.
    run_compare_sim(a, ctx)
}

/// The first `--images` test images of `--data-dir`.
fn data(a: &AnalyzeArgs) -> AnalysisData {
    AnalysisData {
        source: DataSource {
            kind: a.dataset,
            dir: a.data_dir.clone().unwrap_or_else(bundled_mnist_dir),
        },
        images: a.images as usize,
    }
}

fn run_compare_sim(a: &AnalyzeArgs, ctx: &super::Context) -> Result<ExitCode> {
    let report = compare_sim(&CompareSimJob {
        target: ctx.target(&a.net.device)?,
        network: a.net.network.clone(),
        checkpoint: a.net.checkpoint.clone(),
        data: data(a),
    })?;
    let text = if a.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        report.table()
    };
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
