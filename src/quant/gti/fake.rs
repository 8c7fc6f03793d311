//! GTI fake-quantization of one chip sub-layer, in its two modes:
//!
//! * [`Mode::Qat`] — training (gti.md §2.2–2.5, §2.7): the sub-layer's shift is recomputed
//!   from the current float weights and bias on every forward pass, the weights and bias are
//!   replaced by exactly what [`super::quantize_weights`] and [`super::quantize_bias`] give
//!   (the same functions `qtool quantize` uses, so training sees the chip's numbers to the
//!   bit), with a straight-through gradient; the ReLU is capped at the calibrated `α` and
//!   rounded to `codes/α` steps (straight-through rounding, the clip differentiates). A
//!   residual pair's second conv (no activation) passes its sum on unrounded; the addition
//!   node's data stage is the capped ReLU.
//! * [`Mode::Simulate`] — `eval --quantized` of a quantized checkpoint on 5-bit input codes:
//!   integer weights and bias, the sum scaled by `2^−s`, `clamp(round(·), 0, codes)` (§2.8;
//!   a residual addition rounds `acc·2^−s + shortcut` the same way; a 10-bit last layer
//!   `clamp(round(32·acc·2^−s), 0, 1023) / 32`).
//!   Every product and partial sum is an integer, exact in f32 while below 2^24 (whatever
//!   the summation order), so the result is the integer engine's; `qtool quantize` warns
//!   about a layer whose sums could exceed that.
//!
//! Owns this arithmetic only; which nodes are on the chip is `crate::device::gti`'s.

use super::activation::{CODES_5BIT, CODES_10BIT, TEN_BIT_LAST_CAP};
use super::rounding::{max_abs, shift};
use super::weights::{CodeRounding, quantize_bias, quantize_weights};
use crate::device::gti::{Chip, MaskBits};
use crate::ir::Activation;
use crate::quant::ste::{round_half_up, straight_through};
use crate::quant::{FakeQuant, OperatorParams, activate};
use burn::tensor::{Tensor, TensorData};

/// Which arithmetic a sub-layer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Qat,
    Simulate,
}

/// One chip sub-layer's fake-quantization.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerQuant {
    pub mode: Mode,
    pub chip: Chip,
    pub mask: MaskBits,
    pub rounding: CodeRounding,
    /// Quantize weights and bias (`--quant-w`; always when simulating).
    pub weights: bool,
    /// The capped, quantized ReLU (`--quant-act`; always when simulating), with cap `α`.
    pub cap: Option<f32>,
    /// Largest activation code (31 for 5-bit, 1023 for a 10-bit last layer).
    pub codes: f32,
    /// The fused cap: the value of the largest code (31; 1023/32 for a 10-bit last layer).
    pub full_range: f32,
    /// Simulate mode: the checkpoint's shift `s`.
    pub shift: u8,
}

impl LayerQuant {
    /// Training of a sub-layer at `mask` (weights quantized if `weights`, activations capped
    /// at `cap` if given).
    pub fn qat(chip: Chip, mask: MaskBits, weights: bool, cap: Option<f32>) -> Self {
        LayerQuant {
            mode: Mode::Qat,
            chip,
            mask,
            rounding: CodeRounding::Round,
            weights,
            cap,
            codes: CODES_5BIT,
            full_range: CODES_5BIT,
            shift: 0,
        }
    }

    /// Simulate-mode evaluation of a quantized sub-layer with shift `shift`.
    pub fn simulate(chip: Chip, mask: MaskBits, shift: u8) -> Self {
        LayerQuant {
            mode: Mode::Simulate,
            shift,
            weights: true,
            cap: None,
            ..LayerQuant::qat(chip, mask, true, None)
        }
    }

    /// The same with a 10-bit output (1023 codes of 1/32: gti.md §2.5's last-layer mode).
    pub fn ten_bits(self) -> Self {
        LayerQuant {
            codes: CODES_10BIT,
            full_range: TEN_BIT_LAST_CAP,
            ..self
        }
    }
}

/// The values of a tensor on the host.
fn host<const D: usize>(t: &Tensor<D>) -> Vec<f32> {
    t.clone()
        .detach()
        .into_data()
        .try_into_vec_as::<f32>()
        .expect("float tensor data")
}

/// `values` shaped like `like`, on its device, carrying `like`'s gradient.
fn replace<const D: usize>(like: Tensor<D>, values: Vec<f32>) -> Tensor<D> {
    let q = Tensor::from_data(TensorData::new(values, like.dims()), &like.device());
    straight_through(like, q)
}

impl FakeQuant for LayerQuant {
    fn operator_params(&self, weight: Tensor<4>, bias: Option<Tensor<1>>) -> OperatorParams {
        if self.mode == Mode::Simulate {
            return OperatorParams {
                weight,
                bias,
                output_scale: 1.0 / (1u32 << self.shift) as f32,
            };
        }
        if !self.weights {
            return OperatorParams {
                weight,
                bias,
                output_scale: 1.0,
            };
        }
        let [_, _, kh, kw] = weight.dims();
        let w = host(&weight);
        let b = bias.as_ref().map(host);
        let s = shift(self.chip, self.mask, max_abs(&w), b.as_deref().map(max_abs))
            .expect("the loader checked the chip has this mask");
        let wq = quantize_weights(&w, kh * kw, self.mask, s, self.rounding);
        let weight = replace(weight, wq);
        let bias = bias.zip(b).map(|(t, b)| replace(t, quantize_bias(&b, s)));
        OperatorParams {
            weight,
            bias,
            output_scale: 1.0,
        }
    }

    fn output(&self, x: Tensor<4>, output_scale: f32, activation: Activation) -> Tensor<4> {
        let x = if output_scale == 1.0 {
            x
        } else {
            x.mul_scalar(output_scale)
        };
        if activation == Activation::None {
            // The first half of a residual pair's end: the sum goes on to the addition.
            return x;
        }
        match (self.mode, self.cap) {
            (Mode::Qat, None) => activate(x, activation),
            _ => self.data(x),
        }
    }

    fn average_pooled(&self, x: Tensor<4>) -> Tensor<4> {
        x
    }

    /// A residual addition's sum (and, again, its ReLU output: the stage is idempotent) as
    /// the capped ReLU gives it; pooled codes pass unchanged.
    fn data(&self, x: Tensor<4>) -> Tensor<4> {
        match (self.mode, self.cap) {
            (Mode::Simulate, _) => {
                let f = self.codes / self.full_range;
                round_half_up(x.mul_scalar(f).clamp(0.0, self.codes)).div_scalar(f)
            }
            (Mode::Qat, Some(cap)) => {
                let f = self.codes / cap;
                round_half_up(x.clamp(0.0, cap).mul_scalar(f)).div_scalar(f)
            }
            (Mode::Qat, None) => x,
        }
    }
}
