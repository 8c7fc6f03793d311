//! `qtool analyze` of a float or quantization-aware checkpoint: the model `eval` builds from
//! it ([`crate::jobs::model`]: float, under the scheme it was trained with, or under `--scheme`
//! after post-training calibration) run on the first test images once, for any combination
//! of four modes:
//!
//! * ranges ([`super::ranges`]; the default when no mode is asked for): per quantized layer
//!   and for all together, the limits of kernel, operator input and raw output at each
//!   percentile, with their msb;
//! * extract ([`super::extract`]): every layer's output and raw sum as `.npy` files;
//! * histograms ([`super::histograms`]): PNG histograms of kernel and raw output with the
//!   limits drawn;
//! * compare ([`super::compare`]): the per-layer cosine between the fake-quantized model and
//!   a reference (the same parameters in float, or `--reference`).
//!
//! The report as JSON (`--json`), one object; every key is present, `null` for a mode not
//! asked for:
//!
//! ```text
//! { "mode": "checkpoint", "modes": [str] (of "ranges", "extract", "histograms", "compare"),
//!   "device": str, "network": str, "checkpoint": str, "data": str (data folder),
//!   "dataset": str (its kind), "images": int (analysed), "normalization": str,
//!   "scheme": null (float model) | str (quantclip, gfpq, or the device's name),
//!   "ranges": null | { "percentiles": [float],
//!       "layers": [ { "index": int, "name": str, "op": str,
//!                     "kernel": R, "input": R, "output": R } ],
//!       "all": { "kernel": R, "input": R, "output": R } },
//!   "extract": null | { "dir": str, "files": [ { "index": int, "layer": str,
//!       "kind": "output" | "raw", "file": str, "shape": [N, C, H, W] } ] },
//!   "histograms": null | { "dir": str, "width": int, "height": int,
//!       "files": [ { "index": int | null, "layer": str | null, "file": str } ] },
//!   "compare": null | { "reference": str | null, "flag_below": float,
//!       "fail_below": float | null, "failed": bool, "min_cosine": float,
//!       "flagged": [str], "layers": [ { "index": int, "name": str, "op": str,
//!       "shape": [C, H, W], "values": int, "cosine": float, "flagged": bool } ] } }
//!
//! R = { "values": int, "min": float, "max": float,
//!       "limits": [ { "percentile": float, "lower": float, "upper": float, "msb": int } ] }
//! ```
//!
//! `output` is the raw output: the operator's sum of products after any raw-sum quantizer,
//! before the bias; `input` is the data entering the operator, before the scheme's input
//! quantizer; `kernel` the stored weights (batch norm folded where the scheme folds it).
//! Histogram and extract files lie in their `dir`; the histograms' `null` layer is all
//! layers together. The text form is [`CheckpointReport::text`]. Owns the order of the steps
//! and checking the request. Must not parse flags or print.

use super::AnalysisData;
use super::collect::{self, Wanted};
use super::compare::{self, CompareReport};
use super::extract::{self, ExtractReport};
use super::histograms::{self, HistogramReport};
use super::ranges::{self, LayerSets, RangeReport};
use crate::jobs::model::{self, ModelSource};
use crate::jobs::train::fit_data;
use crate::jobs::{JobError, refuse_existing};
use crate::quant::operator_nodes;
use serde::Serialize;
use std::path::PathBuf;

/// The percentiles of the range table by default.
pub const DEFAULT_PERCENTILES: [f64; 4] = [95.0, 98.0, 99.9, 99.99];

/// `--compare`'s settings.
#[derive(Debug, Clone, Default)]
pub struct CompareRequest {
    /// Another checkpoint of the network (default: the checkpoint's parameters in float).
    pub reference: Option<PathBuf>,
    /// Fail when a layer's cosine is below this (in (0, 1]).
    pub fail_below: Option<f64>,
}

/// A checkpoint analysed in one or more modes.
#[derive(Debug, Clone)]
pub struct CheckpointJob {
    /// The checkpoint, its network, `--scheme`, and the data set (its test split is analysed,
    /// its training split calibrates `--scheme`).
    pub model: ModelSource,
    /// Images analysed (the first of the test split).
    pub images: usize,
    /// The range table (also on when no other mode is asked for).
    pub ranges: bool,
    /// In (0, 100].
    pub percentiles: Vec<f64>,
    pub extract: Option<PathBuf>,
    pub histograms: Option<PathBuf>,
    pub compare: Option<CompareRequest>,
    /// Replace existing `extract` and `histograms` folders.
    pub overwrite: bool,
}

/// What the modes found (JSON form in the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointReport {
    /// Always `checkpoint`.
    pub mode: &'static str,
    pub modes: Vec<&'static str>,
    pub device: &'static str,
    pub network: String,
    pub checkpoint: String,
    pub data: String,
    pub dataset: &'static str,
    pub images: usize,
    pub normalization: &'static str,
    pub scheme: Option<&'static str>,
    pub ranges: Option<RangeReport>,
    pub extract: Option<ExtractReport>,
    pub histograms: Option<HistogramReport>,
    pub compare: Option<CompareReport>,
}

