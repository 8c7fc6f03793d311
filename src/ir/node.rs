//! One node of the graph IR: a main operator with its fused pre-op stages (pooling,
//! element-wise combination, flatten) and post-op stages (bias, activation).
//!
//! Owns the operator vocabulary. Device placement lives in the node's [`Annex`], opaque to
//! the IR, never in the operator itself.

use super::annex::Annex;
use super::quantization::QuantAttrs;
use super::shape::Shape;
use ndarray::{Array1, ArrayD};
use serde::Serialize;
use std::fmt;

/// Index of a node in [`super::Graph::nodes`] (execution order).
pub type NodeId = usize;

/// Where a node's operand comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The network input.
    Input,
    /// The output of an earlier node.
    Node(NodeId),
    /// A named rolling data buffer (izer `data_buffer`, TCN-style networks).
    Buffer(String),
}

/// Geometry of a convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Conv {
    pub out_channels: usize,
    /// `[kh, kw]`; Conv1d uses `[k, 1]`.
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub pad: [usize; 2],
    pub dilation: [usize; 2],
    /// Extra rows/columns of a transposed convolution (1 on MAX78000).
    pub output_pad: usize,
    pub groups: usize,
}

impl Conv {
    /// A `kernel` convolution to `out_channels` with stride 1, no padding, no dilation, one
    /// group.
    pub fn plain(out_channels: usize, kernel: [usize; 2]) -> Self {
        Conv {
            out_channels,
            kernel,
            stride: [1, 1],
            pad: [0, 0],
            dilation: [1, 1],
            output_pad: 0,
            groups: 1,
        }
    }
}

/// Element-wise combination of several equally shaped operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EltwiseOp {
    Add,
    Sub,
    Or,
    Xor,
}

impl EltwiseOp {
    pub fn name(self) -> &'static str {
        match self {
            EltwiseOp::Add => "add",
            EltwiseOp::Sub => "sub",
            EltwiseOp::Or => "or",
            EltwiseOp::Xor => "xor",
        }
    }
}

/// The main operator of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Conv1d(Conv),
    Conv2d(Conv),
    ConvTranspose2d(Conv),
    Linear {
        out_features: usize,
    },
    /// Data moves through unchanged (possibly pooled, reshaped or flattened).
    Passthrough,
    /// A pure element-wise layer; its operand count lives in [`Node::eltwise`].
    Eltwise(EltwiseOp),
}

impl Op {
    /// Short lower-case name used in reports and JSON (`conv2d`, `linear`, `add`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Conv1d(_) => "conv1d",
            Op::Conv2d(_) => "conv2d",
            Op::ConvTranspose2d(_) => "convtranspose2d",
            Op::Linear { .. } => "linear",
            Op::Passthrough => "passthrough",
            Op::Eltwise(e) => e.name(),
        }
    }

    pub fn conv(&self) -> Option<&Conv> {
        match self {
            Op::Conv1d(c) | Op::Conv2d(c) | Op::ConvTranspose2d(c) => Some(c),
            _ => None,
        }
    }

    /// Whether the operator has weights (a multiply-accumulate stage).
    pub fn has_weights(&self) -> bool {
        matches!(
            self,
            Op::Conv1d(_) | Op::Conv2d(_) | Op::ConvTranspose2d(_) | Op::Linear { .. }
        )
    }
}

/// Pooling kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolKind {
    Max,
    Avg,
}

/// Pooling applied to the input before the main operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pool {
    pub kind: PoolKind,
    pub size: [usize; 2],
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
}

/// In-flight element-wise stage combining a node's operands before its operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Eltwise {
    pub op: EltwiseOp,
    /// Number of operands, 2..=16.
    pub operands: usize,
    /// Pool each operand first (true, the default) or pool the combined result.
    pub pool_first: bool,
}

/// Activation after bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    #[default]
    None,
    Relu,
    Abs,
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Activation::None => "none",
            Activation::Relu => "relu",
            Activation::Abs => "abs",
        })
    }
}

/// Training-time batch normalisation after the operator (folded away before deployment).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNorm {
    pub gamma: Option<Array1<f32>>,
    pub beta: Option<Array1<f32>>,
    pub running_mean: Array1<f32>,
    pub running_var: Array1<f32>,
    pub eps: f32,
}

/// How a layer's weights are initialised for training when no checkpoint supplies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightInit {
    /// The framework's default (PyTorch's Kaiming-uniform).
    #[default]
    Framework,
    /// He-normal over the fan-out with ReLU gain for 2-D convolutions (ai8x-training).
    HeNormalFanOut,
}

