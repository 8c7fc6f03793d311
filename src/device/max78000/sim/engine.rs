//! A whole graph ready to simulate: every node prepared once ([`super::prepare`]), then run
//! layer by layer ([`super::layer`]) for each input. This device's [`Simulator`].

use super::layer::run_layer;
use super::prepare::{PreparedLayer, prepare};
use super::{LayerTrace, SimError, SimOptions, SimResult, Simulator};
use crate::ir::Graph;
use ndarray::Array3;

/// A graph ready to simulate.
#[derive(Debug, Clone)]
pub struct Prepared<'g> {
    pub graph: &'g Graph,
    pub layers: Vec<PreparedLayer>,
}

impl<'g> Prepared<'g> {
    pub fn new(graph: &'g Graph) -> Result<Self, SimError> {
        let layers = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| prepare(i, n))
            .collect::<Result<_, _>>()?;
        Ok(Prepared { graph, layers })
    }

    /// Run every layer on `input` (`[C,H,W]`); keep per-layer traces if `trace`.
    pub fn run(
        &self,
        input: &Array3<i64>,
        opts: SimOptions,
        trace: bool,
    ) -> Result<SimResult, SimError> {
        let mut outputs: Vec<Array3<i64>> = Vec::with_capacity(self.layers.len());
        let mut traces: Vec<LayerTrace> = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            let (out, t) = run_layer(i, &self.graph.nodes[i], layer, input, &outputs, opts, trace)?;
            outputs.push(out);
            traces.extend(t);
        }
        Ok(SimResult { outputs, traces })
    }
}

impl Simulator for Prepared<'_> {
    fn run(
        &self,
        input: &Array3<i64>,
        opts: SimOptions,
        trace: bool,
    ) -> Result<SimResult, SimError> {
        Prepared::run(self, input, opts, trace)
    }
}
