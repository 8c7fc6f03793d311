//! `qtool sim`: one sample input through a device's bit-exact simulator (output, intermediate
//! records, known-answer file written or checked), or a whole test split (`--evaluate`).
//!
//! Owns the order of the steps and which files are written; the arithmetic, the record format
//! and the known-answer format are the device's. Must not parse flags or print.

use super::load::load_checked;
use super::train::fit_data;
use super::{JobError, on_threads};
use crate::data::{Split, load_mnist_split};
use crate::device::{IzerOptions, LoadRequest, Target, TargetError};
use crate::eval::{EvalReport, Progress, evaluate_simulator, write_predictions};
use crate::io::atomic::write_bytes_atomic;
use crate::io::npy;
use crate::ir::{Graph, Op, Shape};
use crate::sim::SimOptions;
use ndarray::{Array3, ArrayD};
use std::path::PathBuf;

/// One sample through the simulator.
#[derive(Debug, Clone, Default)]
pub struct SimJob {
    pub network: PathBuf,
    pub checkpoint: PathBuf,
    /// Sample input `.npy` (`[C,H,W]` or `[C,L]`).
    pub input: PathBuf,
    /// Write the final layer's output as int64 `.npy`.
    pub output: Option<PathBuf>,
    /// Write per-layer intermediate records into this folder.
    pub log_intermediate: Option<PathBuf>,
    /// Write the known-answer file for this input.
    pub write_kat: Option<PathBuf>,
    /// Compare with this known-answer file.
    pub expect: Option<PathBuf>,
    pub izer: IzerOptions,
}

/// The result of a known-answer comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every value matched; how many were checked.
    Passed(usize),
    /// The first mismatch.
    Failed(String),
}

/// What a simulation gave.
#[derive(Debug, Clone)]
pub struct SimOutcome {
    /// The final layer's output, flattened.
    pub output: Vec<i64>,
    /// The comparison with `expect`, when asked.
    pub verdict: Option<Verdict>,
}

/// The final output as `--output` writes it: `[C]` after a Linear layer, `[C, L]` after a
/// Conv1d layer, `[C, H, W]` otherwise.
fn final_output(graph: &Graph, out: &Array3<i64>) -> ArrayD<i64> {
    let (c, h, w) = out.dim();
    let reshaped = match graph.nodes.last().map(|n| &n.op) {
        Some(Op::Linear { .. }) if h * w == 1 => {
            out.clone().into_shape_with_order(c).map(|a| a.into_dyn())
        }
        Some(Op::Conv1d(_)) if w == 1 => out
            .clone()
            .into_shape_with_order((c, h))
            .map(|a| a.into_dyn()),
        _ => return out.clone().into_dyn(),
    };
    reshaped.unwrap_or_else(|_| out.clone().into_dyn())
}

/// Simulate one sample on `target` and write what `job` asks for.
pub fn simulate(target: &dyn Target, job: &SimJob) -> Result<SimOutcome, JobError> {
    let req = LoadRequest {
        network: job.network.clone(),
        checkpoint: Some(job.checkpoint.clone()),
        sample_input: Some(job.input.clone()),
        ..Default::default()
    };
    let known = target.known_answer();
    if known.is_none() && (job.write_kat.is_some() || job.expect.is_some()) {
        return Err(target.unsupported("a known-answer file").into());
    }
    let graph = load_checked(target, &req)?.graph;
    let sample = npy::read_i64_with_rank(&job.input, &[2, 3])?;
    let input = target
        .sample_input(&sample)
        .map_err(|e| JobError::target(&job.input, e))?;
    let opts = SimOptions {
        avg_pool_rounding: job.izer.avg_pool_rounding,
    };
    let result = target
        .simulator(&graph)?
        .run(&input, opts, job.log_intermediate.is_some())
        .map_err(TargetError::device)?;
    if let Some(dir) = &job.log_intermediate {
        std::fs::create_dir_all(dir).map_err(|e| JobError::io(dir, "cannot create", e))?;
        target.write_trace(dir, &graph, &result.traces)?;
    }
    let last = result
        .outputs
        .last()
        .ok_or_else(|| JobError::Other("the network has no layers".into()))?;
    if let Some(path) = &job.output {
        npy::write_i64(path, &final_output(&graph, last))?;
    }
    let mut verdict = None;
    if let Some(known) = known {
        let text = known.render(&graph, &result.outputs, &job.izer)?;
        if let Some(path) = &job.write_kat {
            write_bytes_atomic(path, text.as_bytes())
                .map_err(|e| JobError::io(path, "cannot write", e))?;
        }
        if let Some(path) = &job.expect {
            let expected =
                std::fs::read_to_string(path).map_err(|e| JobError::io(path, "cannot read", e))?;
            let file = path.display().to_string();
            verdict = Some(
                match known.compare(&graph, &result.outputs, &job.izer, &expected, &file)? {
                    Ok(n) => Verdict::Passed(n),
                    Err(m) => Verdict::Failed(m),
                },
            );
        }
    }
    Ok(SimOutcome {
        output: last.iter().copied().collect(),
        verdict,
    })
}

/// The whole test split of a data set through the simulator.
#[derive(Debug, Clone)]
pub struct SimEvalJob {
    pub network: PathBuf,
    pub checkpoint: PathBuf,
    /// MNIST-format data folder.
    pub data: PathBuf,
    pub sim: SimOptions,
    /// Write the predicted class per sample as int64 `.npy`.
    pub predictions: Option<PathBuf>,
    pub progress: Progress,
    /// Worker threads (all cores if `None`); the results do not depend on it.
    pub threads: Option<usize>,
}

/// Top-1/top-5/confusion of the simulated network on the test split.
pub fn evaluate(target: &dyn Target, job: &SimEvalJob) -> Result<EvalReport, JobError> {
    let set = load_mnist_split(&job.data, Split::Test)?;
    let (c, h, w) = set.chw();
    let req = LoadRequest {
        network: job.network.clone(),
        checkpoint: Some(job.checkpoint.clone()),
        input_shape: Some(Shape::d2(c, h, w)),
        ..Default::default()
    };
    let graph = load_checked(target, &req)?.graph;
    let set = fit_data(&set, &graph, &job.network)?;
    let sim = target.simulator(&graph)?;
    let norm = target.input_normalization();
    let report = on_threads(job.threads, || {
        evaluate_simulator(sim.as_ref(), &set, norm, job.sim, job.progress)
    })?
    .map_err(|e| JobError::Input {
        file: job.data.display().to_string(),
        message: e.to_string(),
    })?;
    if let Some(p) = &job.predictions {
        write_predictions(p, &report)?;
    }
    Ok(report)
}
