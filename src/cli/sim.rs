//! `qtool sim`: flags → load + simulate → files and a verdict.

use super::args::{Device, IzerKatFlags, QuantizedNetwork};
use crate::atomic::write_bytes_atomic;
use crate::checkpoint::npy;
use crate::device::max78000 as kat;
use crate::eval::Progress;
use crate::ir::{Graph, Op};
use crate::load::{LoadRequest, load_max78000};
use crate::sim;
use anyhow::{Context, Result, bail};
use clap::Args;
use ndarray::{Array3, ArrayD};
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `qtool sim` (the izer quirks it matches are listed in its `--help`).
#[derive(Debug, Args)]
pub struct SimArgs {
    #[command(flatten)]
    pub net: QuantizedNetwork,
    /// Sample input `.npy` (int64 `[C,H,W]` or `[C,L]`, values in [-128, 127]).
    #[arg(
        long,
        short = 'i',
        value_name = "NPY",
        required_unless_present = "evaluate"
    )]
    pub input: Option<PathBuf>,
    /// Write the final layer's output as int64 `.npy` (`[C,H,W]`, `[C]` for Linear).
    #[arg(long, short = 'o', value_name = "NPY")]
    pub output: Option<PathBuf>,
    /// Write per-layer integer data (data.npy, weights.npy, bias.npy) into this folder.
    #[arg(long, value_name = "DIR")]
    pub log_intermediate: Option<PathBuf>,
    /// Write the known-answer header (izer's `sampleoutput.h` format) for this input.
    #[arg(long, value_name = "FILE")]
    pub write_kat: Option<PathBuf>,
    /// Compare the simulated output with a `sampleoutput.h` (izer's or ours): exit 0 and
    /// print `KAT passed`, or exit 1 naming the first mismatching address.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    #[command(flatten)]
    pub izer: IzerKatFlags,
    /// Run the whole test split of a dataset through the simulator.
    #[arg(long, conflicts_with_all = ["input", "output", "log_intermediate", "write_kat", "expect"])]
    pub evaluate: bool,
    /// Dataset folder for --evaluate (MNIST IDX files; default: the bundled MNIST).
    #[arg(long, value_name = "DIR", requires = "evaluate")]
    pub data: Option<PathBuf>,
    /// With --evaluate: print one JSON object (`top1`/`top5` in percent).
    #[arg(long, requires = "evaluate")]
    pub json: bool,
    /// With --evaluate: write the predicted class per sample as int64 `.npy`.
    #[arg(long, value_name = "NPY", requires = "evaluate")]
    pub predictions: Option<PathBuf>,
}

/// The final output as `--output` writes it.
fn final_output(graph: &Graph, out: &Array3<i64>) -> ArrayD<i64> {
    let last = graph.nodes.last();
    let (c, h, w) = out.dim();
    match last.map(|n| &n.op) {
        Some(Op::Linear { .. }) if h * w == 1 => out
            .clone()
            .into_shape_with_order(c)
            .map(|a| a.into_dyn())
            .unwrap_or_else(|_| out.clone().into_dyn()),
        Some(Op::Conv1d(_)) if w == 1 => out
            .clone()
            .into_shape_with_order((c, h))
            .map(|a| a.into_dyn())
            .unwrap_or_else(|_| out.clone().into_dyn()),
        _ => out.clone().into_dyn(),
    }
}

/// `--evaluate`: the test split through the simulator.
fn evaluate(a: &SimArgs, quiet: bool) -> Result<ExitCode> {
    let dir = a
        .data
        .clone()
        .unwrap_or_else(crate::data::bundled_mnist_dir);
    let set = crate::data::load_mnist_split(&dir, crate::data::Split::Test)?;
    let (c, h, w) = set.chw();
    let req = LoadRequest {
        network: a.net.network.clone(),
        checkpoint: Some(a.net.checkpoint.clone()),
        input_shape: Some(crate::ir::Shape::d2(c, h, w)),
        ..Default::default()
    };
    let built = load_max78000(&req)?;
    crate::device::max78000::check_graph(&built.graph)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.net.network.display()))?;
    let progress = if quiet {
        Progress::Quiet
    } else {
        Progress::Bar
    };
    let opts = a.izer.sim();
    let report = crate::eval::evaluate_simulator(&built.graph, &set, opts, progress)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    if let Some(p) = &a.predictions {
        crate::eval::write_predictions(p, &report)?;
    }
    let text = if a.json {
        let v = serde_json::json!({
            "top1": 100.0 * report.top1,
            "top5": 100.0 * report.top5,
            "samples": report.samples,
            "images_per_s": report.images_per_s,
            "seconds": report.seconds,
            "confusion": report.confusion,
        });
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        format!("{report}\n{}", report.confusion_table())
    };
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(a: &SimArgs, quiet: bool) -> Result<ExitCode> {
    let Device::Max78000 = a.net.device;
    if a.evaluate {
        return evaluate(a, quiet);
    }
    let Some(input_path) = &a.input else {
        bail!("--input is required")
    };
    let req = LoadRequest {
        network: a.net.network.clone(),
        checkpoint: Some(a.net.checkpoint.clone()),
        sample_input: Some(input_path.clone()),
        ..Default::default()
    };
    let built = load_max78000(&req)?;
    for w in &built.warnings {
        tracing::warn!("{w}");
    }
    crate::device::max78000::check_graph(&built.graph)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.net.network.display()))?;
    let sample = npy::read_i64_with_rank(input_path, &[2, 3])?;
    let input = sim::input_tensor(&sample).with_context(|| input_path.display().to_string())?;
    let opts = a.izer.sim();
    let prepared = sim::Prepared::new(&built.graph)?;
    let result = prepared.run(&input, opts, a.log_intermediate.is_some())?;
    if let Some(dir) = &a.log_intermediate {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        sim::write_intermediate(dir, &built.graph, &result.traces)?;
    }
    let last = result.outputs.last().context("the network has no layers")?;
    if let Some(path) = &a.output {
        npy::write_i64(path, &final_output(&built.graph, last))?;
    }
    let kat = a.izer.kat();
    let words = kat::sample_output_words(
        &kat::check_words(&built.graph, &result.outputs, &kat)?,
        &kat,
    );
    if let Some(path) = &a.write_kat {
        write_bytes_atomic(path, kat::render_sample_output(&words).as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    if let Some(path) = &a.expect {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let expected = kat::parse_sample_output(&text, &path.display().to_string())?;
        return Ok(match kat::compare(&expected, &words) {
            Ok(n) => {
                super::print_stdout(&format!("KAT passed ({n} values)\n"))?;
                ExitCode::SUCCESS
            }
            Err(m) => {
                eprintln!("KAT failed: {m}");
                ExitCode::from(1)
            }
        });
    }
    let text: Vec<String> = last.iter().map(i64::to_string).collect();
    super::print_stdout(&format!("output: {}\n", text.join(" ")))?;
    Ok(ExitCode::SUCCESS)
}
