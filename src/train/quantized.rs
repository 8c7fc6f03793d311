//! The operators of a fake-quantized [`FusedLayer`]: the same convolution / linear geometry as
//! the float modules, computed on the parameters a [`FakeQuant`] derives from the stored ones,
//! followed by the quantizer's output stage.
//!
//! Owns only the plumbing between burn's functional operators and [`FakeQuant`]; the
//! arithmetic is `crate::quant`'s. Must not change parameters.

use super::layer::FusedLayer;
use crate::ir::Activation;
use crate::quant::{FakeQuant, activate};
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

impl FusedLayer {
    /// Operator, output scaling, activation, rounding and clamping of a quantized layer on
    /// pooled input `x`; a layer without operator only clamps (after its activation).
    pub(super) fn forward_quantized(
        &self,
        q: &dyn FakeQuant,
        flatten: bool,
        act: Activation,
        x: Tensor<4>,
    ) -> Tensor<4> {
        let bias = |b: &Option<burn::module::Param<Tensor<1>>>| b.as_ref().map(|b| b.val());
        if let Some(conv) = &self.conv {
            let p = q.operator_params(conv.weight.val(), bias(&conv.bias));
            let opts = ConvOptions::new_with_padding(
                conv.stride,
                pads(&conv.padding),
                conv.dilation,
                conv.groups,
            );
            q.output(conv2d(x, p.weight, p.bias, opts), p.output_scale, act)
        } else if let Some(conv) = &self.conv_transpose {
            let p = q.operator_params(conv.weight.val(), bias(&conv.bias));
            let opts = ConvTransposeOptions::new(
                conv.stride,
                conv.padding,
                conv.padding_out,
                conv.dilation,
                conv.groups,
            );
            q.output(
                conv_transpose2d(x, p.weight, p.bias, opts),
                p.output_scale,
                act,
            )
        } else if let Some(l) = &self.linear {
            let [d_in, d_out] = l.weight.dims();
            let w = l.weight.val().reshape([d_in, d_out, 1, 1]);
            let p = q.operator_params(w, bias(&l.bias));
            let w = p.weight.reshape([d_in, d_out]);
            let [n, c, h, wd] = x.dims();
            let y = if flatten {
                let y = linear(x.reshape([n, c * h * wd]), w, p.bias);
                y.reshape([n, d_out, 1, 1])
            } else {
                linear(x.permute([0, 2, 3, 1]), w, p.bias).permute([0, 3, 1, 2])
            };
            q.output(y, p.output_scale, act)
        } else {
            q.data(activate(x, act))
        }
    }
}
