//! A trainable burn module built from a [`Graph`], one fused layer per IR node.
//!
//! Owns the model as a whole: layers in the graph's execution order, where each layer's
//! operands come from, the network's input and output, seeding, and the fake-quantization
//! set-up. Each layer's own forward pass, in the hardware's fused order (operand combination →
//! pooling → operator → batch norm → activation → dropout), and the mapping between burn's
//! parameter layouts and the IR's framework layout are [`super::layer`]'s: [`TrainModel::new`]
//! starts from a node's weights when it has them, [`TrainModel::export_to_graph`] writes the
//! trained values back.
//!
//! Activations travel as `[N, C, H, W]` tensors throughout; one-dimensional data is `[N, C, L, 1]`
//! and Conv1d runs as a `k×1` Conv2d, so its IR weights `[out, in, k]` are stored as
//! `[out, in, k, 1]`. burn's `Linear` keeps its weight as `[in, out]`; the IR's is `[out, in]`.
//!
//! A model can be fake-quantized ([`TrainModel::set_quant`]): each node's [`FakeQuant`] then
//! rewrites the operator's parameters, average-pooled and combined data and the layer's output
//! (the arithmetic lives in `crate::quant`; the operators run on the rewritten parameters in
//! [`super::quantized`]).
//!
//! Not here: bitwise element-wise ops (`or`/`xor` have no float gradient) and rolling data
//! buffers — those are refused with a [`TrainError`].

use super::error::unsupported;
pub use super::layer::FusedLayer;
use super::layer::{LayerPlan, build_layer, chw};
use crate::ir::{Graph, NodeId, Source};
use crate::quant::ModelQuant;
use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use std::sync::Mutex;

pub use super::error::TrainError;

/// How to initialise a model that a graph does not fully determine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelOptions {
    /// Seed of burn's random number generator for the initial weights of nodes without weights
    /// (and for dropout masks drawn later). The same seed gives the same initial weights.
    pub seed: u64,
    /// Give operators of nodes without weights a bias (a node with weights has one exactly when
    /// it carries `bias`).
    pub bias: bool,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            seed: 0,
            bias: true,
        }
    }
}

/// A graph as a burn module: [`FusedLayer`]s in the graph's execution order.
#[derive(Module, Debug)]
pub struct TrainModel {
    pub layers: Vec<FusedLayer>,
    #[module(skip)]
    plan: Vec<LayerPlan>,
    /// The node whose output the forward pass returns.
    #[module(skip)]
    output: NodeId,
    #[module(skip)]
    input_chw: [usize; 3],
    /// Factor on the network's input (simulate mode reads integers).
    #[module(skip)]
    input_scale: Option<f32>,
    /// Factor on the logits.
    #[module(skip)]
    output_scale: Option<f32>,
}

/// burn's RNG is process-wide (flex) and parameters initialise lazily: seeding and drawing
/// every initial value happen under this lock so concurrent model builds cannot interleave.
static INIT_LOCK: Mutex<()> = Mutex::new(());

/// Re-seed burn's random number generator (dropout masks of the next draws) without disturbing
/// a model being initialised on another thread of the process.
pub fn reseed(device: &Device, seed: u64) {
    let _guard = INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    device.seed(seed);
}

/// Forces lazy parameters to initialise, in visiting order.
struct Materialize;

impl ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

impl TrainModel {
    /// Build the model of `graph` on `device` (an autodiff device to train it). Nodes carrying
    /// `weights` start from them; the others are initialised like PyTorch's defaults (Kaiming
    /// uniform) from `opts.seed`.
    pub fn new(graph: &Graph, opts: &ModelOptions, device: &Device) -> Result<Self, TrainError> {
        let _guard = INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        device.seed(opts.seed);
        let mut layers = Vec::with_capacity(graph.nodes.len());
        let mut plan = Vec::with_capacity(graph.nodes.len());
        for (i, node) in graph.nodes.iter().enumerate() {
            let (layer, p) = build_layer(i, node, opts.bias, device)?;
            layer.visit(&mut Materialize);
            layers.push(layer);
            plan.push(p);
        }
        let output = graph
            .outputs
            .last()
            .copied()
            .unwrap_or(graph.nodes.len().saturating_sub(1));
        if graph.nodes.is_empty() {
            return Err(TrainError::LayerCount { model: 0, graph: 0 });
        }
        Ok(TrainModel {
            layers,
            plan,
            output,
            input_chw: chw(graph.input.dims, graph.input.channels),
            input_scale: None,
            output_scale: None,
        })
    }

