//! `qtool sim`: flags → [`crate::jobs::sim`] → files and a verdict.

use super::args::{IzerKatFlags, QuantizedNetwork};
use crate::eval::Progress;
use crate::jobs::sim::{SimEvalJob, SimJob, Verdict};
use anyhow::{Result, bail};
use clap::Args;
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
    /// With --evaluate: worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_name = "N", requires = "evaluate", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

/// `--evaluate`: the test split through the simulator.
fn evaluate(a: &SimArgs, ctx: &super::Context) -> Result<ExitCode> {
    let target = ctx.target(&a.net.device)?;
    let job = SimEvalJob {
        network: a.net.network.clone(),
        checkpoint: a.net.checkpoint.clone(),
        data: a
            .data
            .clone()
            .unwrap_or_else(crate::data::bundled_mnist_dir),
        sim: a.izer.sim(),
        predictions: a.predictions.clone(),
        threads: a.threads.map(usize::from),
        progress: if ctx.quiet {
            Progress::Quiet
        } else {
            Progress::Bar
        },
    };
    let report = crate::jobs::sim::evaluate(target.as_ref(), &job)?;
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

pub fn run(a: &SimArgs, ctx: &super::Context) -> Result<ExitCode> {
    if a.evaluate {
        return evaluate(a, ctx);
    }
    let target = ctx.target(&a.net.device)?;
    let Some(input) = &a.input else {
        bail!("--input is required")
    };
    let job = SimJob {
        network: a.net.network.clone(),
        checkpoint: a.net.checkpoint.clone(),
        input: input.clone(),
        output: a.output.clone(),
        log_intermediate: a.log_intermediate.clone(),
        write_kat: a.write_kat.clone(),
        expect: a.expect.clone(),
        izer: a.izer.izer(),
    };
    let outcome = crate::jobs::sim::simulate(target.as_ref(), &job)?;
    Ok(match outcome.verdict {
        Some(Verdict::Passed(n)) => {
            super::print_stdout(&format!("KAT passed ({n} values)\n"))?;
            ExitCode::SUCCESS
        }
        Some(Verdict::Failed(m)) => {
            eprintln!("KAT failed: {m}");
            ExitCode::from(1)
        }
        None => {
            let text: Vec<String> = outcome.output.iter().map(i64::to_string).collect();
            super::print_stdout(&format!("output: {}\n", text.join(" ")))?;
            ExitCode::SUCCESS
        }
    })
}
