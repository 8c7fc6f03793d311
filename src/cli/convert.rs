//! `qtool convert`: flags → load + simulate + emit → an output directory written atomically.
//!
//! Today it writes the data headers of an izer project (`weights.h`, `sampledata.h`,
//! `sampleoutput.h`); `cnn.c`, `cnn.h`, `main.c` and the build files are not generated yet, so
//! the command requires `--headers-only` and says so.

use super::args::{Device, IzerKatFlags, QuantizedNetwork};
use crate::atomic::write_dir_atomic;
use crate::checkpoint::npy;
use crate::device::max78000 as dev;
use crate::emit::max78000::sampledata_h::{InputOptions, sampledata_h};
use crate::emit::max78000::weights_h::weights_h;
use crate::load::{LoadRequest, load_max78000};
use crate::sim;
use anyhow::{Context, Result, bail};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub net: QuantizedNetwork,
    /// Sample input `.npy` for the known-answer test.
    #[arg(long, value_name = "NPY")]
    pub sample_input: PathBuf,
    /// Output directory (written atomically).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace an existing output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Write only the data headers (weights.h, sampledata.h, sampleoutput.h). Required for
    /// now: cnn.c, cnn.h, main.c and the build files are not generated yet.
    #[arg(long)]
    pub headers_only: bool,
    /// izer `--fifo`: load the input through the FIFOs.
    #[arg(long)]
    pub fifo: bool,
    #[command(flatten)]
    pub izer: IzerKatFlags,
}

pub fn run(a: &ConvertArgs) -> Result<ExitCode> {
    let Device::Max78000 = a.net.device;
    if !a.headers_only {
        bail!(
            "generating cnn.c, cnn.h, main.c and the build files is not implemented yet; pass --headers-only to write weights.h, sampledata.h and sampleoutput.h"
        );
    }
    if a.out.exists() && !a.overwrite {
        bail!(
            "{}: exists; pass --overwrite to replace it",
            a.out.display()
        );
    }
    let req = LoadRequest {
        network: a.net.network.clone(),
        checkpoint: Some(a.net.checkpoint.clone()),
        sample_input: Some(a.sample_input.clone()),
        ..Default::default()
    };
    let built = load_max78000(&req)?;
    for w in &built.warnings {
        tracing::warn!("{w}");
    }
    let graph = &built.graph;
    dev::check_graph(graph).map_err(|e| anyhow::anyhow!("{}: {e}", a.net.network.display()))?;
    let input = sim::input_tensor(&npy::read_i64_with_rank(&a.sample_input, &[2, 3])?)
        .with_context(|| a.sample_input.display().to_string())?;
    let outputs = sim::simulate(graph, &input, a.izer.sim())?.outputs;
    let kat = a.izer.kat();
    let words = dev::sample_output_words(&dev::check_words(graph, &outputs, &kat)?, &kat);
    let files = vec![
        ("weights.h".to_string(), weights_h(graph)?.into_bytes()),
        (
            "sampledata.h".to_string(),
            sampledata_h(graph, &input, &InputOptions { fifo: a.fifo })?.into_bytes(),
        ),
        (
            "sampleoutput.h".to_string(),
            dev::render_sample_output(&words).into_bytes(),
        ),
    ];
    write_dir_atomic(&a.out, &files, a.overwrite).with_context(|| a.out.display().to_string())?;
    super::print_stdout(&format!(
        "wrote {} (weights.h, sampledata.h, sampleoutput.h)\n",
        a.out.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}
