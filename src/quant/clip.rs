//! How post-training quantization picks a layer's clipping magnitude (the vocabulary of
//! ai8x-synthesis `quantize.py`'s modes, shared by every scheme that clips).
//!
//! Owns the choice only; the arithmetic of each scheme applies it. Must not touch parameters.

use std::fmt;

/// How a layer's clipping magnitude is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClipMethod {
    /// `T` = the `shift_quantile` of `|W ∪ B|` (1: the maximum): quantize.py's default.
    MaxBitShift,
    /// `T = 1/S` for a given scale `S` (quantize.py's `SCALE`, default 0.85).
    Scale(f32),
    /// `T` = mean over output channels of each channel's largest `|w|`.
    Avg,
    /// `T = max(|mean of channel minima|, |mean of channel maxima|)` (quantize.py's `AVGMAX`).
    AvgMax,
    /// `T = max(|max(min W, μ−nσ)|, |min(max W, μ+nσ)|)`, σ unbiased (quantize.py's `STDDEV`).
    StdDev(f32),
}

impl fmt::Display for ClipMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClipMethod::MaxBitShift => write!(f, "max_bit_shift"),
            ClipMethod::Scale(s) => write!(f, "scale {s}"),
            ClipMethod::Avg => write!(f, "avg"),
            ClipMethod::AvgMax => write!(f, "avgmax"),
            ClipMethod::StdDev(n) => write!(f, "stddev {n}"),
        }
    }
}
