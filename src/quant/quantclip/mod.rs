//! Fixed-point "quantclip" (the PULP thesis's NeuralNetTool): every operator has three
//! quantizers — kernel, operator input, raw sum of products — each an amplitude `2^msb` and a
//! width, truncating toward −∞; the bias is added after the raw sum's quantizer, unquantized.
//!
//! Owns the format ([`format`]), the msb from percentile limits ([`range`]), the tensor stage
//! with its masked straight-through gradient ([`fake`]), the training scheme and its
//! calibration ([`scheme`]) and `qtool fakequant --scheme quantclip` ([`tensor`]). Has no
//! integer deployment: `quantize`, `sim` and `convert` refuse its checkpoints.

pub mod fake;
pub mod format;
pub mod range;
pub mod scheme;
pub mod tensor;

pub use format::{FixedPoint, MsbTriple, Resolution};
pub use scheme::QuantclipScheme;
