//! A whole graph ready to simulate: every node prepared once ([`super::prepare`]), then run
//! for each input — image by image with traces ([`super::layer`], the reference path), or as
//! a batch through the shared integer engine ([`super::batch`]). This device's [`Simulator`].

use super::batch::{Workspace, run_batch};
use super::layer::run_layer;
use super::prepare::{PreparedLayer, prepare};
use super::{LayerTrace, SimError, SimOptions, SimResult, Simulator};
use crate::ir::Graph;
use ndarray::{Array2, Array3, Array4, Axis, stack};
use std::cell::RefCell;

thread_local! {
    /// Each thread's reusable buffers (they grow to the largest layer seen and stay).
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
}

/// Run `f` with this thread's workspace (a fresh one if it is somehow in use).
fn with_workspace<R>(f: impl FnOnce(&mut Workspace) -> R) -> R {
    WORKSPACE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut ws) => f(&mut ws),
        Err(_) => f(&mut Workspace::default()),
    })
}

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

    /// Run every layer on `input` (`[C,H,W]`); keep per-layer traces if `trace` (those come
    /// from the image-by-image reference path, the outputs otherwise from the batch path).
    pub fn run(
        &self,
        input: &Array3<i64>,
        opts: SimOptions,
        trace: bool,
    ) -> Result<SimResult, SimError> {
        if !trace {
            let batch = input.view().insert_axis(Axis(0));
            let outputs =
                with_workspace(|ws| run_batch(&self.graph.nodes, &self.layers, batch, opts, ws))?;
            let outputs = outputs
                .into_iter()
                .map(|o| o.index_axis_move(Axis(0), 0))
                .collect();
            return Ok(SimResult {
                outputs,
                traces: Vec::new(),
            });
        }
        self.run_reference(input, opts, trace)
    }

    /// The image-by-image reference path (every step spelled out, i64 throughout).
    pub fn run_reference(
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

    /// Every layer's output for a batch `[B,C,H,W]` (the batch path).
    pub fn run_batch(
        &self,
        inputs: &Array4<i64>,
        opts: SimOptions,
    ) -> Result<Vec<Array4<i64>>, SimError> {
        with_workspace(|ws| run_batch(&self.graph.nodes, &self.layers, inputs.view(), opts, ws))
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

    fn classify_batch(
        &self,
        inputs: &[Array3<i64>],
        opts: SimOptions,
    ) -> Result<Array2<i64>, SimError> {
        if inputs.is_empty() {
            return Ok(Array2::zeros((0, 0)));
        }
        let views: Vec<_> = inputs.iter().map(|x| x.view()).collect();
        let batch = stack(Axis(0), &views)
            .map_err(|e| SimError::Input(format!("a batch of differently shaped inputs: {e}")))?;
        with_workspace(|ws| {
            let mut outputs = run_batch(&self.graph.nodes, &self.layers, batch.view(), opts, ws)?;
            let last = outputs.pop();
            ws.recycle(outputs);
            let last = last.ok_or_else(|| SimError::Input("the network has no layers".into()))?;
            let (b, c, h, w) = last.dim();
            // Layer outputs are row-major: the reshape moves the buffer, it copies nothing.
            last.into_shape_with_order((b, c * h * w))
                .map_err(|e| SimError::Input(e.to_string()))
        })
    }
}
