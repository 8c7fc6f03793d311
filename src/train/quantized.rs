//! The operators of a fake-quantized [`FusedLayer`]: the same convolution / linear geometry as
//! the float modules, computed on the parameters a [`FakeQuant`] derives from the stored ones,
//! between the quantizer's input, raw-sum and output stages.
//!
//! Owns only the plumbing between burn's functional operators and [`FakeQuant`] (and a
//! locked layer's detached parameters); the arithmetic is `crate::quant`'s. Must not change
//! parameters.

use super::layer::{FusedLayer, LayerPlan};
use crate::quant::{FakeQuant, activate};
use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::tensor::Tensor;
use burn::tensor::module::{conv_transpose2d, conv2d, linear};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

/// `((top, bottom), (left, right))` of an explicit padding (the only kind models are built
/// with); other kinds are resolved by burn's own module and never reach here.
fn pads(p: &PaddingConfig2d) -> [(usize, usize); 2] {
    match *p {
        PaddingConfig2d::Explicit(top, left, bottom, right) => [(top, bottom), (left, right)],
        _ => [(0, 0), (0, 0)],
    }
}

/// A parameter's value, detached when its layer is locked.
fn value<const D: usize>(p: &Param<Tensor<D>>, locked: bool) -> Tensor<D> {
    if locked { p.val().detach() } else { p.val() }
}

/// `y + bias` per channel of `[N, C, H, W]`.
fn add_bias(y: Tensor<4>, bias: Option<Tensor<1>>) -> Tensor<4> {
    match bias {
        Some(b) => {
            let c = b.dims()[0];
            y + b.reshape([1, c, 1, 1])
        }
        None => y,
    }
}

impl FusedLayer {
    /// Operator input stage, operator (its bias before or after the raw-sum stage), frozen
    /// batch norm, output scaling, activation, rounding and clamping of a quantized layer on
    /// pooled input `x`; a layer without operator only clamps (after its activation).
    pub(super) fn forward_quantized(
        &self,
        q: &dyn FakeQuant,
        plan: &LayerPlan,
        x: Tensor<4>,
    ) -> Tensor<4> {
        let locked = plan.locked;
        let bias = |b: &Option<Param<Tensor<1>>>| b.as_ref().map(|b| value(b, locked));
        // The operator on prepared parameters: with its bias, or the raw sum through the
        // quantizer's stage and the bias after it.
        let with_bias = |op: &dyn Fn(Option<Tensor<1>>) -> Tensor<4>, b: Option<Tensor<1>>| {
            if q.quantizes_raw_sum() {
                add_bias(q.raw_sum(op(None)), b)
            } else {
                op(b)
            }
        };
        let (y, scale) = if let Some(conv) = &self.conv {
            let p = q.operator_params(value(&conv.weight, locked), bias(&conv.bias));
            let opts = ConvOptions::new_with_padding(
                conv.stride,
                pads(&conv.padding),
                conv.dilation,
                conv.groups,
            );
            let x = q.operator_input(x);
            let op = |b| conv2d(x.clone(), p.weight.clone(), b, opts.clone());
            (with_bias(&op, p.bias), p.output_scale)
        } else if let Some(conv) = &self.conv_transpose {
            let p = q.operator_params(value(&conv.weight, locked), bias(&conv.bias));
            let opts = ConvTransposeOptions::new(
                conv.stride,
                conv.padding,
                conv.padding_out,
                conv.dilation,
                conv.groups,
            );
            let x = q.operator_input(x);
            let op = |b| conv_transpose2d(x.clone(), p.weight.clone(), b, opts.clone());
            (with_bias(&op, p.bias), p.output_scale)
        } else if let Some(l) = &self.linear {
            let [d_in, d_out] = l.weight.dims();
            let w = value(&l.weight, locked).reshape([d_in, d_out, 1, 1]);
            let p = q.operator_params(w, bias(&l.bias));
            let w = p.weight.reshape([d_in, d_out]);
            let x = q.operator_input(x);
            let [n, c, h, wd] = x.dims();
            let op = |b| {
                if plan.flatten {
                    let y = linear(x.clone().reshape([n, c * h * wd]), w.clone(), b);
                    y.reshape([n, d_out, 1, 1])
                } else {
                    linear(x.clone().permute([0, 2, 3, 1]), w.clone(), b).permute([0, 3, 1, 2])
                }
            };
            (with_bias(&op, p.bias), p.output_scale)
        } else {
            return q.data(activate(x, plan.activation));
        };
        let y = q.output(self.batchnorm_of(plan, y), scale, plan.activation);
        match plan.clamp {
            Some((lo, hi)) if q.keeps_output_range() => y.clamp(lo, hi),
            _ => y,
        }
    }
}