    /// Fake-quantize the model: one optional stage per node (see [`crate::quant`]). A node
    /// with batch norm cannot be quantized (fold it first, `crate::fuse`) unless the scheme
    /// keeps batch norm frozen ([`ModelQuant::frozen_batchnorm`]: every node's batch norm then
    /// computes with its running statistics and is not trained).
    pub fn set_quant(&mut self, quant: ModelQuant) -> Result<(), TrainError> {
        if quant.layers.len() != self.layers.len() {
            return Err(TrainError::LayerCount {
                model: self.layers.len(),
                graph: quant.layers.len(),
            });
        }
        for (i, (layer, q)) in self.layers.iter().zip(&quant.layers).enumerate() {
            if q.is_some() && layer.batchnorm.is_some() && !quant.frozen_batchnorm {
                return Err(unsupported(
                    i,
                    "batch norm must be folded before quantization",
                ));
            }
        }
        for (plan, q) in self.plan.iter_mut().zip(quant.layers) {
            plan.quant = q;
            plan.frozen_batchnorm = quant.frozen_batchnorm;
        }
        self.input_scale = quant.input_scale;
        self.output_scale = quant.output_scale;
        Ok(())
    }

    /// The model's current fake-quantization stages.
    pub fn quant(&self) -> ModelQuant {
        ModelQuant {
            layers: self.plan.iter().map(|p| p.quant.clone()).collect(),
            input_scale: self.input_scale,
            output_scale: self.output_scale,
            frozen_batchnorm: self.plan.iter().any(|p| p.frozen_batchnorm),
        }
    }

    /// Stop training the parameters of the nodes marked `true` (progressive quantization's
    /// lock): their forward passes use the values detached, so they receive no gradient, no
    /// weight decay and no momentum.
    pub fn lock(&mut self, locked: &[bool]) {
        for (plan, &l) in self.plan.iter_mut().zip(locked) {
            plan.locked = l;
        }
    }

    /// Whether any node is fake-quantized.
    pub fn is_quantized(&self) -> bool {
        self.plan.iter().any(|p| p.quant.is_some())
    }

    /// Whether each sample's output depends on that sample alone in training: no batch
    /// statistics (batch norm) and no random masks (dropout). Such a model's batch can be
    /// split into shards without changing the step.
    pub fn samples_independent(&self) -> bool {
        self.layers
            .iter()
            .zip(&self.plan)
            .all(|(l, p)| (l.batchnorm.is_none() || p.frozen_batchnorm) && l.dropout.is_none())
    }

    /// Every node's output for a batch `[N, C, H, W]` (one-dimensional input as `[N, C, L, 1]`).
    pub fn forward_all(&self, input: Tensor<4>) -> Result<Vec<Tensor<4>>, TrainError> {
        let [n, c, h, w] = input.dims();
        if [c, h, w] != self.input_chw {
            return Err(TrainError::Input {
                got: vec![n, c, h, w],
                expected: self.input_chw,
            });
        }
        let input = match self.input_scale {
            Some(k) => input.mul_scalar(k),
            None => input,
        };
        let mut outs: Vec<Tensor<4>> = Vec::with_capacity(self.layers.len());
        for (i, (layer, plan)) in self.layers.iter().zip(&self.plan).enumerate() {
            let operands = plan
                .inputs
                .iter()
                .map(|s| match s {
                    Source::Input => Ok(input.clone()),
                    Source::Node(j) => Ok(outs[*j].clone()),
                    Source::Buffer(b) => Err(TrainError::Unsupported {
                        layer: i,
                        message: format!("reads data buffer `{b}`"),
                    }),
                })
                .collect::<Result<Vec<_>, _>>()?;
            outs.push(layer.forward(plan, operands));
        }
        Ok(outs)
    }

    /// Logits `[N, K]`: the output node (the graph's last output) flattened per sample.
    pub fn forward(&self, input: Tensor<4>) -> Result<Tensor<2>, TrainError> {
        let out = self.forward_all(input)?.swap_remove(self.output);
        let [n, c, h, w] = out.dims();
        let logits = out.reshape([n, c * h * w]);
        Ok(match self.output_scale {
            Some(k) => logits.mul_scalar(k),
            None => logits,
        })
    }

    /// Copy the parameters into `graph`'s nodes in the framework layout: `weights` (Conv2d
    /// `[out, in, kh, kw]`, Conv1d `[out, in, k]`, ConvTranspose2d `[in, out, kh, kw]`, Linear
    /// `[out, in]`), `bias`, and batch-norm parameters and running statistics. `graph` must be
    /// the one the model was built from (same nodes and geometry).
    pub fn export_to_graph(&self, graph: &mut Graph) -> Result<(), TrainError> {
        if graph.nodes.len() != self.layers.len() {
            return Err(TrainError::LayerCount {
                model: self.layers.len(),
                graph: graph.nodes.len(),
            });
        }
        for (i, (layer, node)) in self.layers.iter().zip(graph.nodes.iter_mut()).enumerate() {
            layer.export(i, node)?;
        }
        Ok(())
    }
}