impl CheckpointJob {
    /// The range table is drawn when asked for, or when nothing else is.
    fn wants_ranges(&self) -> bool {
        self.ranges
            || (self.extract.is_none() && self.histograms.is_none() && self.compare.is_none())
    }

    /// Refuse bad settings before reading anything.
    fn check(&self) -> Result<(), JobError> {
        let bad = |m: String| Err(JobError::Other(m));
        if self.percentiles.is_empty() {
            return bad("--percentiles: give at least one percentile".into());
        }
        if let Some(p) = self
            .percentiles
            .iter()
            .find(|p| !(**p > 0.0 && **p <= 100.0))
        {
            return bad(format!("--percentiles {p}: not in (0, 100]"));
        }
        if let Some(t) = self.compare.as_ref().and_then(|c| c.fail_below)
            && !(t > 0.0 && t <= 1.0)
        {
            return bad(format!("--fail-below {t}: not in (0, 1]"));
        }
        if let (Some(e), Some(h)) = (&self.extract, &self.histograms)
            && e == h
        {
            return bad(format!(
                "--extract and --histograms name the same folder {}",
                e.display()
            ));
        }
        for dir in self.extract.iter().chain(&self.histograms) {
            refuse_existing(dir, self.overwrite)?;
        }
        Ok(())
    }
}

/// Run `job`: build the model (and the reference), one pass over the images, then each mode.
pub fn analyze_checkpoint(job: &CheckpointJob) -> Result<CheckpointReport, JobError> {
    job.check()?;
    let src = &job.model;
    let data = AnalysisData {
        source: src.data.clone(),
        images: job.images,
    };
    let test = data.load()?;
    let built = model::build(src, &test)?;
    let test = fit_data(&test, &built.graph, &src.network)?;
    let reference = match &job.compare {
        None => None,
        Some(_) if built.scheme.is_none() => {
            return Err(JobError::Input {
                file: src.checkpoint.display().to_string(),
                message: "--compare: a float checkpoint without a scheme has nothing to \
                          compare; pass --scheme, or a checkpoint trained with one"
                    .into(),
            });
        }
        Some(CompareRequest {
            reference: Some(f), ..
        }) => {
            let other = ModelSource {
                checkpoint: f.clone(),
                scheme: None,
                normalization: Some(built.norm),
                ..src.clone()
            };
            Some(model::build(&other, &test)?.model)
        }
        Some(_) => Some(built.float_model(&src.checkpoint)?),
    };
    let nodes = operator_nodes(&built.graph);
    let want_ranges = job.wants_ranges();
    let want = Wanted {
        inputs: want_ranges,
        raw: want_ranges || job.histograms.is_some() || job.extract.is_some(),
        outputs: job.extract.is_some(),
    };
    let model::BuiltModel {
        graph,
        model,
        norm,
        scheme,
        device,
    } = built;
    let mut got = collect::run(
        model,
        reference.as_ref(),
        &nodes,
        want,
        &test,
        norm,
        &device,
        &src.checkpoint,
    )?;
    let mut modes = Vec::new();
    let extract = match &job.extract {
        None => None,
        Some(dir) => {
            modes.push("extract");
            let raw = if want_ranges || job.histograms.is_some() {
                got.raw.clone()
            } else {
                std::mem::take(&mut got.raw)
            };
            let outputs = std::mem::take(&mut got.outputs);
            Some(extract::write(
                dir,
                job.overwrite,
                &graph,
                &nodes,
                outputs,
                raw,
            )?)
        }
    };
    let sets =
        (want_ranges || job.histograms.is_some()).then(|| LayerSets::new(&graph, &nodes, &mut got));
    let ranges = match (&sets, want_ranges) {
        (Some(sets), true) => {
            modes.insert(0, "ranges");
            Some(ranges::report(&graph, sets, &job.percentiles))
        }
        _ => None,
    };
    let histograms = match (&sets, &job.histograms) {
        (Some(sets), Some(dir)) => {
            modes.push("histograms");
            Some(histograms::write(
                dir,
                job.overwrite,
                &graph,
                sets,
                &job.percentiles,
            )?)
        }
        _ => None,
    };
    let compare = job.compare.as_ref().map(|c| {
        modes.push("compare");
        let reference = c.reference.as_ref().map(|f| f.display().to_string());
        compare::report(&graph, &got.shapes, &got.cosine, reference, c.fail_below)
    });
    Ok(CheckpointReport {
        mode: "checkpoint",
        modes,
        device: src.target.name(),
        network: src.network.display().to_string(),
        checkpoint: src.checkpoint.display().to_string(),
        data: src.data.dir.display().to_string(),
        dataset: src.data.kind.name(),
        images: test.len(),
        normalization: norm.name(),
        scheme,
        ranges,
        extract,
        histograms,
        compare,
    })
}
