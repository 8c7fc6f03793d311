//! Quantization: fake-quantization stages for quantization-aware training and simulate-mode
//! evaluation, QAT policies, and conversion of float parameters into a device's integers.
//!
//! Owns the scheme-agnostic interface a trainable model calls ([`FakeQuant`]: what happens to
//! the operator's parameters, to pooled and combined data and to a layer's output) and the
//! straight-through rounding helpers ([`ste`]), the policy format ([`policy`]), the clipping
//! methods of post-training quantization ([`ClipMethod`]) and the [`QatScheme`] a device
//! offers training. Each scheme lives in its own folder ([`ai8x`]); a model never knows
//! which scheme it runs. Must not build trainable models (`crate::train` does) or write files;
//! reads only its own configuration files (policies) and, in a device's post-training
//! quantization, that device's description.

pub mod ai8x;
mod clip;
pub mod gfpq;
pub mod gti;
pub mod policy;
pub mod quantclip;
pub mod registry;
pub mod settings;
pub mod stats;
pub mod ste;
pub mod tensor;

pub use clip::ClipMethod;
pub use policy::{PolicyError, QatPolicy};
pub use settings::SchemeSettings;

use crate::ir::{Activation, Graph, NodeId};
use burn::tensor::{Tensor, activation};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// An operator's parameters as the forward pass uses them, and the factor its output is
/// multiplied by before the activation.
#[derive(Debug, Clone)]
pub struct OperatorParams {
    /// Weights in the operator's own layout (Linear's `[in, out]` as `[in, out, 1, 1]`).
    pub weight: Tensor<4>,
    pub bias: Option<Tensor<1>>,
    pub output_scale: f32,
}

/// The fake-quantization of one fused layer. Implementations are pure functions of their
/// inputs (a forward pass may run on several threads at once).
pub trait FakeQuant: fmt::Debug + Send + Sync {
    /// The weights and bias the operator computes with, derived from the stored ones.
    fn operator_params(&self, weight: Tensor<4>, bias: Option<Tensor<1>>) -> OperatorParams;
    /// Data entering the layer, before its pooling (each operand of an element-wise layer);
    /// unchanged by default.
    fn layer_input(&self, x: Tensor<4>) -> Tensor<4> {
        x
    }
    /// Data entering the operator, after pooling; unchanged by default.
    fn operator_input(&self, x: Tensor<4>) -> Tensor<4> {
        x
    }
    /// Whether the operator's bias is added after [`FakeQuant::raw_sum`] (false, the default:
    /// the operator adds it itself and `raw_sum` is not called).
    fn quantizes_raw_sum(&self) -> bool {
        false
    }
    /// The operator's sum of products before the bias; unchanged by default.
    fn raw_sum(&self, x: Tensor<4>) -> Tensor<4> {
        x
    }
    /// Whether the float model's output range (the device's clamp of its training rules)
    /// still applies after [`FakeQuant::output`]; false by default (the device's stages clamp
    /// themselves).
    fn keeps_output_range(&self) -> bool {
        false
    }
    /// The layer's output from the operator's raw output: output scaling, activation,
    /// rounding and clamping.
    fn output(&self, x: Tensor<4>, output_scale: f32, activation: Activation) -> Tensor<4>;
    /// The result of average pooling.
    fn average_pooled(&self, x: Tensor<4>) -> Tensor<4>;
    /// Data that leaves a layer without an operator (pooling or element-wise only), and the
    /// result of an element-wise combination.
    fn data(&self, x: Tensor<4>) -> Tensor<4>;
}

/// The nodes that have an operator (a multiply-accumulate stage), in execution order: the
/// "quantized layers" of the device-independent schemes.
pub fn operator_nodes(graph: &Graph) -> Vec<NodeId> {
    (0..graph.nodes.len())
        .filter(|&i| graph.nodes[i].op.has_weights())
        .collect()
}

/// A layer's activation function (ReLU, Abs or none), shared by the float and quantized
/// forward passes.
pub fn activate(x: Tensor<4>, act: Activation) -> Tensor<4> {
    match act {
        Activation::None => x,
        Activation::Relu => activation::relu(x),
        Activation::Abs => x.abs(),
    }
}

/// How a whole model is fake-quantized: one optional stage per graph node, the factor on the
/// network's input (simulate mode reads integer data) and on its logits (simulate mode reports
/// its loss on outputs scaled back to the float range, as ai8x does).
#[derive(Debug, Clone, Default)]
pub struct ModelQuant {
    pub layers: Vec<Option<Arc<dyn FakeQuant>>>,
    pub input_scale: Option<f32>,
    pub output_scale: Option<f32>,
    /// Batch norm stays separate, in float, frozen at its running statistics (GFPQ), instead
    /// of having been folded into the operators before quantization.
    pub frozen_batchnorm: bool,
}

