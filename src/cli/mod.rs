//! Command-line front end: parse flags, call a library function, print. No logic here.
//!
//! Exit codes: 0 success, 1 a check that ran and failed, 2 bad input or usage.

mod analyze;
mod args;
mod convert;
mod fakequant;
mod fuse;
mod inspect;
mod izer_options;
mod quantize;
mod sample;
mod scheme;
mod sim;
mod train;

use crate::device::{Registry, Target};
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;

/// Train, quantize and deploy small CNNs bit-exactly on ultra-low-power CNN accelerators.
#[derive(Debug, Parser)]
#[command(name = "qtool", version, about, long_about = None)]
pub struct Cli {
    /// Print errors only (no warnings, no progress).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a network layer by layer: shapes, operators, quantization and device resources.
    Inspect(inspect::InspectArgs),
    /// Generate a MAX78000 SDK project (cnn.c, cnn.h, main.c, weights.h, sampledata.h,
    /// sampleoutput.h, softmax.c, Makefile, project.mk) as izer's ai8xize.py does; izer's
    /// option names are accepted. With --device gti: GTI's converter inputs (chip JSON with
    /// scaling, filter.txt, bias.txt), the full-model JSON, FC .bin files, labels.txt, and
    /// qtool's own .dat/.model containers — GTI's SDK cannot load those two (their real
    /// layouts are not public); qtool's inspect and sim read them back.
    Convert(convert::ConvertArgs),
    /// Simulate a quantized network bit-exactly (known-answer tests, dataset evaluation).
    ///
    /// Matches izer's simulation, quirks included: 2-D average pooling truncates toward zero,
    /// and with --avg-pool-rounding rounds half away from zero (izer's documentation says half
    /// toward +∞; its simulation, which the known answers come from, rounds half away from
    /// zero); 1-D average pooling always truncates; 32-bit outputs are the raw accumulator
    /// without any shift; `--mlator` does not change the known-answer words.
    Sim(sim::SimArgs),
    /// Train a network description on a data set (burn, CPU): per-epoch validation,
    /// RUNDIR/latest.safetensors every epoch, best.safetensors on improvement, metrics.csv,
    /// curves.png; same seed → byte-identical checkpoints whatever --threads.
    Train(Box<train::TrainArgs>),
    /// Evaluate a checkpoint on the test split: top-1, top-5, loss, confusion matrix. Float
    /// and QAT checkpoints of `qtool train`, or with --quantized a quantized one in simulate
    /// mode (the device's arithmetic; same predictions as `sim --evaluate`).
    Eval(train::EvalArgs),
    /// Fold batch norm into the preceding operators of a float checkpoint (ai8x's rule, with
    /// the ÷4 of MAX78000 layers), for post-training quantization.
    Fuse(fuse::FuseArgs),
    /// Quantize a float or QAT checkpoint for MAX78000 (ai8x-synthesis quantize.py's
    /// arithmetic): integer weights and biases, output shifts and widths per layer, for `sim`
    /// and `convert`; prints the per-layer table.
    Quantize(quantize::QuantizeArgs),
    /// Write one test image as an ai8x-normalized int64 sample input (`sample_<dataset>.npy`)
    /// for `convert` and `sim`.
    Sample(sample::SampleArgs),
    /// One float32 array through one quantizer (`gti-weight`, `gti-act`, `quantclip`, `gfpq`),
    /// to see what it does.
    Fakequant(fakequant::FakeQuantArgs),
    /// Look inside a network layer by layer: percentile limits and msb of kernels, operator
    /// inputs and raw outputs (default, --ranges), --extract of outputs and raw sums as .npy,
    /// --histograms as PNG, --compare (cosine of the scheme's model against float), or
    /// --compare-sim (a quantized checkpoint through the bit-exact simulator and the fake-quant
    /// model of `eval --quantized`: the share of bit-identical values per layer).
    Analyze(analyze::AnalyzeArgs),
}

/// What every command gets besides its flags: the devices it can target and `--quiet`.
pub struct Context<'a> {
    pub registry: &'a Registry,
    pub quiet: bool,
    /// The command line, as generated files record it.
    pub command_line: String,
}

impl Context<'_> {
    /// The device of `--device` (with `--chip` and `--full-model`, for a device that takes
    /// them).
    fn target(&self, flag: &args::DeviceFlag) -> anyhow::Result<Arc<dyn Target>> {
        Ok(self.registry.get_variant(&flag.device, &flag.options())?)
    }
}

/// Entry point of the binary: the command line of this process, the built-in devices.
pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str));
        eprintln!(
            "qtool: internal error: {} (please report this)",
            what.unwrap_or("panic")
        );
    }));
    run_with(std::env::args_os(), &Registry::builtin())
}

/// Run one command line (`args[0]` is the program name) against the devices of `registry`;
/// the exit code the binary would return.
pub fn run_with<I, T>(args: I, registry: &Registry) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let command_line = args
        .iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            if let Some(flag) = unsupported_izer_option(&e) {
                eprintln!("error: izer option {flag} is not supported by qtool yet");
                return ExitCode::from(2);
            }
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging(cli.quiet);
    let ctx = Context {
        registry,
        quiet: cli.quiet,
        command_line,
    };
    let result = match &cli.command {
        Command::Inspect(a) => inspect::run(a, &ctx),
        Command::Sim(a) => sim::run(a, &ctx),
        Command::Convert(a) => convert::run(a, &ctx),
        Command::Train(a) => train::run_train(a, &ctx),
        Command::Eval(a) => train::run_eval(a, &ctx),
        Command::Fuse(a) => fuse::run(a, &ctx),
        Command::Quantize(a) => quantize::run(a, &ctx),
        Command::Sample(a) => sample::run(a, &ctx),
        Command::Fakequant(a) => fakequant::run(a),
        Command::Analyze(a) => analyze::run(a, &ctx),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The izer option behind an "unexpected argument" error, if it is one.
fn unsupported_izer_option(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(flag)) if izer_options::is_izer_option(flag) => {
            Some(flag.split('=').next().unwrap_or(flag).to_string())
        }
        _ => None,
    }
}

fn init_logging(quiet: bool) {
    let level = if quiet {
        tracing::Level::ERROR
    } else {
        tracing::Level::WARN
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .without_time()
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Write `text` to stdout; a closed pipe (`qtool … | head`) is not an error.
fn print_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
