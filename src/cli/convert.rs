//! `qtool convert`: flags (izer's spelling) → load + `crate::convert` → an output directory
//! written atomically.

use super::args::{Device, IzerKatFlags, QuantizedNetwork};
use crate::atomic::write_dir_atomic;
use crate::checkpoint::npy;
use crate::convert::{ConvertOptions, max78000_project};
use crate::device::max78000 as dev;
use crate::emit::max78000::ProjectOptions;
use crate::load::{LoadRequest, load_max78000};
use crate::netdesc::max78000::MapOptions;
use crate::sim;
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
    /// Sample input `.npy` for the known-answer test.
    #[arg(long, value_name = "NPY")]
    pub sample_input: PathBuf,
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

fn no_bias_layers(list: &Option<String>) -> Result<Vec<usize>> {
    match list.as_deref() {
        None => Ok(Vec::new()),
        Some("all") => Ok((0..dev::MAX78000.max_layers).collect()),
        Some(l) => l
            .split(',')
            .map(|t| {
                t.trim()
                    .parse()
                    .with_context(|| format!("--no-bias: `{t}` is not a layer number"))
            })
            .collect(),
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

fn project_options(a: &ConvertArgs, prefix: String) -> Result<ProjectOptions> {
    let f = &a.project;
    let riscv = f.riscv || f.riscv_debug;
    if f.fast_fifo && !riscv {
        bail!("--fast-fifo requires --riscv (the fast FIFO belongs to the RISC-V core)");
    }
    let command_line = std::env::args().collect::<Vec<_>>().join(" ");
    Ok(ProjectOptions {
        prefix,
        command_line,
        softmax: f.softmax,
        fifo: f.fifo || f.fast_fifo,
        fast_fifo: f.fast_fifo,
        mlator: a.izer.mlator,
        unload: !f.no_unload,
        kat: !f.no_kat,
        timer: f.timer,
        boost: boost(&f.boost)?,
        energy: f.energy,
        riscv,
        riscv_debug: f.riscv_debug,
        compact_data: true,
        mexpress: true,
        avg_pool_rounding: a.izer.avg_pool_rounding,
        board_name: f.board_name.clone(),
    })
}

pub fn run(a: &ConvertArgs, quiet: bool) -> Result<ExitCode> {
    let Device::Max78000 = a.net.device;
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
    if out.exists() && !a.overwrite {
        bail!("{}: exists; pass --overwrite to replace it", out.display());
    }
    let opts = ConvertOptions {
        project: project_options(a, prefix)?,
        kat: a.izer.kat(),
        sim: a.izer.sim(),
        headers_only: a.headers_only,
    };
    let req = LoadRequest {
        network: a.net.network.clone(),
        checkpoint: Some(a.net.checkpoint.clone()),
        sample_input: Some(a.sample_input.clone()),
        map: MapOptions {
            no_bias: no_bias_layers(&a.project.no_bias)?,
            ..MapOptions::default()
        },
        stop_after: a.project.stop_after,
        input_offset: a.project.input_offset,
        ..Default::default()
    };
    let built = load_max78000(&req)?;
    for w in &built.warnings {
        tracing::warn!("{w}");
    }
    let graph = &built.graph;
    let network = a.net.network.display().to_string();
    dev::check_graph(graph).map_err(|e| anyhow::anyhow!("{network}: {e}"))?;
    let input = sim::input_tensor(&npy::read_i64_with_rank(&a.sample_input, &[2, 3])?)
        .with_context(|| a.sample_input.display().to_string())?;
    let files = max78000_project(graph, &input, &opts).with_context(|| network.clone())?;
    if a.display_checkpoint && !quiet {
        super::print_stdout(&crate::inspect::render_text(
            &crate::inspect::inspect_max78000(graph, Vec::new()),
        ))?;
    }
    if a.verbose && !quiet {
        let map = dev::allocate_kernels(graph, &dev::MAX78000)?;
        super::print_stdout(&format!("Kernel map:\n{}", map.render()))?;
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
    }
    write_dir_atomic(&out, &files, a.overwrite).with_context(|| out.display().to_string())?;
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    if !quiet {
        super::print_stdout(&format!("wrote {} ({})\n", out.display(), names.join(", ")))?;
    }
    Ok(ExitCode::SUCCESS)
}
