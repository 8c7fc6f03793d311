//! The GTI integer engine (gti.md §2.8): 5-bit input codes, per chip sub-layer
//! `acc = Σ (Wq·2^s)·x + Bq·2^s` in exact integers (through the shared [`crate::sim::gemm`]
//! engine), `clamp(round(acc / 2^s), 0, 31)` with the chip's half-away-from-zero rounding,
//! 2×2 max pooling between major layers, stride-2 last sub-layers for sample pooling,
//! a 10-bit last layer (`clamp(round(32·acc/2^s), 0, 1023)`, read by the host as `/32`),
//! residual pairs (the second conv's accumulators plus the shortcut's codes `·2^s`, rounded
//! and clamped the same way — our reading of §2.8, which the chip's closed documentation
//! neither confirms nor contradicts); then the host's FC layers in f32 on the chip's
//! `[C][H][W]` output.
//!
//! [`Simulator::run`] and `--output` give what the chip returns (every chip layer's codes);
//! [`Simulator::scores_batch`] adds the host layers for dataset evaluation. Owns this
//! arithmetic; which nodes are on the chip is the graph's ([`super::chip_slot`]).

mod host;
mod log;
mod step;
#[cfg(test)]
mod tests;

use crate::ir::Graph;
use crate::sim::{SimError, SimOptions, SimResult, Simulator};
use host::HostLayer;
pub use log::write_trace;
use ndarray::{Array2, Array3, Array4, ArrayView4, Axis};
use step::ChipStep;

/// A quantized GTI graph prepared for simulation.
#[derive(Debug)]
pub struct GtiEngine {
    input: (usize, usize, usize),
    chip: Vec<ChipStep>,
    host: Vec<HostLayer>,
}

impl GtiEngine {
    /// Prepare `graph` (quantized: integer weights, shifts); errors name the layer.
    pub fn new(graph: &Graph) -> Result<Self, SimError> {
        let (h, w) = graph.input.dims.hw();
        let mut chip = Vec::new();
        let mut host = Vec::new();
        for (i, node) in graph.nodes.iter().enumerate() {
            match HostLayer::of(graph, i, node)? {
                Some(h) => {
                    if host.is_empty() && node.pool.is_some() {
                        chip.push(ChipStep::new_pooling(graph, i, node)?);
                    }
                    host.push(h)
                }
                None if host.is_empty() => chip.push(ChipStep::new(graph, i, node)?),
                None => {
                    return Err(SimError::Input(format!(
                        "layer {i}: a chip layer after a host layer"
                    )));
                }
            }
        }
        Ok(GtiEngine {
            input: (graph.input.channels, h, w),
            chip,
            host,
        })
    }

    /// The chip's layers on a batch `[B,C,H,W]`: every chip layer's output (codes; a
    /// residual pair's second conv gives its accumulators).
    fn chip_batch(&self, x: &Array4<i64>) -> Vec<Array4<i64>> {
        let mut outs: Vec<Array4<i64>> = Vec::with_capacity(self.chip.len());
        for step in &self.chip {
            let y = step.run(&operands(step, x, &outs));
            outs.push(y);
        }
        outs
    }

    fn batch_of(&self, inputs: &[Array3<i64>]) -> Result<Array4<i64>, SimError> {
        let (c, h, w) = self.input;
        let mut x = Array4::zeros((inputs.len(), c, h, w));
        for (b, img) in inputs.iter().enumerate() {
            check_input(img, self.input)?;
            x.index_axis_mut(Axis(0), b).assign(img);
        }
        Ok(x)
    }
}

/// The operands of `step`: the network input `x` or earlier steps' outputs.
fn operands<'a>(
    step: &ChipStep,
    x: &'a Array4<i64>,
    outs: &'a [Array4<i64>],
) -> Vec<ArrayView4<'a, i64>> {
    step.inputs
        .iter()
        .map(|i| i.map_or(x.view(), |i| outs[i].view()))
        .collect()
}

/// The chip reads `[C,H,W]` 5-bit codes.
fn check_input(x: &Array3<i64>, (c, h, w): (usize, usize, usize)) -> Result<(), SimError> {
    if x.dim() != (c, h, w) {
        let (a, b, d) = x.dim();
        return Err(SimError::Input(format!(
            "input is {a}x{b}x{d}, the chip network reads {c}x{h}x{w}"
        )));
    }
    if let Some(v) = x.iter().find(|v| !(0..=31).contains(*v)) {
        return Err(SimError::Input(format!(
            "input value {v} is not a 5-bit code 0..31 (`qtool sample --device gti` writes them)"
        )));
    }
    Ok(())
}

impl Simulator for GtiEngine {
    fn run(
        &self,
        input: &Array3<i64>,
        _opts: SimOptions,
        trace: bool,
    ) -> Result<SimResult, SimError> {
        let x = self.batch_of(std::slice::from_ref(input))?;
        if trace {
            let mut outs: Vec<Array4<i64>> = Vec::with_capacity(self.chip.len());
            let mut traces = Vec::with_capacity(self.chip.len());
            for step in &self.chip {
                let t = step.trace(&operands(step, &x, &outs));
                outs.push(t.output.clone().insert_axis(Axis(0)));
                traces.push(t);
            }
            let outputs = traces.iter().map(|t| t.output.clone()).collect();
            return Ok(SimResult { outputs, traces });
        }
        let outputs = self
            .chip_batch(&x)
            .into_iter()
            .map(|o| o.index_axis_move(Axis(0), 0))
            .collect();
        Ok(SimResult {
            outputs,
            traces: Vec::new(),
        })
    }

    fn classify_batch(
        &self,
        inputs: &[Array3<i64>],
        _opts: SimOptions,
    ) -> Result<Array2<i64>, SimError> {
        let x = self.batch_of(inputs)?;
        let last = self.chip_batch(&x).pop().expect("one output");
        let b = last.dim().0;
        let width = last.len() / b.max(1);
        Ok(last
            .into_shape_with_order((b, width))
            .expect("contiguous batch"))
    }

    fn scores_batch(
        &self,
        inputs: &[Array3<i64>],
        opts: SimOptions,
    ) -> Result<Array2<f64>, SimError> {
        let codes = self.classify_batch(inputs, opts)?;
        // A 10-bit last layer's codes count 1/32 (gti.md §2.5).
        let unit = match self.chip.iter().rev().find(|s| s.is_conv()) {
            Some(s) if s.ten_bits() => 1.0 / 32.0,
            _ => 1.0,
        };
        let mut x = codes.mapv(|v| v as f32 * unit);
        for layer in &self.host {
            x = layer.run(x.view());
        }
        Ok(x.mapv(f64::from))
    }
}
