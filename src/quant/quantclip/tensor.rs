//! `qtool fakequant --scheme quantclip --bits N (--msb M | --msb-percentile P)`: one array
//! through one fixed-point quantizer (the thesis's MATLAB `quantclip`), the msb given or
//! chosen from the array's own percentile limits.

use super::format::FixedPoint;
use super::range::{limits, msb_for};
use crate::quant::tensor::{
    QuantizedTensor, TensorOptions, TensorQuantError, TensorQuantizer, contiguous, finite_max_abs,
    par_map,
};
use ndarray::ArrayD;
use serde_json::json;

/// `quantclip`.
#[derive(Debug, Clone, Copy)]
pub struct Quantclip;

const NAME: &str = "quantclip";

impl TensorQuantizer for Quantclip {
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
        let bits = o
            .bits
            .ok_or_else(|| err("needs --bits N (1 to 24)".into()))?;
        let values = contiguous(x);
        finite_max_abs(NAME, &values)?;
        let mut parameters = vec![("bits".to_string(), json!(bits))];
        let msb = match (o.msb, o.msb_percentile) {
            (Some(m), None) => m,
            (None, Some(p)) => {
                if !(p > 0.0 && p <= 100.0) {
                    return Err(err(format!("--msb-percentile {p}: not in (0, 100]")));
                }
                let (lower, upper) = limits(&mut values.to_vec(), p).unwrap_or((0.0, 0.0));
                parameters.push(("percentile".into(), json!(p)));
                parameters.push(("lower".into(), json!(lower)));
                parameters.push(("upper".into(), json!(upper)));
                msb_for(lower, upper).msb
            }
            (Some(_), Some(_)) => {
                return Err(err("--msb and --msb-percentile exclude each other".into()));
            }
            (None, None) => return Err(err("needs --msb M or --msb-percentile P".into())),
        };
        let f = FixedPoint::new(msb, bits).map_err(|m| err(format!("cannot use {m}")))?;
        parameters.push(("msb".into(), json!(msb)));
        parameters.push(("amplitude".into(), json!(f.amplitude())));
        parameters.push(("step".into(), json!(f.step())));
        let out = par_map(&values, |i, o| {
            o.copy_from_slice(i);
            f.quantize_slice(o);
        });
        Ok(QuantizedTensor {
            values: ArrayD::from_shape_vec(x.shape(), out).expect("same length"),
            parameters,
        })
    }
}
