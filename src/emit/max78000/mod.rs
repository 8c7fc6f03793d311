//! MAX78000 embedded project files generated from a placed graph (izer's `--embedded-code`
//! output), one module per file.
//!
//! Owns nothing but the module tree; layout rules live in the per-file modules.

pub mod sampledata_h;