/// How a layer behaves in float training — part of what the layer computes, stated by the
/// device whose loader built the node. The default is a plain framework layer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainingRules {
    /// Float range the layer's output is confined to after its activation, if any.
    pub output_range: Option<(f32, f32)>,
    /// Factor on batch norm's output (batch-norm folding keeps it).
    pub bn_output_scale: f32,
    /// Momentum of batch norm's running statistics.
    pub bn_momentum: f64,
    pub weight_init: WeightInit,
}

impl Default for TrainingRules {
    fn default() -> Self {
        TrainingRules {
            output_range: None,
            bn_output_scale: 1.0,
            bn_momentum: 0.1,
            weight_init: WeightInit::Framework,
        }
    }
}

/// One layer of the network.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: Option<String>,
    /// Operands in order. More than one without `eltwise` means channel concatenation.
    pub inputs: Vec<Source>,
    pub op: Op,
    pub pool: Option<Pool>,
    pub eltwise: Option<Eltwise>,
    /// Flatten the pooled input into channels before a Linear operator.
    pub flatten: bool,
    pub activation: Activation,
    pub batchnorm: Option<BatchNorm>,
    /// Training-time dropout probability.
    pub dropout: Option<f32>,
    /// Weights in the framework layout: Conv2d `[out, in/groups, kh, kw]`, Conv1d
    /// `[out, in/groups, k]`, ConvTranspose2d `[in, out/groups, kh, kw]`, Linear `[out, in]`.
    pub weights: Option<ArrayD<f32>>,
    pub bias: Option<Array1<f32>>,
    /// Whether the operator has a bias term, as a training description asks (`bias: false`);
    /// `None` leaves it to the trainer's default. A node with `weights` has a bias exactly
    /// when `bias` is set, whatever this says.
    pub with_bias: Option<bool>,
    pub quant: QuantAttrs,
    /// Float-training behaviour (output range, batch-norm conventions, initialisation).
    pub training: TrainingRules,
    /// Shape of one operand as the node reads it (after concatenation and re-interpretation,
    /// before pooling and flattening).
    pub in_shape: Shape,
    /// Shape after pooling (before flattening).
    pub pooled_shape: Shape,
    pub out_shape: Shape,
    /// The placing device's own data (see [`Annex`]); empty until a device places the node.
    pub annex: Annex,
}

impl Node {
    /// A node running `op` on operands of shape `in_shape` read from `inputs`, with no
    /// pooling, activation, weights, quantization or placement yet. Call
    /// [`super::infer_node`] after setting the stages to fill the derived shapes.
    pub fn new(op: Op, inputs: Vec<Source>, in_shape: Shape) -> Self {
        Node {
            name: None,
            inputs,
            op,
            pool: None,
            eltwise: None,
            flatten: false,
            activation: Activation::None,
            batchnorm: None,
            dropout: None,
            weights: None,
            bias: None,
            with_bias: None,
            quant: QuantAttrs::default(),
            training: TrainingRules::default(),
            in_shape,
            pooled_shape: in_shape,
            out_shape: in_shape,
            annex: Annex::default(),
        }
    }

    /// Number of operands the node combines element-wise (1 if none).
    pub fn operands(&self) -> usize {
        self.eltwise.map_or(1, |e| e.operands)
    }

    /// Shape the weights of this node's operator have in the framework layout (see
    /// [`Node::weights`]), from the geometry alone; `None` for operators without weights.
    pub fn weight_shape(&self) -> Option<Vec<usize>> {
        let inputs = self.op_in_channels();
        match self.op {
            Op::Conv2d(c) => Some(vec![
                c.out_channels,
                inputs / c.groups.max(1),
                c.kernel[0],
                c.kernel[1],
            ]),
            Op::Conv1d(c) => Some(vec![c.out_channels, inputs / c.groups.max(1), c.kernel[0]]),
            Op::ConvTranspose2d(c) => Some(vec![
                inputs,
                c.out_channels / c.groups.max(1),
                c.kernel[0],
                c.kernel[1],
            ]),
            Op::Linear { out_features } => Some(vec![out_features, inputs]),
            Op::Passthrough | Op::Eltwise(_) => None,
        }
    }

    /// Number of trainable parameters: the weights and bias present, or, for a node without
    /// loaded weights, the weights its geometry implies.
    pub fn param_count(&self) -> usize {
        let weights = match &self.weights {
            Some(w) => w.len(),
            None => self.weight_shape().map_or(0, |s| s.iter().product()),
        };
        weights + self.bias.as_ref().map_or(0, |b| b.len())
    }

    /// Input channels the operator itself sees (after flattening).
    pub fn op_in_channels(&self) -> usize {
        if self.flatten {
            self.pooled_shape.numel()
        } else {
            self.in_shape.channels
        }
    }
}
