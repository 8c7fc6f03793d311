//! `qtool analyze --compare-sim`: a quantized checkpoint on the first test images through the
//! device's bit-exact simulator ([`crate::sim::Simulator`]) and through the fake-quant model of
//! `eval --quantized` (simulate mode, [`crate::quant::QatScheme::simulate`]), every layer
//! compared value by value; and the fake-quant model against the float model of the same
//! weights ([`crate::quant::QatScheme::dequantize`]: the quantized parameters scaled back to
//! float, run without fake quantization), as a cosine per layer.
//!
//! The scale of the comparison: simulate mode computes on the device's integers — its input is
//! the training value times the model's input scale (MAX78000: `n/128 · 128 = n`, the very
//! code the simulator reads) and every layer's output stays on that integer grid (MAX78000:
//! 8-bit outputs `rhu(act(⌊acc·2^σ⌋)/128)` saturated to `[−128, 127]`, the simulator's int8;
//! 32-bit outputs `acc/2^(8−b)`, the simulator's raw accumulator with its `128·β` bias). The
//! factor between the two is therefore 1: a fake-quant value is identical when it equals the
//! simulator's integer exactly (a non-integer value never is). The cosine does not depend on
//! the float model's scale.
//!
//! The report as JSON (`--json`), one object:
//!
//! ```text
//! { "mode": "compare-sim", "device": str, "network": str, "checkpoint": str,
//!   "data": str (data folder), "dataset": str (its kind), "images": int (analysed),
//!   "all_identical": bool (every value of every layer),
//!   "layers": [ { "index": int, "name": str, "op": str, "shape": [C, H, W],
//!                 "values": int, "identical": int, "identical_percent": float,
//!                 "max_abs_difference": float,
//!                 "first_difference": null | { "image": int, "channel": int, "y": int,
//!                                              "x": int, "simulator": int,
//!                                              "fake_quant": float },
//!                 "cosine_float": float } ] }
//! ```
//!
//! The text form is [`CompareSimReport::table`]. Owns the order of the steps and the matching
//! of the three paths' outputs. Must not parse flags or print, or hold a device's arithmetic.

use super::layer_stats::LayerAccumulator;
use super::{AnalysisData, LayerComparison};
use crate::checkpoint::native::NativeCheckpoint;
use crate::data::{ImageSet, Normalization};
use crate::device::{LoadRequest, Target, TargetError};
use crate::ir::{Graph, Shape, params::layer_names};
use crate::jobs::load::load_checked;
use crate::jobs::train::fit_data;
use crate::jobs::{JobError, burn_devices};
use crate::sim::{SimOptions, Simulator};
use crate::train::model::{ModelOptions, TrainError, TrainModel};
use crate::train::qat::QatError;
use crate::train::step::images_tensor;
use burn::tensor::{Device, Tensor};
use ndarray::Array3;
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Images per forward pass of the two models (the statistics accumulate chunk by chunk, so
/// memory stays bounded whatever `--images`).
const CHUNK: usize = 32;

/// A quantized checkpoint compared between the simulator and the fake-quant model.
#[derive(Debug, Clone)]
pub struct CompareSimJob {
    pub target: Arc<dyn Target>,
    pub network: PathBuf,
    /// A quantized checkpoint (`qtool quantize` output or an ai8x `-q.pth.tar`).
    pub checkpoint: PathBuf,
    pub data: AnalysisData,
}

/// The comparison of every layer (its JSON form is in the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareSimReport {
    /// Always `compare-sim`.
    pub mode: &'static str,
    pub device: &'static str,
    pub network: String,
    pub checkpoint: String,
    pub data: String,
    pub dataset: &'static str,
    /// Images analysed.
    pub images: usize,
    /// Every value of every layer bit-identical.
    pub all_identical: bool,
    /// One entry per graph node, in execution order.
    pub layers: Vec<LayerComparison>,
}

/// The three paths, ready to run.
struct Paths<'g> {
    sim: Box<dyn Simulator + 'g>,
    fake: TrainModel,
    float: TrainModel,
    norm: Normalization,
    device: Device,
}

