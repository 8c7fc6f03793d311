//! HiSilicon NNIE's grouped floating-point quantization (GFPQ) as a training scheme: a sign
//! and a logarithmic code per value, one coefficient per layer for the data entering it
//! (stored, calibrated at the switch, then following the training batches) and one for its
//! weights (derived from them at every forward pass); bias float; batch norm float and frozen.
//!
//! Owns the code arithmetic ([`code`]), the coefficient modes ([`GfpqMode`]), the tensor stage
//! ([`fake`]), the scheme ([`scheme`]) and `qtool fakequant --scheme gfpq` ([`tensor`]). Has
//! no integer deployment: `quantize`, `sim` and `convert` refuse its checkpoints.

pub mod code;
pub mod fake;
pub mod scheme;
pub mod tensor;

pub use code::LogBits;
pub use scheme::GfpqScheme;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a stored coefficient meets new data (the reference API's three modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GfpqMode {
    /// The data's coefficient replaces the stored one.
    Init,
    /// The wider of the stored and the data's coefficient.
    #[default]
    Update,
    /// The stored coefficient only; the data is ignored.
    Apply,
}

impl GfpqMode {
    /// The coefficient after seeing data whose own coefficient is `derived` (`None`: all
    /// zeros, which changes nothing).
    pub fn next(self, stored: Option<i32>, derived: Option<i32>) -> Option<i32> {
        match (self, stored, derived) {
            (GfpqMode::Apply, s, _) => s,
            (_, s, None) => s,
            (GfpqMode::Init, _, d) => d,
            (GfpqMode::Update, Some(s), Some(d)) => Some(s.max(d)),
            (GfpqMode::Update, None, d) => d,
        }
    }
}

impl FromStr for GfpqMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "init" => Ok(GfpqMode::Init),
            "update" => Ok(GfpqMode::Update),
            "apply" => Ok(GfpqMode::Apply),
            _ => Err(format!("{s}: not init, update or apply")),
        }
    }
}

impl fmt::Display for GfpqMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GfpqMode::Init => "init",
            GfpqMode::Update => "update",
            GfpqMode::Apply => "apply",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_keeps_the_larger_coverage_and_apply_ignores_the_data() {
        assert_eq!(GfpqMode::Update.next(Some(50), Some(40)), Some(50));
        assert_eq!(GfpqMode::Update.next(Some(40), Some(50)), Some(50));
        assert_eq!(GfpqMode::Update.next(None, Some(7)), Some(7));
        assert_eq!(GfpqMode::Init.next(Some(50), Some(40)), Some(40));
        assert_eq!(GfpqMode::Apply.next(Some(50), Some(90)), Some(50));
        assert_eq!(GfpqMode::Apply.next(None, Some(90)), None);
        assert_eq!(GfpqMode::Init.next(Some(3), None), Some(3));
        assert_eq!("apply".parse::<GfpqMode>(), Ok(GfpqMode::Apply));
        assert!("APPLY".parse::<GfpqMode>().is_err());
    }
}
