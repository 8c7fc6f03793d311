//! `qtool convert`: flags (izer's spelling) → [`crate::jobs::convert`] → an output directory
//! written atomically.

use super::args::{IzerKatFlags, QuantizedNetwork};
use crate::device::{ConvertRequest, IzerOptions};
use crate::jobs::convert::ConvertJob;
use anyhow::{Context, Result, bail};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// izer options that shape the generated C project.
#[derive(Debug, Args)]
pub struct IzerProjectFlags {
    /// izer `--softmax`: main.c unloads the output and runs a software softmax.
    #[arg(long)]
    pub softmax: bool,
    /// izer `--fifo`: load the input through the FIFOs.
    #[arg(long)]
    pub fifo: bool,
    /// izer `--fast-fifo`: feed the input through the RISC-V core's fast FIFO (implies --fifo;
    /// needs --riscv).
    #[arg(long)]
    pub fast_fifo: bool,
    /// izer `--no-unload`: main.c does not call cnn_unload(), and cnn.c does not define it.
    #[arg(long)]
    pub no_unload: bool,
    /// izer `--no-kat`: no known-answer test in main.c.
    #[arg(long)]
    pub no_kat: bool,
    /// izer `--timer N`: time the inference with timer N.
    #[arg(long, value_name = "N")]
    pub timer: Option<u32>,
    /// izer `--boost PORT.PIN`: turn on the boost circuit during inference.
    #[arg(long, value_name = "PORT.PIN")]
    pub boost: Option<String>,
    /// izer `--energy`: instrument main.c for energy measurement.
    #[arg(long)]
    pub energy: bool,
    /// izer `--riscv`: run the network from the RISC-V core.
    #[arg(long)]
    pub riscv: bool,
    /// izer `--riscv-debug` (implies --riscv).
    #[arg(long)]
    pub riscv_debug: bool,
    /// izer `--board-name`: MSDK board of the generated Makefile.
    #[arg(long, value_name = "NAME", default_value = "EvKit_V1")]
    pub board_name: String,
    /// izer `--no-bias [LIST]`: ignore the bias of these layers (all without a list).
    #[arg(long, value_name = "LIST", num_args = 0..=1, default_missing_value = "all")]
    pub no_bias: Option<String>,
    /// izer `--stop-after N`: layer N ends the network.
    #[arg(long, value_name = "N")]
    pub stop_after: Option<usize>,
    /// izer `--input-offset N` (hex with 0x): byte offset of the input in data memory.
    #[arg(long, value_name = "N", value_parser = parse_int)]
    pub input_offset: Option<u32>,
    /// izer `--compact-data` (the default; accepted for compatibility).
    #[arg(long)]
    pub compact_data: bool,
    /// izer `--mexpress` (the default; accepted for compatibility).
    #[arg(long)]
    pub mexpress: bool,
    /// izer `--new-kernel-loader` (the default; accepted for compatibility).
    #[arg(long)]
    pub new_kernel_loader: bool,
    /// izer `--overlap-data`: allow a layer's output to overwrite its input (qtool's checks
    /// never forbid it; accepted for compatibility).
    #[arg(long)]
    pub overlap_data: bool,
}

fn parse_int(s: &str) -> Result<u32, String> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|e| format!("`{s}`: {e}"))
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub net: QuantizedNetwork,
    /// Sample input `.npy` for the known-answer test (required for max78000 and max78002).
    #[arg(long, value_name = "NPY")]
    pub sample_input: Option<PathBuf>,
    /// Class names, one `ID NAME` line each, packaged as the model's labels file (gti;
    /// default: the class numbers).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Output directory (written atomically). Default: TEST_DIR/PREFIX.
    #[arg(long, value_name = "DIR", required_unless_present = "test_dir")]
    pub out: Option<PathBuf>,
    /// izer `--test-dir`: parent of the output directory (used with --prefix).
    #[arg(long, value_name = "DIR")]
    pub test_dir: Option<PathBuf>,
    /// izer `--prefix`: the test name in the sources (default: the output directory's name).
    #[arg(long, value_name = "NAME")]
    pub prefix: Option<String>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Write only the data headers (weights.h, sampledata.h, sampleoutput.h).
    #[arg(long)]
    pub headers_only: bool,
    /// Print the kernel memory map (izer `--verbose`).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// izer `--display-checkpoint`: print the per-layer table of the loaded network.
    #[arg(long)]
    pub display_checkpoint: bool,
    /// izer `--no-version-check` (qtool never checks; accepted for compatibility).
    #[arg(long, hide = true)]
    pub no_version_check: bool,
    #[command(flatten)]
    pub izer: IzerKatFlags,
    #[command(flatten)]
    pub project: IzerProjectFlags,
}

