//! MAX78000 quantization (ai8x-training and ai8x-synthesis semantics): fake-quantization for
//! QAT and simulate mode ([`fake`]), the QAT policy ([`policy`]), the conversion of float
//! parameters into the device's integers ([`quantize`]) and the per-layer setup of a whole
//! graph ([`setup`]).

pub mod fake;
pub mod policy;
pub mod quantize;
pub mod setup;

pub use fake::{LayerQuant, Mode};
pub use policy::{PolicyError, QatPolicy};
pub use quantize::{ClipMethod, QuantizedParams, quantize_params};
