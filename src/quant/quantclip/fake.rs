//! Quantclip's fake quantization of one layer: the kernel, the operator's input and its raw
//! sum of products each through their fixed-point format; the bias added after, in float.
//!
//! Forward: `q·⌊clamp(x, −A, A−q)/q⌋`, bit for bit the host arithmetic of
//! [`FixedPoint::quantize`]. Backward: 1 where `−A ≤ x < A`, else 0 — the mask is taken on
//! the unclipped `x` (burn's clamp to `A − q` would also zero `(A − q, A)`).

use super::format::FixedPoint;
use crate::ir::{Activation, OperatorFormats};
use crate::quant::ste::straight_through;
use crate::quant::{FakeQuant, OperatorParams, activate};
use burn::tensor::Tensor;

/// `x` through `f`, with the masked straight-through gradient. The mask comes from burn's
/// clamp to `[−A, A⁻]` (`A⁻` the float below `A`; the clamp's gradient passes with its bounds
/// included, so exactly where `−A ≤ x < A`); the value is the host arithmetic on the clamped
/// `x`, the same for every `x` since `A⁻ ≥ A − q`.
pub fn fake_fixed<const D: usize>(x: Tensor<D>, f: FixedPoint) -> Tensor<D> {
    let (a, q) = (f.amplitude(), f.step());
    let below_a = f32::from_bits(a.to_bits() - 1);
    let c = x.clamp(-a, below_a);
    let r = c
        .clone()
        .detach()
        .clamp_max(f.top())
        .mul_scalar(1.0 / q)
        .floor()
        .mul_scalar(q);
    straight_through(c, r)
}

/// One operator's three quantizers.
#[derive(Debug, Clone, Copy)]
pub struct QuantclipLayer {
    pub kernel: FixedPoint,
    pub input: FixedPoint,
    pub output: FixedPoint,
}

impl QuantclipLayer {
    /// The layer of recorded formats (checked when they were recorded).
    pub fn of(f: OperatorFormats) -> Result<Self, String> {
        Ok(QuantclipLayer {
            kernel: f.kernel.try_into()?,
            input: f.input.try_into()?,
            output: f.output.try_into()?,
        })
    }
}

impl FakeQuant for QuantclipLayer {
    fn operator_params(&self, weight: Tensor<4>, bias: Option<Tensor<1>>) -> OperatorParams {
        OperatorParams {
            weight: fake_fixed(weight, self.kernel),
            bias,
            output_scale: 1.0,
        }
    }

    fn operator_input(&self, x: Tensor<4>) -> Tensor<4> {
        fake_fixed(x, self.input)
    }

    fn quantizes_raw_sum(&self) -> bool {
        true
    }

    fn raw_sum(&self, x: Tensor<4>) -> Tensor<4> {
        fake_fixed(x, self.output)
    }

    fn keeps_output_range(&self) -> bool {
        true
    }

    fn output(&self, x: Tensor<4>, _output_scale: f32, activation: Activation) -> Tensor<4> {
        activate(x, activation)
    }

    fn average_pooled(&self, x: Tensor<4>) -> Tensor<4> {
        x
    }

    fn data(&self, x: Tensor<4>) -> Tensor<4> {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn grads(f: FixedPoint, xs: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let device = Device::flex().autodiff();
        let x = Tensor::<1>::from_data(TensorData::new(xs.to_vec(), [xs.len()]), &device)
            .require_grad();
        let y = fake_fixed(x.clone(), f);
        let values = y.clone().into_data().try_into_vec_as::<f32>().unwrap();
        let g = y.sum().backward();
        let gx = x
            .grad(&g)
            .unwrap()
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap();
        (values, gx)
    }

    #[test]
    fn forward_is_the_host_arithmetic_and_the_mask_is_on_the_unclipped_input() {
        let f = FixedPoint::new(0, 8).unwrap();
        let (a, q) = (f.amplitude(), f.step());
        let xs = [-a - 1e-3, -a, a - q / 2.0, a, 0.30, -0.30, 1.7];
        let (y, g) = grads(f, &xs);
        let host: Vec<f32> = xs.iter().map(|&x| f.quantize(x)).collect();
        assert_eq!(y, host);
        assert_eq!(&g[..4], &[0.0, 1.0, 1.0, 0.0]);
        assert_eq!(&y[4..], &[0.296875, -0.3046875, 0.9921875]);
    }
}
