//! MAX78000 quantization (ai8x-training and ai8x-synthesis semantics): fake-quantization for
//! QAT and simulate mode ([`fake`]), the conversion of float parameters into the device's
//! integers ([`quantize`]) and back to float for analysis ([`dequantize`]), the per-layer
//! setup of a whole graph ([`setup`], this device's [`crate::quant::QatScheme`]) and
//! post-training quantization of a whole network ([`ptq`]).

pub mod dequantize;
pub mod fake;
pub mod ptq;
pub mod quantize;
pub mod setup;

pub use fake::{LayerQuant, Mode};
pub use quantize::{QuantizedParams, quantize_params};
pub use setup::Max78000Scheme;
