//! GFPQ's fake quantization of one layer: the data entering it through the stored data
//! coefficient (again after average pooling), the weights through a coefficient derived from
//! them at each forward pass; bias, batch norm and activation float. Gradient: identity.
//!
//! The codes are computed on the host by [`super::code`] (bit-identical to `qtool fakequant`).

use super::code::{self, LogBits, max_abs, quantizer};
use crate::ir::Activation;
use crate::quant::ste::straight_through;
use crate::quant::tensor::par_apply;
use crate::quant::{FakeQuant, OperatorParams, activate};
use burn::tensor::{Tensor, TensorData};

/// `x` through the quantizer of coefficient `k_max` (`None`: the coefficient of `x`'s own
/// largest magnitude, found in the same host copy; all zeros pass unchanged), gradient passed
/// unchanged.
pub fn fake_log<const D: usize>(x: Tensor<D>, bits: LogBits, k_max: Option<i32>) -> Tensor<D> {
    let (dims, device) = (x.dims(), x.device());
    let mut v = x
        .clone()
        .detach()
        .into_data()
        .try_into_vec_as::<f32>()
        .expect("float tensor data");
    let Some(k) = k_max.or_else(|| code::k_max(bits, max_abs(&v))) else {
        return x;
    };
    let q = quantizer(bits, k);
    par_apply(&mut v, |c| q.quantize_slice(c));
    straight_through(x, Tensor::from_data(TensorData::new(v, dims), &device))
}

/// One layer's stage.
#[derive(Debug, Clone, Copy)]
pub struct GfpqLayer {
    pub bits: LogBits,
    /// The data coefficient (`None`: data passes unquantized, before calibration).
    pub data: Option<i32>,
}

impl GfpqLayer {
    fn data_stage(&self, x: Tensor<4>) -> Tensor<4> {
        match self.data {
            Some(k) => fake_log(x, self.bits, Some(k)),
            None => x,
        }
    }
}

impl FakeQuant for GfpqLayer {
    /// The weights through the coefficient of their own largest magnitude.
    fn operator_params(&self, weight: Tensor<4>, bias: Option<Tensor<1>>) -> OperatorParams {
        OperatorParams {
            weight: fake_log(weight, self.bits, None),
            bias,
            output_scale: 1.0,
        }
    }

    fn layer_input(&self, x: Tensor<4>) -> Tensor<4> {
        self.data_stage(x)
    }

    fn average_pooled(&self, x: Tensor<4>) -> Tensor<4> {
        self.data_stage(x)
    }

    fn keeps_output_range(&self) -> bool {
        true
    }

    fn output(&self, x: Tensor<4>, _output_scale: f32, activation: Activation) -> Tensor<4> {
        activate(x, activation)
    }

    fn data(&self, x: Tensor<4>) -> Tensor<4> {
        x
    }
}
