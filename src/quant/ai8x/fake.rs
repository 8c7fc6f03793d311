//! MAX78000 fake-quantization of one fused layer, as ai8x-training computes it (`qat.md` §3–§5,
//! §8.2), in its two quantized modes:
//!
//! * [`Mode::Qat`] — quantization-aware training on float data: the output shift `σ` follows
//!   the weights (`σ = −floor(log2(1/L))`, `L` = max (or `shift_quantile`) of `|W ∪ B|`,
//!   clamped to ±15); weights and bias become `clamp(rhu(v·2^−σ·2^(b−1))/2^(b−1), −1,
//!   (2^(b−1)−1)/2^(b−1))`; the operator's output is multiplied by `2^σ` (not on wide layers),
//!   activated, rounded to the 8-bit grid and clamped to `[−1, 127/128]` (wide: `2^−14` grid,
//!   `±2^15`). Rounding is straight-through; clamps mask the gradient.
//! * [`Mode::Simulate`] — the `-8` evaluation of a quantized checkpoint on integer data: weights
//!   `Wq·2^(8−b)`, bias `β·128·2^(8−b)`, `floor(acc·2^σ)`, activation, `rhu(·/128)` clamped to
//!   `[−128, 127]`; wide: `rhu(acc/2^(8−b))` clamped to `[−2^29, 2^29−1]`.
//!
//! Owns this arithmetic only; which layers get which bits comes from [`crate::quant::policy`], and
//! the integer conversion of a checkpoint from [`super::quantize`].

use super::quantize::clamped_exponent;
use crate::device::ai8x::training::{
    DATA_SCALE, QAT_SHIFT_LIMIT, WIDE_FLOAT_LIMIT, WIDE_QAT_SCALE, WIDE_SIM_RANGE,
};
use crate::ir::{Activation, WeightBits};
use crate::quant::ste::{self, ai8x_quantile};
use crate::quant::{FakeQuant, OperatorParams, activate};
use burn::tensor::Tensor;

/// Largest 8-bit value as a float: 127/128.
const DATA_MAX: f32 = 127.0 / 128.0;

/// Which arithmetic a quantized layer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Qat,
    Simulate,
}

/// One MAX78000 layer's fake-quantization.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerQuant {
    pub mode: Mode,
    pub bits: WeightBits,
    /// 32-bit output: no output scaling, no activation, wide grid.
    pub wide: bool,
    /// Quantize weights and bias (QAT `--quant-w`; always in simulate mode).
    pub weights: bool,
    /// Round activations to the data grid (QAT `--quant-act`; always in simulate mode).
    pub activations: bool,
    /// Quantile of `|W ∪ B|` the output shift is derived from (1: the maximum).
    pub shift_quantile: f32,
    /// Simulate mode: the checkpoint's output shift `σ`.
    pub output_shift: i32,
    /// Binary weights (MAX78002): in QAT the scaled weights become their sign, ±1 (0 counts
    /// as +1), with a straight-through gradient; `bits` is 1, so the bias, the output scale
    /// and simulate mode are those of 1-bit weights.
    pub binary: bool,
}

impl LayerQuant {
    /// Quantization-aware training of a layer with `bits`-bit weights.
    pub fn qat(bits: WeightBits, wide: bool) -> Self {
        LayerQuant {
            mode: Mode::Qat,
            bits,
            wide,
            weights: true,
            activations: true,
            shift_quantile: 1.0,
            output_shift: 0,
            binary: false,
        }
    }

    /// Simulate-mode evaluation of a quantized layer.
    pub fn simulate(bits: WeightBits, wide: bool, output_shift: i32) -> Self {
        LayerQuant {
            mode: Mode::Simulate,
            bits,
            wide,
            weights: true,
            activations: true,
            shift_quantile: 1.0,
            output_shift,
            binary: false,
        }
    }

    fn half(&self) -> f32 {
        (1u32 << (self.bits.bits() - 1)) as f32
    }

    /// `2^(8−b)`: narrow integer weights scaled to the 8-bit grid.
    fn narrow_scale(&self) -> f32 {
        (1u32 << crate::device::ai8x::implicit_shift(self.bits)) as f32
    }
}

/// The weight-scale exponent `e = floor(log2(1/L))` of QAT, clamped to ±15 (`σ = −e`). `L = 0`
/// gives the largest exponent.
pub fn qat_scale_exponent(l: f32) -> i32 {
    clamped_exponent(l, -QAT_SHIFT_LIMIT, QAT_SHIFT_LIMIT)
}