/// `--no-bias [LIST]`: `(layers, all)`.
fn no_bias_layers(list: &Option<String>) -> Result<(Vec<usize>, bool)> {
    match list.as_deref() {
        None => Ok((Vec::new(), false)),
        Some("all") => Ok((Vec::new(), true)),
        Some(l) => l
            .split(',')
            .map(|t| {
                t.trim()
                    .parse()
                    .with_context(|| format!("--no-bias: `{t}` is not a layer number"))
            })
            .collect::<Result<_>>()
            .map(|v| (v, false)),
    }
}

fn boost(b: &Option<String>) -> Result<Option<(u32, u32)>> {
    let Some(b) = b else { return Ok(None) };
    let parsed = b
        .split_once('.')
        .and_then(|(p, n)| Some((p.parse().ok()?, n.parse().ok()?)));
    match parsed {
        Some(v) => Ok(Some(v)),
        None => bail!("--boost: `{b}` is not PORT.PIN (e.g. 2.5)"),
    }
}

/// Every izer option of the command line.
fn izer_options(a: &ConvertArgs) -> Result<IzerOptions> {
    let f = &a.project;
    let (no_bias, no_bias_all) = no_bias_layers(&f.no_bias)?;
    Ok(IzerOptions {
        no_bias,
        no_bias_all,
        stop_after: f.stop_after,
        input_offset: f.input_offset,
        softmax: f.softmax,
        fifo: f.fifo,
        fast_fifo: f.fast_fifo,
        no_unload: f.no_unload,
        no_kat: f.no_kat,
        timer: f.timer,
        boost: boost(&f.boost)?,
        energy: f.energy,
        riscv: f.riscv,
        riscv_debug: f.riscv_debug,
        board_name: Some(f.board_name.clone()),
        ..a.izer.izer()
    })
}

pub fn run(a: &ConvertArgs, ctx: &super::Context) -> Result<ExitCode> {
    let target = ctx.target(&a.net.device)?;
    let out = match (&a.out, &a.test_dir) {
        (Some(o), _) => o.clone(),
        (None, Some(t)) => match &a.prefix {
            Some(p) => t.join(p),
            None => bail!("--test-dir needs --prefix (or pass --out)"),
        },
        (None, None) => bail!("pass --out DIR (or izer's --test-dir and --prefix)"),
    };
    let prefix = match &a.prefix {
        Some(p) => p.clone(),
        None => out
            .file_name()
            .map_or("cnn".into(), |n| n.to_string_lossy().into_owned()),
    };
    let job = ConvertJob {
        network: a.net.network.clone(),
        checkpoint: a.net.checkpoint.clone(),
        sample_input: a.sample_input.clone(),
        out: out.clone(),
        overwrite: a.overwrite,
        display_checkpoint: a.display_checkpoint && !ctx.quiet,
        request: ConvertRequest {
            prefix,
            command_line: ctx.command_line.clone(),
            headers_only: a.headers_only,
            verbose: a.verbose && !ctx.quiet,
            izer: izer_options(a)?,
            labels: a.labels.clone(),
        },
    };
    let outcome = crate::jobs::convert::convert(target.as_ref(), &job)?;
    if let Some(text) = &outcome.display {
        super::print_stdout(text)?;
    }
    if !outcome.verbose.is_empty() {
        super::print_stdout(&outcome.verbose)?;
    }
    if !ctx.quiet {
        super::print_stdout(&format!(
            "wrote {} ({})\n",
            out.display(),
            outcome.files.join(", ")
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
