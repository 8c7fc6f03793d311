//! One fused layer of a trainable model: its burn modules ([`FusedLayer`]), the stateless plan
//! of its forward pass ([`LayerPlan`]), how both are built from an IR node, and the forward
//! pass and export of that one layer.
//!
//! Owns the mapping between burn's parameter layouts and the IR's framework layout for one
//! node. The model as a whole (execution order, inputs and outputs, fake-quantization set-up) is
//! [`super::model`]'s.

use super::error::{TrainError, unsupported};
use crate::ir::{
    Activation, BatchNorm as IrBatchNorm, Conv, Dims, EltwiseOp, Node, NodeId, Op, PoolKind,
    Source, WeightInit, is_one_dimensional,
};
use crate::quant::{FakeQuant, activate};
use burn::module::{Module, Param, RunningState};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer, Linear, LinearConfig,
    PaddingConfig2d,
};
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::{Array1, ArrayD, IxDyn};
use std::sync::Arc;

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
pub(super) struct LayerPlan {
    pub(super) inputs: Vec<Source>,
    /// Element-wise combination and whether each operand is pooled before it.
    pub(super) eltwise: Option<(EltwiseOp, bool)>,
    /// `[C, H, W]` of one operand as the node reads it (one-dimensional data as `[C, L, 1]`).
    pub(super) in_chw: [usize; 3],
    /// Linear: flatten each sample (true) or apply per pixel (false).
    pub(super) flatten: bool,
    pub(super) activation: Activation,
    /// Output range the float model is confined to (the device's data range), if any.
    pub(super) clamp: Option<(f32, f32)>,
    /// Factor on the batch-norm output (ai8x divides it by 4 on MAX78000).
    pub(super) bn_scale: f32,
    /// Fake-quantization of this node, if any.
    pub(super) quant: Option<Arc<dyn FakeQuant>>,
    /// Batch norm computes with its running statistics and is not trained.
    pub(super) frozen_batchnorm: bool,
    /// The node's parameters are not trained (their values are used detached).
    pub(super) locked: bool,
}

pub(super) fn chw(dims: Dims, channels: usize) -> [usize; 3] {
    let (h, w) = dims.hw();
    [channels, h, w]
}

pub(super) fn tensor_from<const D: usize>(
    values: Vec<f32>,
    shape: [usize; D],
    device: &Device,
) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn param_from<const D: usize>(
    values: Vec<f32>,
    shape: [usize; D],
    device: &Device,
) -> Param<Tensor<D>> {
    Param::from_tensor(tensor_from(values, shape, device))
}

pub(super) fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .try_into_vec_as::<f32>()
        .expect("float tensor data")
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

/// The operator's parameters as a node gives them: weights (checked), bias, whether the
/// operator has a bias, and its channel counts.
struct OperatorParams {
    weights: Option<Vec<f32>>,
    bias: Option<Vec<f32>>,
    bias_flag: bool,
    in_ch: usize,
    out_ch: usize,
}

impl OperatorParams {
    fn of(i: NodeId, node: &Node, default_bias: bool) -> Result<Self, TrainError> {
        let weights = node_weights(i, node)?;
        let bias_flag = if weights.is_some() {
            node.bias.is_some()
        } else {
            node.with_bias.unwrap_or(default_bias)
        };
        let out_ch = node.out_shape.channels;
        Ok(OperatorParams {
            weights,
            bias: node_bias(i, node, out_ch)?,
            bias_flag,
            in_ch: node.op_in_channels(),
            out_ch,
        })
    }
}

/// Build the modules and plan of node `i`; operators of nodes without weights get a bias when
/// `default_bias` (unless the node says otherwise).
pub(super) fn build_layer(
    i: NodeId,
    node: &Node,
    default_bias: bool,
    device: &Device,
) -> Result<(FusedLayer, LayerPlan), TrainError> {
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
    add_pooling(&mut layer, i, node)?;
    let p = OperatorParams::of(i, node, default_bias)?;
    match node.op {
        Op::Conv1d(c) | Op::Conv2d(c) => layer.conv = Some(conv(node, c, p, device)),
        Op::ConvTranspose2d(c) => layer.conv_transpose = Some(conv_transpose(c, p, device)),
        Op::Linear { out_features } => layer.linear = Some(linear(node, out_features, p, device)),
        Op::Passthrough | Op::Eltwise(_) => {}
    }
    if let Some(bn) = &node.batchnorm {
        let (channels, momentum) = (node.out_shape.channels, node.training.bn_momentum);
        layer.batchnorm = Some(batchnorm(i, bn, channels, momentum, device)?);
    }
    if let Some(p) = node.dropout {
        layer.dropout = Some(DropoutConfig::new(f64::from(p)).init());
    }
    let plan = LayerPlan {
        inputs: node.inputs.clone(),
        eltwise,
        in_chw: chw(node.in_shape.dims, node.in_shape.channels),
        flatten: node.flatten,
        activation: node.activation,
        clamp: node.training.output_range,
        bn_scale: node.training.bn_output_scale,
        quant: None,
        frozen_batchnorm: false,
        locked: false,
    };
    Ok((layer, plan))
}

