//! `qtool fakequant --scheme gfpq --bits 8|16 [--gfpq-mode init|update|apply --coefficient K]`:
//! one array quantized and dequantized as HiSilicon's `HI_GFPQ_QuantAndDeQuant` does, the
//! coefficient derived from the array, widened from a stored one, or only applied.

use super::GfpqMode;
use super::code::{LogBits, k_max, quantizer};
use crate::quant::tensor::{
    QuantizedTensor, TensorOptions, TensorQuantError, TensorQuantizer, contiguous, finite_max_abs,
    par_map,
};
use ndarray::ArrayD;
use serde_json::json;

/// `gfpq`.
#[derive(Debug, Clone, Copy)]
pub struct Gfpq;

const NAME: &str = "gfpq";

impl TensorQuantizer for Gfpq {
    fn name(&self) -> &'static str {
        NAME
    }

    fn apply(
        &self,
        x: &ArrayD<f32>,
        o: &TensorOptions,
    ) -> Result<QuantizedTensor, TensorQuantError> {
        let err = |message: String| TensorQuantError::Options {
            scheme: NAME,
            message,
        };
        let bits = o.bits.ok_or_else(|| err("needs --bits 8 or 16".into()))?;
        let bits = LogBits::try_from(bits).map_err(|m| err(format!("--bits {bits}: {m}")))?;
        let mode = match o.mode.as_deref() {
            None => GfpqMode::Init,
            Some(m) => m.parse().map_err(|m| err(format!("--gfpq-mode {m}")))?,
        };
        let values = contiguous(x);
        let derived = k_max(bits, finite_max_abs(NAME, &values)?);
        let k_max = match (mode, o.coefficient) {
            (GfpqMode::Init, None) => derived,
            (GfpqMode::Init, Some(_)) => {
                return Err(err(
                    "--coefficient: init derives the coefficient from the data (use update or apply)"
                        .into(),
                ));
            }
            (GfpqMode::Update, stored) => mode.next(stored, derived),
            (GfpqMode::Apply, None) => {
                return Err(err("--gfpq-mode apply needs --coefficient K".into()));
            }
            (GfpqMode::Apply, Some(k)) => Some(k),
        };
        let mut parameters = vec![
            ("bits".to_string(), json!(bits.bits())),
            ("mode".to_string(), json!(mode.to_string())),
            ("k_max".to_string(), json!(k_max)),
            ("derived_k_max".to_string(), json!(derived)),
        ];
        let out = match k_max {
            Some(k) => {
                let q = quantizer(bits, k);
                parameters.push(("z".into(), json!(k - bits.span())));
                par_map(&values, |i, o| q.quantize_into(i, o))
            }
            // All zeros: nothing to code.
            None => vec![0.0; values.len()],
        };
        Ok(QuantizedTensor {
            values: ArrayD::from_shape_vec(x.shape(), out).expect("same length"),
            parameters,
        })
    }
}
