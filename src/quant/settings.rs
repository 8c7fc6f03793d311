//! The training choices of a device-independent fake-quantization scheme (`train --scheme`),
//! as a run records them in its checkpoints: which scheme, its widths, how its ranges are
//! found, and how its coefficients follow the data.
//!
//! Owns the record only; the schemes themselves are [`super::quantclip`] and [`super::gfpq`],
//! found through [`super::registry::qat_scheme`].

use super::gfpq::{GfpqMode, LogBits};
use super::quantclip::{MsbTriple, Resolution};
use serde::{Deserialize, Serialize};

/// How quantclip finds each layer's three msb values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MsbChoice {
    /// One triple for every layer (`--msb K:I:O`).
    Fixed(MsbTriple),
    /// Per layer, from the limits holding this percentage of the values (`--msb-percentile`).
    Percentile(f64),
}

/// A scheme and its settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum SchemeSettings {
    Quantclip {
        resolution: Resolution,
        msb: MsbChoice,
        /// Calibration images for percentile msb values.
        calib_images: usize,
    },
    Gfpq {
        bits: LogBits,
        mode: GfpqMode,
        /// Calibration images for the data coefficients at the switch.
        calib_images: usize,
    },
}

impl SchemeSettings {
    /// The scheme's name (`--scheme`).
    pub fn name(&self) -> &'static str {
        match self {
            SchemeSettings::Quantclip { .. } => "quantclip",
            SchemeSettings::Gfpq { .. } => "gfpq",
        }
    }

    /// Calibration images of the switch.
    pub fn calib_images(&self) -> usize {
        match *self {
            SchemeSettings::Quantclip { calib_images, .. }
            | SchemeSettings::Gfpq { calib_images, .. } => calib_images,
        }
    }
}