/// Straight-through quantization of a scaled value `u` to `b` bits with the device's clamp.
fn quantize_scaled<const D: usize>(u: Tensor<D>, half: f32) -> Tensor<D> {
    ste::round_half_up(u.mul_scalar(half))
        .div_scalar(half)
        .clamp(-1.0, (half - 1.0) / half)
}

/// `+1` where `u ≥ 0` and `−1` elsewhere in the forward pass, `u`'s gradient unchanged in the
/// backward pass (straight-through, as for rounding).
pub fn sign_ste<const D: usize>(u: Tensor<D>) -> Tensor<D> {
    let d = u.clone().detach();
    let s = d
        .clone()
        .greater_equal_elem(0.0)
        .float()
        .mul_scalar(2.0)
        .sub_scalar(1.0);
    ste::straight_through(u, s)
}

impl FakeQuant for LayerQuant {
    fn operator_params(&self, weight: Tensor<4>, bias: Option<Tensor<1>>) -> OperatorParams {
        match self.mode {
            Mode::Simulate => {
                let k = self.narrow_scale();
                OperatorParams {
                    weight: weight.mul_scalar(k),
                    bias: bias.map(|b| b.mul_scalar(k * DATA_SCALE)),
                    output_scale: 2f32.powi(self.output_shift),
                }
            }
            Mode::Qat if !self.weights => OperatorParams {
                weight,
                bias,
                output_scale: 1.0,
            },
            Mode::Qat => {
                let flat = weight.clone().reshape([weight.shape().num_elements()]);
                let mut params = vec![flat];
                params.extend(bias.clone());
                let l = if self.shift_quantile >= 1.0 {
                    ste::max_abs(&params)
                } else {
                    ai8x_quantile(ste::abs_values(&params), self.shift_quantile)
                };
                let e = qat_scale_exponent(l);
                let scale = 2f32.powi(e);
                let half = self.half();
                let scaled = weight.mul_scalar(scale);
                OperatorParams {
                    weight: if self.binary {
                        sign_ste(scaled)
                    } else {
                        quantize_scaled(scaled, half)
                    },
                    bias: bias.map(|b| quantize_scaled(b.mul_scalar(scale), half)),
                    output_scale: if self.wide { 1.0 } else { 2f32.powi(-e) },
                }
            }
        }
    }

    fn output(&self, x: Tensor<4>, output_scale: f32, act: Activation) -> Tensor<4> {
        match (self.mode, self.wide) {
            (Mode::Qat, false) => {
                let x = activate(x.mul_scalar(output_scale), act);
                let x = if self.activations {
                    ste::round_half_up(x.mul_scalar(DATA_SCALE)).div_scalar(DATA_SCALE)
                } else {
                    x
                };
                x.clamp(-1.0, DATA_MAX)
            }
            (Mode::Qat, true) => {
                let x = activate(x, act);
                let x = if self.activations {
                    ste::round_half_up(x.mul_scalar(WIDE_QAT_SCALE)).div_scalar(WIDE_QAT_SCALE)
                } else {
                    x
                };
                x.clamp(-WIDE_FLOAT_LIMIT, WIDE_FLOAT_LIMIT)
            }
            (Mode::Simulate, false) => {
                let x = activate(ste::floor(x.mul_scalar(output_scale)), act);
                ste::round_half_up(x.div_scalar(DATA_SCALE)).clamp(-128.0, 127.0)
            }
            (Mode::Simulate, true) => {
                let x = activate(x, act);
                ste::round_half_up(x.div_scalar(self.narrow_scale()))
                    .clamp(WIDE_SIM_RANGE.0, WIDE_SIM_RANGE.1)
            }
        }
    }

    fn average_pooled(&self, x: Tensor<4>) -> Tensor<4> {
        match self.mode {
            Mode::Qat if self.activations => ste::trunc(x.mul_scalar(DATA_SCALE))
                .div_scalar(DATA_SCALE)
                .clamp(-1.0, DATA_MAX),
            Mode::Qat => x.clamp(-1.0, DATA_MAX),
            Mode::Simulate => ste::trunc(x).clamp(-128.0, 127.0),
        }
    }

    fn data(&self, x: Tensor<4>) -> Tensor<4> {
        match self.mode {
            Mode::Qat => x.clamp(-1.0, DATA_MAX),
            Mode::Simulate => x.clamp(-128.0, 127.0),
        }
    }
}

#[cfg(test)]
#[path = "fake_tests.rs"]
mod tests;