/// Run `job`: every layer of the simulator against the fake-quant model, and the fake-quant
/// model against the float model.
pub fn compare_sim(job: &CompareSimJob) -> Result<CompareSimReport, JobError> {
    let target = job.target.as_ref();
    refuse_unquantized(&job.checkpoint)?;
    let set = job.data.load()?;
    let graph = load_graph(target, job, &set)?;
    let set = fit_data(&set, &graph, &job.network)?;
    let paths = prepare(target, job, &graph)?;
    let (c, h, w) = set.chw();
    let mut layers: Option<Vec<LayerAccumulator>> = None;
    for first in (0..set.len()).step_by(CHUNK) {
        let n = CHUNK.min(set.len() - first);
        let chunk = set.subset(&(first..first + n).collect::<Vec<_>>());
        let sim = run_simulator(&paths, &chunk, &job.data.source.dir)?;
        let fake = run_model(&paths.fake, &paths, &chunk, [n, c, h, w], &job.checkpoint)?;
        let float = run_model(&paths.float, &paths, &chunk, [n, c, h, w], &job.checkpoint)?;
        let acc = match &mut layers {
            Some(acc) => acc,
            None => layers.insert(accumulators(&graph, &sim[0])?),
        };
        add_chunk(acc, &graph, first, &sim, &fake, &float)?;
    }
    let names = layer_names(&graph);
    let layers: Vec<LayerComparison> = layers
        .unwrap_or_default()
        .into_iter()
        .zip(graph.nodes.iter().zip(names))
        .enumerate()
        .map(|(i, (acc, (node, name)))| acc.finish(i, name, node.op.name()))
        .collect();
    Ok(CompareSimReport {
        mode: "compare-sim",
        device: target.name(),
        network: job.network.display().to_string(),
        checkpoint: job.checkpoint.display().to_string(),
        data: job.data.source.dir.display().to_string(),
        dataset: job.data.source.kind.name(),
        images: set.len(),
        all_identical: layers.iter().all(|l| l.identical == l.values),
        layers,
    })
}

/// A qtool checkpoint that `qtool quantize` did not write is refused (other files, such as
/// ai8x's `-q.pth.tar`, are checked by the simulator, which needs integer weights).
fn refuse_unquantized(checkpoint: &Path) -> Result<(), JobError> {
    match NativeCheckpoint::read(checkpoint) {
        Ok(native) if !native.is_quantized() => Err(JobError::Input {
            file: checkpoint.display().to_string(),
            message: "not a quantized checkpoint; run `qtool quantize` first".into(),
        }),
        _ => Ok(()),
    }
}

/// The quantized network, placed and checked, its input shaped like the data's.
fn load_graph(target: &dyn Target, job: &CompareSimJob, set: &ImageSet) -> Result<Graph, JobError> {
    let (c, h, w) = set.chw();
    let req = LoadRequest {
        network: job.network.clone(),
        checkpoint: Some(job.checkpoint.clone()),
        fallback_input: Some(if w == 1 {
            Shape::d1(c, h)
        } else {
            Shape::d2(c, h, w)
        }),
        ..Default::default()
    };
    Ok(load_checked(target, &req)?.graph)
}

/// The simulator, the fake-quant model (simulate mode, as `eval --quantized` builds it) and the
/// float model of the dequantized parameters.
fn prepare<'g>(
    target: &dyn Target,
    job: &CompareSimJob,
    graph: &'g Graph,
) -> Result<Paths<'g>, JobError> {
    let model_err = |source: QatError| JobError::Model {
        file: job.checkpoint.display().to_string(),
        source,
    };
    let train_err = |e: TrainError| model_err(QatError::Model(e));
    let scheme = target
        .quant_scheme()
        .ok_or_else(|| model_err(QatError::NoScheme))?;
    let float_graph = scheme
        .dequantize(graph)
        .ok_or_else(|| JobError::from(target.unsupported("a float model of quantized weights")))?;
    let sim = target
        .simulator(graph)
        .map_err(|e| JobError::target(&job.checkpoint, e))?;
    let (_, device) = burn_devices();
    let opts = ModelOptions::default();
    let mut fake = TrainModel::new(graph, &opts, &device).map_err(train_err)?;
    fake.set_quant(scheme.simulate(graph)).map_err(train_err)?;
    let float = TrainModel::new(&float_graph, &opts, &device).map_err(train_err)?;
    Ok(Paths {
        sim,
        fake,
        float,
        norm: target.input_normalization(),
        device,
    })
}

