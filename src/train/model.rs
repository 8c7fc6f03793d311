//! A trainable burn module built from a [`Graph`], one fused layer per IR node.
//!
//! Owns the float forward pass of the IR's operator vocabulary, in the hardware's fused order:
//! operand combination (element-wise op, pooled first or last, or channel concatenation) →
//! pooling → operator (Conv1d/Conv2d/ConvTranspose2d/Linear, bias included) → batch norm →
//! activation (ReLU/Abs) → dropout. Also owns the mapping between burn's parameter layouts and
//! the IR's framework layout, both ways: [`TrainModel::new`] starts from a node's weights when it
//! has them, [`TrainModel::export_to_graph`] writes the trained values back.
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

use crate::device::max78000::training;
use crate::ir::{
    Activation, BatchNorm as IrBatchNorm, Dims, EltwiseOp, Graph, Node, NodeId, Op, PoolKind,
    Source, is_one_dimensional,
};
use crate::quant::{FakeQuant, ModelQuant, activate};
use burn::module::{Module, ModuleVisitor, Param, RunningState};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer, Linear, LinearConfig,
    PaddingConfig2d,
};
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::{Array1, ArrayD, IxDyn};
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// A graph the training code cannot handle, or parameters that do not fit it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TrainError {
    #[error("layer {layer}: {message}")]
    Unsupported { layer: NodeId, message: String },
    #[error("layer {layer}: {message}")]
    Mismatch { layer: NodeId, message: String },
    #[error("the model has {model} layers, the graph {graph}")]
    LayerCount { model: usize, graph: usize },
    #[error("input batch has shape {got:?}, the network reads [N, {expected:?}]")]
    Input {
        got: Vec<usize>,
        expected: [usize; 3],
    },
}

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

/// The trainable parts of one IR node; stateless stages live in [`TrainModel`]'s plan.
#[derive(Module, Debug)]
pub struct FusedLayer {
    /// Conv2d, or Conv1d as a `k×1` Conv2d.
    pub conv: Option<Conv2d>,
    pub conv_transpose: Option<ConvTranspose2d>,
    pub linear: Option<Linear>,
    pub batchnorm: Option<BatchNorm>,
    pub dropout: Option<Dropout>,
    pub max_pool: Option<MaxPool2d>,
    pub avg_pool: Option<AvgPool2d>,
}

