//! `convert`: a loaded ai8x network (MAX78000, MAX78002) → the files of an SDK project, as izer's
//! `ai8xize.py` writes them (simulation for the known answer, then every emitter).
//!
//! Owns which files a project has and the order of the stages. Must not format any file (the
//! rest of this folder does), compute results (`device::ai8x::sim`) or decide placement
//! (`device::ai8x`).

use super::{
    EmitError, ProjectOptions, SOFTMAX_C, cnn_c, cnn_h, main_c, main_riscv_c, makefile, project_mk,
    riscv_makefiles,
    sampledata_h::{InputOptions, sampledata_h},
    weights_h,
};
use crate::device::ai8x::sim::{self, SimError, SimOptions};
use crate::device::ai8x::{self as dev, KatError, KatOptions};
use crate::ir::Graph;
use ndarray::Array3;
use thiserror::Error;

/// Why a project cannot be generated.
#[derive(Debug, Error)]
pub enum ConvertError {
    #[error(transparent)]
    Limit(#[from] dev::LimitError),
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error(transparent)]
    Kat(#[from] KatError),
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// What to generate.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    pub project: ProjectOptions,
    pub kat: KatOptions,
    pub sim: SimOptions,
    /// Only the data headers (`weights.h`, `sampledata.h`, `sampleoutput.h`).
    pub headers_only: bool,
}

/// The files of the project for `graph` with sample `input`: `(file name, contents)`.
pub fn ai8x_project(
    graph: &Graph,
    input: &Array3<i64>,
    opts: &ConvertOptions,
) -> Result<Vec<(String, Vec<u8>)>, ConvertError> {
    dev::check_graph(graph)?;
    let outputs = sim::simulate(graph, input, opts.sim)?.outputs;
    let words = dev::sample_output_words(&dev::check_words(graph, &outputs, &opts.kat)?, &opts.kat);
    let p = &opts.project;
    let mut files = vec![
        ("weights.h".to_string(), weights_h(graph)?),
        (
            "sampledata.h".to_string(),
            sampledata_h(graph, input, &InputOptions { fifo: p.fifo })?,
        ),
        (
            "sampleoutput.h".to_string(),
            dev::render_sample_output(dev::chip_of(graph), &words),
        ),
    ];
    if !opts.headers_only {
        files.push(("cnn.c".to_string(), cnn_c(graph, p)?));
        files.push(("cnn.h".to_string(), cnn_h(graph, p)?));
        // With --riscv, main.c only starts the RISC-V core; main_riscv.c runs the network.
        files.push(("main.c".to_string(), main_c(graph, input, p)?));
        if p.riscv {
            files.push(("main_riscv.c".to_string(), main_riscv_c(graph, input, p)?));
        }
        files.push(("softmax.c".to_string(), SOFTMAX_C.to_string()));
        let chip = dev::chip_of(graph);
        files.push(("Makefile".to_string(), makefile(p, chip)));
        files.extend(riscv_makefiles(p, chip));
        files.push(("project.mk".to_string(), project_mk(p, chip)));
    }
    Ok(files
        .into_iter()
        .map(|(n, s)| (n, s.into_bytes()))
        .collect())
}