/// Every layer's output of every image of `chunk`, through the simulator (images in parallel,
/// results in order).
fn run_simulator(
    paths: &Paths,
    chunk: &ImageSet,
    data: &Path,
) -> Result<Vec<Vec<Array3<i64>>>, JobError> {
    let inputs = chunk
        .input_codes(paths.norm)
        .ok_or_else(|| JobError::Input {
            file: data.display().to_string(),
            message: format!(
                "normalization {} has no integer input codes for the simulator",
                paths.norm.name()
            ),
        })?;
    inputs
        .par_iter()
        .map(|x| {
            paths
                .sim
                .run(x, SimOptions::default(), false)
                .map(|r| r.outputs)
                .map_err(|e| JobError::from(TargetError::device(e)))
        })
        .collect()
}

/// Every node's output of `model` on `chunk` (`shape` = `[N, C, H, W]`), one row-major
/// `[N, C, H, W]` vector per node.
fn run_model(
    model: &TrainModel,
    paths: &Paths,
    chunk: &ImageSet,
    shape: [usize; 4],
    checkpoint: &Path,
) -> Result<Vec<Vec<f32>>, JobError> {
    let model_err = |e: TrainError| JobError::Model {
        file: checkpoint.display().to_string(),
        source: QatError::Model(e),
    };
    let lut = paths.norm.table();
    let values: Vec<f32> = chunk.images.iter().map(|&p| lut[usize::from(p)]).collect();
    let outs: Vec<Tensor<4>> = model
        .forward_all(images_tensor(values, shape, &paths.device))
        .map_err(model_err)?;
    outs.into_iter()
        .enumerate()
        .map(|(layer, t)| {
            t.into_data().try_into_vec_as::<f32>().map_err(|e| {
                model_err(TrainError::Unsupported {
                    layer,
                    message: format!("output is not readable as f32: {e:?}"),
                })
            })
        })
        .collect()
}

/// One accumulator per node, shaped like the simulator's outputs of the first image.
fn accumulators(graph: &Graph, first: &[Array3<i64>]) -> Result<Vec<LayerAccumulator>, JobError> {
    if first.len() != graph.nodes.len() {
        return Err(JobError::Other(format!(
            "the simulator returned {} layer outputs for {} layers",
            first.len(),
            graph.nodes.len()
        )));
    }
    Ok(first
        .iter()
        .map(|o| {
            let (c, h, w) = o.dim();
            LayerAccumulator::new([c, h, w])
        })
        .collect())
}

/// Add the images of one chunk (the first is image `first`) to every layer's accumulator,
/// after checking that the three paths produced the same number of values.
fn add_chunk(
    acc: &mut [LayerAccumulator],
    graph: &Graph,
    first: usize,
    sim: &[Vec<Array3<i64>>],
    fake: &[Vec<f32>],
    float: &[Vec<f32>],
) -> Result<(), JobError> {
    let names = layer_names(graph);
    for (layer, acc) in acc.iter_mut().enumerate() {
        let per = sim
            .first()
            .map_or(0, |s| s.get(layer).map_or(0, |o| o.len()));
        let mismatch = |what: &str, got: usize| {
            JobError::Other(format!(
                "layer {layer} ({}): the {what} gives {got} values per image, the simulator {per}",
                names[layer]
            ))
        };
        let n = sim.len();
        for (path, out) in [("fake-quant model", fake), ("float model", float)] {
            let got = out.get(layer).map_or(0, Vec::len);
            if got != n * per {
                return Err(mismatch(path, got / n.max(1)));
            }
        }
        for (i, outputs) in sim.iter().enumerate() {
            let s = outputs
                .get(layer)
                .filter(|o| o.len() == per)
                .ok_or_else(|| mismatch("simulator (another image)", 0))?;
            let range = i * per..(i + 1) * per;
            acc.add(
                first + i,
                s,
                &fake[layer][range.clone()],
                &float[layer][range],
            );
        }
    }
    Ok(())
}
