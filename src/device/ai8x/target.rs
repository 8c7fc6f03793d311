//! An ai8x chip (MAX78000, MAX78002) as a [`Target`]: each request of the seam answered by
//! the family's own modules, read with the chip's constants (description front end, limit checks, inspect report, QAT scheme, quantization,
//! integer engine, `sampleoutput.h`, SDK project).
//!
//! Owns the translation between the seam's neutral requests and this device's option types
//! (izer's options → [`KatOptions`], [`ProjectOptions`]). Must not hold
//! arithmetic or formats of its own.

use super::inspect::{inspect_ai8x, render_text};
use super::sim::{self, Prepared};
use super::{Chip, KatOptions, MAX78000, MAX78002, allocate_kernels, check_graph};
use crate::device::{
    ConvertRequest, IzerOptions, KnownAnswer, LoadRequest, Loaded, Project, QuantizeRequest,
    Quantized, Report, Target, TargetError,
};
use crate::emit::ai8x::{ConvertOptions, ProjectOptions, ai8x_project};
use crate::ir::Graph;
use crate::netdesc::ai8x as desc;
use crate::quant::QatScheme;
use crate::quant::ai8x::Max78000Scheme;
use crate::sim::{LayerTrace, SimOptions, Simulator};
use ndarray::{Array3, ArrayD};
use std::path::Path;
use std::sync::Arc;

/// One ai8x CNN accelerator (`--device max78000`, `--device max78002`).
#[derive(Debug, Clone, Copy)]
pub struct Ai8xTarget {
    chip: &'static Chip,
}

impl Ai8xTarget {
    /// The MAX78000.
    pub fn max78000() -> Self {
        Ai8xTarget { chip: &MAX78000 }
    }

    /// The MAX78002.
    pub fn max78002() -> Self {
        Ai8xTarget { chip: &MAX78002 }
    }

    /// The chip this target programs.
    pub fn chip(&self) -> &'static Chip {
        self.chip
    }
}

/// izer's defaults for the board a project builds for.
const DEFAULT_BOARD: &str = "EvKit_V1";

/// The known-answer options among izer's.
fn kat_options(izer: &IzerOptions) -> KatOptions {
    KatOptions {
        mlator: izer.mlator,
        max_checklines: izer.max_checklines,
    }
}

/// The project options among izer's.
fn project_options(req: &ConvertRequest) -> ProjectOptions {
    let f = &req.izer;
    let riscv = f.riscv || f.riscv_debug;
    ProjectOptions {
        prefix: req.prefix.clone(),
        command_line: req.command_line.clone(),
        softmax: f.softmax,
        fifo: f.fifo || f.fast_fifo,
        fast_fifo: f.fast_fifo,
        mlator: f.mlator,
        unload: !f.no_unload,
        kat: !f.no_kat,
        timer: f.timer,
        boost: f.boost,
        energy: f.energy,
        riscv,
        riscv_debug: f.riscv_debug,
        compact_data: true,
        mexpress: true,
        avg_pool_rounding: f.avg_pool_rounding,
        board_name: f.board_name.clone().unwrap_or_else(|| DEFAULT_BOARD.into()),
    }
}

/// `sampleoutput.h`: the words izer's known-answer test reads back.
#[derive(Debug, Clone, Copy)]
struct SampleOutput;

impl SampleOutput {
    fn words(
        graph: &Graph,
        outputs: &[Array3<i64>],
        izer: &IzerOptions,
    ) -> Result<Vec<u32>, TargetError> {
        let kat = kat_options(izer);
        let words = super::check_words(graph, outputs, &kat).map_err(TargetError::device)?;
        Ok(super::sample_output_words(&words, &kat))
    }
}

impl KnownAnswer for SampleOutput {
    fn render(
        &self,
        graph: &Graph,
        outputs: &[Array3<i64>],
        izer: &IzerOptions,
    ) -> Result<String, TargetError> {
        Ok(super::render_sample_output(
            super::chip_of(graph),
            &Self::words(graph, outputs, izer)?,
        ))
    }