/// The stateless description of one node's forward pass.
#[derive(Debug, Clone)]
struct LayerPlan {
    inputs: Vec<Source>,
    /// Element-wise combination and whether each operand is pooled before it.
    eltwise: Option<(EltwiseOp, bool)>,
    /// `[C, H, W]` of one operand as the node reads it (one-dimensional data as `[C, L, 1]`).
    in_chw: [usize; 3],
    /// Linear: flatten each sample (true) or apply per pixel (false).
    flatten: bool,
    activation: Activation,
    /// Output range the float model is confined to (the device's data range), if any.
    clamp: Option<(f32, f32)>,
    /// Factor on the batch-norm output (ai8x divides it by 4 on MAX78000).
    bn_scale: f32,
    /// Fake-quantization of this node, if any.
    quant: Option<Arc<dyn FakeQuant>>,
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

fn chw(dims: Dims, channels: usize) -> [usize; 3] {
    let (h, w) = dims.hw();
    [channels, h, w]
}

fn tensor_from<const D: usize>(values: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn param_from<const D: usize>(
    values: Vec<f32>,
    shape: [usize; D],
    device: &Device,
) -> Param<Tensor<D>> {
    Param::from_tensor(tensor_from(values, shape, device))
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .try_into_vec_as::<f32>()
        .expect("float tensor data")
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
            let (layer, p) = build_layer(i, node, opts, device)?;
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
    /// with batch norm cannot be quantized (fold it first, `crate::fuse`).
    pub fn set_quant(&mut self, quant: ModelQuant) -> Result<(), TrainError> {
        if quant.layers.len() != self.layers.len() {
            return Err(TrainError::LayerCount {
                model: self.layers.len(),
                graph: quant.layers.len(),
            });
        }
        for (i, (layer, q)) in self.layers.iter().zip(&quant.layers).enumerate() {
            if q.is_some() && layer.batchnorm.is_some() {
                return Err(unsupported(
                    i,
                    "batch norm must be folded before quantization",
                ));
            }
        }
        for (plan, q) in self.plan.iter_mut().zip(quant.layers) {
            plan.quant = q;
        }
        self.input_scale = quant.input_scale;
        self.output_scale = quant.output_scale;
        Ok(())
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
            .all(|l| l.batchnorm.is_none() && l.dropout.is_none())
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

fn unsupported(layer: NodeId, message: impl Into<String>) -> TrainError {
    TrainError::Unsupported {
        layer,
        message: message.into(),
    }
}

/// The node's weights as a flat vector, checked against the shape its geometry implies.
fn node_weights(i: NodeId, node: &Node) -> Result<Option<Vec<f32>>, TrainError> {
    let Some(w) = &node.weights else {
        return Ok(None);
    };
    let expected = node.weight_shape().unwrap_or_default();
    if w.shape() != expected.as_slice() {
        return Err(TrainError::Mismatch {
            layer: i,
            message: format!(
                "weights have shape {:?}, the geometry needs {expected:?}",
                w.shape()
            ),
        });
    }
    Ok(Some(w.iter().copied().collect()))
}

fn node_bias(i: NodeId, node: &Node, len: usize) -> Result<Option<Vec<f32>>, TrainError> {
    match &node.bias {
        Some(b) if b.len() != len => Err(TrainError::Mismatch {
            layer: i,
            message: format!("bias has {} values, the operator {len} outputs", b.len()),
        }),
        b => Ok(b.as_ref().map(|b| b.to_vec())),
    }
}

fn build_layer(
    i: NodeId,
    node: &Node,
    opts: &ModelOptions,
    device: &Device,
) -> Result<(FusedLayer, LayerPlan), TrainError> {
    let one_d = is_one_dimensional(node);
    let in_chw = chw(node.in_shape.dims, node.in_shape.channels);
    let eltwise = match node.eltwise {
        Some(e) if matches!(e.op, EltwiseOp::Or | EltwiseOp::Xor) => {
            return Err(unsupported(
                i,
                format!("bitwise `{}` has no float gradient", e.op.name()),
            ));
        }
        Some(e) => Some((e.op, e.pool_first)),
        None => None,
    };
    let mut layer = FusedLayer {
        conv: None,
        conv_transpose: None,
        linear: None,
        batchnorm: None,
        dropout: None,
        max_pool: None,
        avg_pool: None,
    };
    if let Some(p) = node.pool {
        let (size, stride, dil) = if one_d {
            ([p.size[0], 1], [p.stride[0], 1], [p.dilation[0], 1])
        } else {
            (p.size, p.stride, p.dilation)
        };
        match p.kind {
            PoolKind::Max => {
                layer.max_pool = Some(
                    MaxPool2dConfig::new(size)
                        .with_strides(stride)
                        .with_dilation(dil)
                        .init(),
                )
            }
            PoolKind::Avg if dil != [1, 1] => {
                return Err(unsupported(i, "dilated average pooling"));
            }
            PoolKind::Avg => {
                layer.avg_pool = Some(AvgPool2dConfig::new(size).with_strides(stride).init())
            }
        }
    }

    let weights = node_weights(i, node)?;
    let has_weights = weights.is_some();
    let bias_flag = if has_weights {
        node.bias.is_some()
    } else {
        node.with_bias.unwrap_or(opts.bias)
    };
    let in_ch = node.op_in_channels();
    let out_ch = node.out_shape.channels;
    let bias = node_bias(i, node, out_ch)?;
    match node.op {
        Op::Conv1d(c) | Op::Conv2d(c) => {
            let (kernel, stride, dilation, pad) = if one_d {
                (
                    [c.kernel[0], 1],
                    [c.stride[0], 1],
                    [c.dilation[0], 1],
                    [c.pad[0], 0],
                )
            } else {
                (c.kernel, c.stride, c.dilation, c.pad)
            };
            let groups = c.groups.max(1);
            let config = Conv2dConfig::new([in_ch, out_ch], kernel)
                .with_stride(stride)
                .with_dilation(dilation)
                .with_groups(groups)
                .with_padding(PaddingConfig2d::Explicit(pad[0], pad[1], pad[0], pad[1]))
                .with_bias(bias_flag);
            // ai8x-training's models re-initialise their 2-D convolution weights with He's
            // normal initialisation (fan-out, ReLU gain); biases keep PyTorch's default.
            let ai8x_init = training::is_device_node(node) && !one_d && weights.is_none();
            let mut conv = if ai8x_init {
                let default_bias = config.initializer.clone();
                let fan_in = in_ch / groups * kernel[0] * kernel[1];
                let fan_out = out_ch / groups * kernel[0] * kernel[1];
                let mut conv = config
                    .with_initializer(Initializer::KaimingNormal {
                        gain: std::f64::consts::SQRT_2,
                        fan_out_only: true,
                    })
                    .init(device);
                if bias_flag {
                    conv.bias =
                        Some(default_bias.init_with([out_ch], Some(fan_in), Some(fan_out), device));
                }
                conv
            } else {
                config.init(device)
            };
            if let Some(w) = weights {
                let shape = [out_ch, in_ch / c.groups.max(1), kernel[0], kernel[1]];
                conv.weight = param_from(w, shape, device);
                conv.bias = bias.map(|b| param_from(b, [out_ch], device));
            }
            layer.conv = Some(conv);
        }
        Op::ConvTranspose2d(c) => {
            let mut conv = ConvTranspose2dConfig::new([in_ch, out_ch], c.kernel)
                .with_stride(c.stride)
                .with_dilation(c.dilation)
                .with_groups(c.groups.max(1))
                .with_padding(c.pad)
                .with_padding_out([c.output_pad; 2])
                .with_bias(bias_flag)
                .init(device);
            if let Some(w) = weights {
                let shape = [in_ch, out_ch / c.groups.max(1), c.kernel[0], c.kernel[1]];
                conv.weight = param_from(w, shape, device);
                conv.bias = bias.map(|b| param_from(b, [out_ch], device));
            }
            layer.conv_transpose = Some(conv);
        }
        Op::Linear { out_features } => {
            let mut linear = LinearConfig::new(in_ch, out_features)
                .with_bias(bias_flag)
                .init(device);
            if weights.is_some() {
                // IR `[out, in]` → burn `[in, out]`, transposed here so the tensor is contiguous
                // (a transposed view would sum in another order: results 1 ulp apart).
                let w = node.weights.as_ref().expect("checked by node_weights");
                let t: Vec<f32> = w.t().iter().copied().collect();
                linear.weight = param_from(t, [in_ch, out_features], device);
                linear.bias = bias.map(|b| param_from(b, [out_features], device));
            }
            layer.linear = Some(linear);
        }
        Op::Passthrough | Op::Eltwise(_) => {}
    }
    if let Some(bn) = &node.batchnorm {
        // ai8x's MAX78000 layers: running statistics with momentum 0.05, output divided by 4.
        let momentum = if training::is_device_node(node) {
            training::BN_MOMENTUM
        } else {
            0.1
        };
        layer.batchnorm = Some(batchnorm(i, bn, out_ch, momentum, device)?);
    }
    if let Some(p) = node.dropout {
        layer.dropout = Some(DropoutConfig::new(f64::from(p)).init());
    }
    let plan = LayerPlan {
        inputs: node.inputs.clone(),
        eltwise,
        in_chw,
        flatten: node.flatten,
        activation: node.activation,
        clamp: training::float_range(node),
        bn_scale: training::bn_output_scale(node),
        quant: None,
    };
    Ok((layer, plan))
}

fn batchnorm(
    i: NodeId,
    bn: &IrBatchNorm,
    channels: usize,
    momentum: f64,
    device: &Device,
) -> Result<BatchNorm, TrainError> {
    let lens = [
        bn.gamma.as_ref().map_or(channels, Array1::len),
        bn.beta.as_ref().map_or(channels, Array1::len),
        bn.running_mean.len(),
        bn.running_var.len(),
    ];
    if lens.iter().any(|&l| l != channels) {
        return Err(TrainError::Mismatch {
            layer: i,
            message: format!("batch norm sizes {lens:?} differ from {channels} channels"),
        });
    }
    let mut m = BatchNormConfig::new(channels)
        .with_epsilon(f64::from(bn.eps))
        .with_momentum(momentum)
        .init(device);
    let fixed = |p: Param<Tensor<1>>| p.set_require_grad(false);
    m.gamma = match &bn.gamma {
        Some(g) => param_from(g.to_vec(), [channels], device),
        None => fixed(param_from(vec![1.0; channels], [channels], device)),
    };
    m.beta = match &bn.beta {
        Some(b) => param_from(b.to_vec(), [channels], device),
        None => fixed(param_from(vec![0.0; channels], [channels], device)),
    };
    m.running_mean = RunningState::new(tensor_from(bn.running_mean.to_vec(), [channels], device));
    m.running_var = RunningState::new(tensor_from(bn.running_var.to_vec(), [channels], device));
    Ok(m)
}

impl FusedLayer {
    fn pool(&self, x: Tensor<4>, quant: Option<&dyn FakeQuant>) -> Tensor<4> {
        match (&self.max_pool, &self.avg_pool, quant) {
            (Some(p), _, _) => p.forward(x),
            (_, Some(p), Some(q)) => q.average_pooled(p.forward(x)),
            (_, Some(p), None) => p.forward(x),
            _ => x,
        }
    }

    fn forward(&self, plan: &LayerPlan, operands: Vec<Tensor<4>>) -> Tensor<4> {
        let quant = plan.quant.as_deref();
        let [c, h, w] = plan.in_chw;
        let as_input = |t: Tensor<4>| {
            let n = t.dims()[0];
            t.reshape([n, c, h, w])
        };
        let x = match plan.eltwise {
            Some((op, pool_first)) => {
                let mut it = operands.into_iter().map(|t| {
                    let t = as_input(t);
                    if pool_first { self.pool(t, quant) } else { t }
                });
                let first = it.next().expect("an element-wise node has operands");
                let combined = it.fold(first, |acc, t| match op {
                    EltwiseOp::Sub => acc - t,
                    _ => acc + t,
                });
                let combined = match quant {
                    Some(q) => q.data(combined),
                    None => combined,
                };
                if pool_first {
                    combined
                } else {
                    self.pool(combined, quant)
                }
            }
            None => {
                let x = if operands.len() == 1 {
                    operands.into_iter().next().expect("one operand")
                } else {
                    Tensor::cat(operands, 1)
                };
                self.pool(as_input(x), quant)
            }
        };
        if let Some(q) = quant {
            let x = self.forward_quantized(q, plan.flatten, plan.activation, x);
            return match &self.dropout {
                Some(d) => d.forward(x),
                None => x,
            };
        }
        let x = if let Some(conv) = &self.conv {
            conv.forward(x)
        } else if let Some(conv) = &self.conv_transpose {
            conv.forward(x)
        } else if let Some(linear) = &self.linear {
            let [n, c, h, w] = x.dims();
            if plan.flatten {
                let y = linear.forward(x.reshape([n, c * h * w]));
                let k = y.dims()[1];
                y.reshape([n, k, 1, 1])
            } else {
                // Per pixel: features on the last axis.
                linear
                    .forward(x.permute([0, 2, 3, 1]))
                    .permute([0, 3, 1, 2])
            }
        } else {
            x
        };
        let x = match &self.batchnorm {
            Some(bn) => bn.forward(x).mul_scalar(plan.bn_scale),
            None => x,
        };
        let x = match (plan.activation, plan.clamp) {
            // ReLU followed by the device range is one clamp (one pass over the data instead of
            // two, forward and backward): max(lo, max(0, x)) = max(0, x) when lo ≤ 0.
            (Activation::Relu, Some((lo, hi))) if lo <= 0.0 => x.clamp(0.0, hi),
            (act, range) => {
                let x = activate(x, act);
                match range {
                    Some((lo, hi)) => x.clamp(lo, hi),
                    None => x,
                }
            }
        };
        match &self.dropout {
            Some(d) => d.forward(x),
            None => x,
        }
    }

    fn export(&self, i: NodeId, node: &mut Node) -> Result<(), TrainError> {
        let (weight, bias) = if let Some(conv) = &self.conv {
            let mut shape = conv.weight.dims().to_vec();
            if matches!(node.op, Op::Conv1d(_)) {
                shape.pop();
            }
            (
                Some((values(conv.weight.val()), shape)),
                conv.bias.as_ref().map(|b| values(b.val())),
            )
        } else if let Some(conv) = &self.conv_transpose {
            (
                Some((values(conv.weight.val()), conv.weight.dims().to_vec())),
                conv.bias.as_ref().map(|b| values(b.val())),
            )
        } else if let Some(linear) = &self.linear {
            let t = linear.weight.val().transpose();
            let shape = t.dims().to_vec();
            (
                Some((values(t), shape)),
                linear.bias.as_ref().map(|b| values(b.val())),
            )
        } else {
            (None, None)
        };
        if let Some((w, shape)) = weight {
            let expected = node.weight_shape().unwrap_or_default();
            if shape != expected {
                return Err(TrainError::Mismatch {
                    layer: i,
                    message: format!("model weights {shape:?}, graph geometry {expected:?}"),
                });
            }
            node.weights =
                Some(ArrayD::from_shape_vec(IxDyn(&shape), w).expect("shape matches the values"));
            node.bias = bias.map(Array1::from_vec);
        }
        if let Some(bn) = &self.batchnorm {
            let eps = bn.epsilon as f32;
            let affine = node.batchnorm.as_ref().is_none_or(|b| b.gamma.is_some());
            node.batchnorm = Some(IrBatchNorm {
                gamma: affine.then(|| Array1::from_vec(values(bn.gamma.val()))),
                beta: affine.then(|| Array1::from_vec(values(bn.beta.val()))),
                running_mean: Array1::from_vec(values(bn.running_mean.value())),
                running_var: Array1::from_vec(values(bn.running_var.value())),
                eps,
            });
        }
        Ok(())
    }
}