/// The node's pooling stage (one-dimensional pooling as `k×1`).
fn add_pooling(layer: &mut FusedLayer, i: NodeId, node: &Node) -> Result<(), TrainError> {
    let Some(p) = node.pool else {
        return Ok(());
    };
    let (size, stride, dil) = if is_one_dimensional(node) {
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
    Ok(())
}

/// A Conv2d (or a Conv1d as `k×1` Conv2d) from the node's geometry and parameters.
fn conv(node: &Node, c: Conv, p: OperatorParams, device: &Device) -> Conv2d {
    let one_d = is_one_dimensional(node);
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
    let (in_ch, out_ch) = (p.in_ch, p.out_ch);
    let groups = c.groups.max(1);
    let config = Conv2dConfig::new([in_ch, out_ch], kernel)
        .with_stride(stride)
        .with_dilation(dilation)
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Explicit(pad[0], pad[1], pad[0], pad[1]))
        .with_bias(p.bias_flag);
    // He's normal initialisation (fan-out, ReLU gain) of 2-D convolution weights, as
    // ai8x-training's models do; biases keep PyTorch's default.
    let he_normal =
        node.training.weight_init == WeightInit::HeNormalFanOut && !one_d && p.weights.is_none();
    let mut conv = if he_normal {
        let default_bias = config.initializer.clone();
        let fan_in = in_ch / groups * kernel[0] * kernel[1];
        let fan_out = out_ch / groups * kernel[0] * kernel[1];
        let mut conv = config
            .with_initializer(Initializer::KaimingNormal {
                gain: std::f64::consts::SQRT_2,
                fan_out_only: true,
            })
            .init(device);
        if p.bias_flag {
            conv.bias = Some(default_bias.init_with([out_ch], Some(fan_in), Some(fan_out), device));
        }
        conv
    } else {
        config.init(device)
    };
    if let Some(w) = p.weights {
        let shape = [out_ch, in_ch / groups, kernel[0], kernel[1]];
        conv.weight = param_from(w, shape, device);
        conv.bias = p.bias.map(|b| param_from(b, [out_ch], device));
    }
    conv
}

/// A ConvTranspose2d from the node's geometry and parameters.
fn conv_transpose(c: Conv, p: OperatorParams, device: &Device) -> ConvTranspose2d {
    let (in_ch, out_ch) = (p.in_ch, p.out_ch);
    let mut conv = ConvTranspose2dConfig::new([in_ch, out_ch], c.kernel)
        .with_stride(c.stride)
        .with_dilation(c.dilation)
        .with_groups(c.groups.max(1))
        .with_padding(c.pad)
        .with_padding_out([c.output_pad; 2])
        .with_bias(p.bias_flag)
        .init(device);
    if let Some(w) = p.weights {
        let shape = [in_ch, out_ch / c.groups.max(1), c.kernel[0], c.kernel[1]];
        conv.weight = param_from(w, shape, device);
        conv.bias = p.bias.map(|b| param_from(b, [out_ch], device));
    }
    conv
}

/// A Linear layer from the node's parameters.
fn linear(node: &Node, out_features: usize, p: OperatorParams, device: &Device) -> Linear {
    let in_ch = p.in_ch;
    let mut linear = LinearConfig::new(in_ch, out_features)
        .with_bias(p.bias_flag)
        .init(device);
    if p.weights.is_some() {
        // IR `[out, in]` → burn `[in, out]`, transposed here so the tensor is contiguous
        // (a transposed view would sum in another order: results 1 ulp apart).
        let w = node.weights.as_ref().expect("checked by node_weights");
        let t: Vec<f32> = w.t().iter().copied().collect();
        linear.weight = param_from(t, [in_ch, out_features], device);
        linear.bias = p.bias.map(|b| param_from(b, [out_features], device));
    }
    linear
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

    /// The batch-norm stage times the device's factor: burn's batch norm, or when frozen the
    /// affine map of its running statistics with its parameters detached (no gradient).
    pub(super) fn batchnorm_of(&self, plan: &LayerPlan, x: Tensor<4>) -> Tensor<4> {
        let Some(bn) = &self.batchnorm else {
            return x;
        };
        let y = if plan.frozen_batchnorm {
            let var = bn.running_var.value().add_scalar(bn.epsilon);
            let scale = bn.gamma.val().detach() / var.sqrt();
            let shift = bn.beta.val().detach() - bn.running_mean.value() * scale.clone();
            let c = scale.dims()[0];
            x * scale.reshape([1, c, 1, 1]) + shift.reshape([1, c, 1, 1])
        } else {
            bn.forward(x)
        };
        y.mul_scalar(plan.bn_scale)
    }

    pub(super) fn forward(&self, plan: &LayerPlan, operands: Vec<Tensor<4>>) -> Tensor<4> {
        let quant = plan.quant.as_deref();
        let [c, h, w] = plan.in_chw;
        let as_input = |t: Tensor<4>| {
            let n = t.dims()[0];
            t.reshape([n, c, h, w])
        };
        let entering = |t: Tensor<4>| match quant {
            Some(q) => q.layer_input(as_input(t)),
            None => as_input(t),
        };
        let x = match plan.eltwise {
            Some((op, pool_first)) => {
                let mut it = operands.into_iter().map(|t| {
                    let t = entering(t);
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
                self.pool(entering(x), quant)
            }
        };
        if let Some(q) = quant {
            let x = self.forward_quantized(q, plan, x);
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
        let x = self.batchnorm_of(plan, x);
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

    pub(super) fn export(&self, i: NodeId, node: &mut Node) -> Result<(), TrainError> {
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