    fn compare(
        &self,
        graph: &Graph,
        outputs: &[Array3<i64>],
        izer: &IzerOptions,
        expected: &str,
        file: &str,
    ) -> Result<Result<usize, String>, TargetError> {
        let words = Self::words(graph, outputs, izer)?;
        let expected = super::parse_sample_output(expected, file).map_err(TargetError::device)?;
        Ok(super::compare(&expected, &words).map_err(|m| m.to_string()))
    }
}

impl Target for Ai8xTarget {
    fn name(&self) -> &'static str {
        self.chip.name
    }

    fn load(&self, req: &LoadRequest) -> Result<Loaded, TargetError> {
        let built = desc::load_for(req, self.chip.id).map_err(TargetError::device)?;
        Ok(Loaded {
            graph: built.graph,
            warnings: built.warnings,
        })
    }

    fn check(&self, graph: &Graph) -> Result<(), TargetError> {
        check_graph(graph).map_err(TargetError::device)
    }

    fn inspect(&self, loaded: &Loaded) -> Result<Report, TargetError> {
        let report = inspect_ai8x(&loaded.graph, loaded.warnings.clone());
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| TargetError::message(e.to_string()))?;
        Ok(Report {
            json: json + "\n",
            text: render_text(&report),
        })
    }

    fn quant_scheme(&self) -> Option<Arc<dyn QatScheme>> {
        Some(Arc::new(Max78000Scheme))
    }

    fn quantize(&self, req: &QuantizeRequest) -> Result<Quantized, TargetError> {
        crate::quant::ai8x::ptq::quantize(req, self.chip.id).map_err(TargetError::device)
    }

    fn simulator<'g>(&self, graph: &'g Graph) -> Result<Box<dyn Simulator + 'g>, TargetError> {
        Ok(Box::new(Prepared::new(graph).map_err(TargetError::device)?))
    }

    fn sample_input(&self, sample: &ArrayD<i64>) -> Result<Array3<i64>, TargetError> {
        sim::input_tensor(sample).map_err(TargetError::device)
    }

    fn known_answer(&self) -> Option<&dyn KnownAnswer> {
        Some(&SampleOutput)
    }

    fn write_trace(
        &self,
        dir: &Path,
        graph: &Graph,
        traces: &[LayerTrace],
    ) -> Result<(), TargetError> {
        sim::write_intermediate(dir, graph, traces).map_err(TargetError::device)
    }

    fn check_options(&self, izer: &IzerOptions) -> Result<(), TargetError> {
        if izer.fast_fifo && !(izer.riscv || izer.riscv_debug) {
            return Err(TargetError::message(
                "--fast-fifo requires --riscv (the fast FIFO belongs to the RISC-V core)",
            ));
        }
        Ok(())
    }

    fn convert(
        &self,
        graph: &Graph,
        input: Option<&Array3<i64>>,
        req: &ConvertRequest,
    ) -> Result<Project, TargetError> {
        let input = input.ok_or_else(|| {
            TargetError::message(format!(
                "--sample-input: required for --device {} (the known-answer test)",
                self.chip.name
            ))
        })?;
        super::check::project_writer_gap(graph, self.chip).map_err(TargetError::device)?;
        let opts = ConvertOptions {
            project: project_options(req),
            kat: kat_options(&req.izer),
            sim: SimOptions {
                avg_pool_rounding: req.izer.avg_pool_rounding,
            },
            headers_only: req.headers_only,
        };
        let files = ai8x_project(graph, input, &opts).map_err(TargetError::device)?;
        let verbose = if req.verbose {
            let map = allocate_kernels(graph, self.chip).map_err(TargetError::device)?;
            format!("Kernel map:\n{}", map.render())
        } else {
            String::new()
        };
        Ok(Project { files, verbose })
    }
}
