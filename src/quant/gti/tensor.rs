//! GTI's quantizers on whole arrays for `qtool fakequant`: `gti-weight` (a mask quantizer
//! with its layer shift, statistics per 2-D kernel of an OIHW array) and `gti-act` (the
//! capped 5- or 10-bit ReLU).

use super::activation::{CODES_5BIT, CODES_10BIT, quantized_relu};
use super::rounding::shift;
use super::weights::{CodeRounding, quantize_weights};
use crate::device::gti::{Chip, MaskBits};
use crate::quant::tensor::{
    QuantizedTensor, TensorOptions, TensorQuantError, TensorQuantizer, finite,
};
use ndarray::ArrayD;
use serde_json::json;

/// `gti-weight`: `--chip C --mask M [--truncate]`.
#[derive(Debug, Clone, Copy)]
pub struct GtiWeight;

/// `gti-act`: `--cap A [--ten-bits]`.
#[derive(Debug, Clone, Copy)]
pub struct GtiActivation;

impl TensorQuantizer for GtiWeight {
    fn name(&self) -> &'static str {
        "gti-weight"
    }

    fn apply(
        &self,
        x: &ArrayD<f32>,
        o: &TensorOptions,
    ) -> Result<QuantizedTensor, TensorQuantError> {
        let err = |message: String| TensorQuantError::Options {
            scheme: "gti-weight",
            message,
        };
        let chip_text = o
            .chip
            .as_deref()
            .ok_or_else(|| err("needs --chip".into()))?;
        let chip = Chip::parse(chip_text)
            .ok_or_else(|| err(format!("--chip {chip_text}: not 2801, 2803 or 5801")))?;
        let bits = o.mask.ok_or_else(|| err("needs --mask".into()))?;
        let masks: Vec<String> = chip.masks().iter().map(|m| m.to_string()).collect();
        let mask = MaskBits::new(bits)
            .filter(|m| chip.masks().contains(m))
            .ok_or_else(|| {
                err(format!(
                    "--mask {bits}: the {chip} has masks {}",
                    masks.join(", ")
                ))
            })?;
        if x.ndim() < 2 {
            return Err(TensorQuantError::Input {
                scheme: "gti-weight",
                message: format!(
                    "has shape {:?}; weights are [out, in, kh, kw] (or [out, in])",
                    x.shape()
                ),
            });
        }
        finite("gti-weight", x)?;
        let taps: usize = x.shape()[2..].iter().product();
        let values: Vec<f32> = x.iter().copied().collect();
        let max = values.iter().fold(0f32, |m, v| m.max(v.abs()));
        let s = shift(chip, mask, max, None).expect("the mask is the chip's");
        let rounding = if o.truncate {
            CodeRounding::Truncate
        } else {
            CodeRounding::Round
        };
        let q = quantize_weights(&values, taps.max(1), mask, s, rounding);
        let out = ArrayD::from_shape_vec(x.raw_dim(), q).expect("same length");
        let params = vec![
            ("chip".to_string(), json!(chip.number())),
            ("mask".to_string(), json!(mask.bits())),
            ("shift".to_string(), json!(s)),
        ];
        Ok(QuantizedTensor {
            values: out,
            parameters: params,
        })
    }
}

impl TensorQuantizer for GtiActivation {
    fn name(&self) -> &'static str {
        "gti-act"
    }

    fn apply(
        &self,
        x: &ArrayD<f32>,
        o: &TensorOptions,
    ) -> Result<QuantizedTensor, TensorQuantError> {
        let cap = o.cap.filter(|c| c.is_finite() && *c > 0.0).ok_or_else(|| {
            TensorQuantError::Options {
                scheme: "gti-act",
                message: "needs --cap, a positive number".into(),
            }
        })?;
        finite("gti-act", x)?;
        let codes = if o.ten_bits { CODES_10BIT } else { CODES_5BIT };
        let out = x.mapv(|v| quantized_relu(v, cap, codes));
        let params = vec![
            ("cap".to_string(), json!(cap)),
            ("codes".to_string(), json!(codes as u32)),
        ];
        Ok(QuantizedTensor {
            values: out,
            parameters: params,
        })
    }
}