/// Which parts of quantization-aware training are on (`--quant-w`, `--quant-act`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QatParts {
    pub weights: bool,
    pub activations: bool,
}

/// How activation ranges are calibrated from data before quantized activations start: a
/// percentile of each calibrated node's outputs per batch (every value of the batch, linear
/// interpolation), the largest over `batches` training batches.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationSettings {
    pub percentile: f64,
    pub batches: usize,
}

impl Default for CalibrationSettings {
    /// GTI's TensorFlow MDK's defaults: the 99.99th percentile over 5 batches.
    fn default() -> Self {
        CalibrationSettings {
            percentile: 99.99,
            batches: 5,
        }
    }
}

/// Where in a layer data is read (by a calibration, a training statistic or an analysis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TapPoint {
    /// Data entering the layer, before its pooling ([`FakeQuant::layer_input`]).
    LayerInput,
    /// Data entering the operator, after pooling ([`FakeQuant::operator_input`]).
    OperatorInput,
    /// The operator's sum of products before the bias ([`FakeQuant::raw_sum`]), after any
    /// quantizer of it.
    RawSum,
    /// The layer's output.
    Output,
}

/// One place data is read: a node and a point in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tap {
    pub node: NodeId,
    pub point: TapPoint,
}

/// A calibration in progress: the trainer feeds it the data of [`Calibrator::taps`] batch by
/// batch, then it records the ranges in the graph.
pub trait Calibrator: Send {
    /// Where it reads data, in order.
    fn taps(&self) -> &[Tap];
    /// One batch of the data of `taps()[k]`.
    fn observe(&mut self, k: usize, values: &[f32]);
    /// Record the calibrated ranges in `graph`'s nodes.
    fn finish(self: Box<Self>, graph: &mut Graph);
    /// Calibrate on this many training images drawn with the run's seed, in one pass, instead
    /// of the first [`CalibrationSettings::batches`] batches (the default, `None`).
    fn images(&self) -> Option<usize> {
        None
    }
    /// Read the float model (no fake quantization at all) instead of the weights-only
    /// quantization-aware one (the default).
    fn on_float_model(&self) -> bool {
        false
    }
}

/// A device's fake-quantization scheme, as training and `eval --quantized` use it (reached
/// through [`crate::device::Target::quant_scheme`]).
pub trait QatScheme: fmt::Debug + Send + Sync {
    /// The calibration quantized activations need on `graph` (prepared by
    /// [`QatScheme::apply_policy`]) before they can start; `None` when nothing is left to
    /// calibrate (the default).
    fn calibrator(
        &self,
        _graph: &Graph,
        _settings: CalibrationSettings,
    ) -> Option<Box<dyn Calibrator>> {
        None
    }

    /// Refuse a policy this scheme cannot train on `graph`: widths it does not support,
    /// overrides naming no layer. `file` names the policy in the error.
    fn check_policy(
        &self,
        policy: &QatPolicy,
        graph: &Graph,
        file: &str,
    ) -> Result<(), PolicyError>;

    /// Record the policy's widths in the nodes of a (batch-norm folded) graph.
    fn apply_policy(&self, graph: &mut Graph, policy: &QatPolicy);

    /// Quantization-aware training of a graph prepared by [`QatScheme::apply_policy`].
    fn qat(&self, graph: &Graph, parts: QatParts, policy: &QatPolicy) -> ModelQuant;

    /// Simulate-mode evaluation of a quantized graph: the device's integer arithmetic on
    /// float tensors.
    fn simulate(&self, graph: &Graph) -> ModelQuant;

    /// The float counterpart of a quantized graph: its integer parameters scaled back so that
    /// a plain float model computes what [`QatScheme::simulate`] computes without its rounding
    /// and saturation (`qtool analyze --compare-sim`); `None` when the scheme has none (the
    /// default).
    fn dequantize(&self, _graph: &Graph) -> Option<Graph> {
        None
    }

    /// Whether the switch to quantization-aware training folds batch norm into the operators
    /// (the default) or leaves it to the scheme ([`ModelQuant::frozen_batchnorm`]).
    fn folds_batchnorm(&self) -> bool {
        true
    }

    /// Where the trainer reads the largest magnitude of each training step's data (over the
    /// whole batch, every shard) for [`QatScheme::after_step`]; none by default.
    fn step_taps(&self, _graph: &Graph) -> Vec<Tap> {
        Vec::new()
    }

    /// After a training step: update the ranges recorded in `graph` from the step's largest
    /// magnitudes at [`QatScheme::step_taps`]; true when anything changed (the trainer then
    /// rebuilds the model's stages from `graph`).
    fn after_step(&self, _graph: &mut Graph, _max_abs: &[f32]) -> bool {
        false
    }
}
