//! The QAT policy file (ai8x-training's `--qat-policy`, `qat.md` §7) and the per-layer bit
//! widths it gives — the policy format of every quantization scheme.
//!
//! Owns the file format: `start_epoch` (0-based epoch at whose start QAT switches on),
//! `weight_bits` (default width; bias bits equal it), `shift_quantile` (default 1.0) and
//! `overrides: {layer: {weight_bits}}` by layer name. The same file, without `start_epoch`,
//! gives `qtool quantize --config` its bit widths. Widths are read as any width the IR can
//! carry; the scheme that applies a policy checks them ([`super::QatScheme::check_policy`]).
//! Must not touch models or checkpoints.

use crate::ir::WeightBits;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The built-in policy (`configs/qat_policy.yaml`).
pub const DEFAULT_POLICY: &str = include_str!("../../configs/qat_policy.yaml");

/// A policy file that cannot be used.
pub type PolicyError = crate::io::ConfigError;

/// One layer's override.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerOverride {
    pub weight_bits: WeightBits,
}

/// A QAT policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QatPolicy {
    /// Epoch (0-based) at whose start QAT begins; required for training.
    #[serde(default)]
    pub start_epoch: Option<usize>,
    pub weight_bits: WeightBits,
    #[serde(default = "one")]
    pub shift_quantile: f32,
    #[serde(default)]
    pub overrides: BTreeMap<String, LayerOverride>,
    /// Accepted for ai8x policy files; qtool does not remove outliers.
    #[serde(default, skip_serializing)]
    outlier_removal_z_score: Option<f64>,
}

fn one() -> f32 {
    1.0
}

impl QatPolicy {
    /// A policy giving every layer `bits`.
    pub fn uniform(bits: WeightBits) -> Self {
        QatPolicy {
            start_epoch: None,
            weight_bits: bits,
            shift_quantile: 1.0,
            overrides: BTreeMap::new(),
            outlier_removal_z_score: None,
        }
    }

    /// The built-in policy.
    pub fn default_policy() -> Self {
        parse(DEFAULT_POLICY, "configs/qat_policy.yaml (built in)")
            .expect("the built-in policy is valid")
    }

    pub fn read(path: &Path) -> Result<Self, PolicyError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Read {
            file: file.clone(),
            message: e.to_string(),
        })?;
        parse(&text, &file)
    }

    /// The width of layer `name`.
    pub fn bits_for(&self, name: &str) -> WeightBits {
        self.overrides
            .get(name)
            .map_or(self.weight_bits, |o| o.weight_bits)
    }

    /// Every width the policy names: the default, then each override's.
    pub fn widths(&self) -> impl Iterator<Item = (String, WeightBits)> + '_ {
        std::iter::once(("weight_bits".to_string(), self.weight_bits)).chain(
            self.overrides
                .iter()
                .map(|(k, o)| (format!("overrides.{k}.weight_bits"), o.weight_bits)),
        )
    }

    /// Refuse overrides that name no layer of `layers` (a typo would silently train at the
    /// default width). `file` names the policy in the error.
    pub fn check_layers(&self, layers: &[String], file: &str) -> Result<(), PolicyError> {
        match self.overrides.keys().find(|k| !layers.contains(k)) {
            Some(k) => Err(PolicyError::Value {
                file: file.to_string(),
                key: format!("overrides.{k}"),
                message: format!(
                    "no layer `{k}` in the network (layers: {})",
                    layers.join(", ")
                ),
            }),
            None => Ok(()),
        }
    }
}

/// Parse a policy; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<QatPolicy, PolicyError> {
    let p: QatPolicy = serde_yaml::from_str(text).map_err(|e| PolicyError::Read {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    if !(p.shift_quantile > 0.0 && p.shift_quantile <= 1.0) {
        return Err(PolicyError::Value {
            file: file.to_string(),
            key: "shift_quantile".into(),
            message: format!("{} is not in (0, 1]", p.shift_quantile),
        });
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_and_mnist_policies() {
        let p = QatPolicy::default_policy();
        assert_eq!(p.start_epoch, Some(30));
        assert_eq!(p.bits_for("conv1"), WeightBits::B8);
        let m = QatPolicy::read(Path::new("configs/qat_policy_mnist.yaml")).unwrap();
        assert_eq!(m.start_epoch, Some(10));
        assert_eq!(m.bits_for("conv1"), WeightBits::B8);
        assert_eq!(m.bits_for("conv2"), WeightBits::B2);
        assert_eq!(m.bits_for("fc"), WeightBits::B4);
    }

    #[test]
    fn errors_name_file_and_key() {
        let e = parse("start_epoch: 3\nweight_bits: 33\n", "p.yaml").unwrap_err();
        assert!(e.to_string().starts_with("p.yaml: "), "{e}");
        assert!(e.to_string().contains("1 to 32"), "{e}");
        let e = parse("weight_bits: 8\nshift_quantile: 0\n", "p.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.yaml: key `shift_quantile`: 0 is not in (0, 1]"
        );
        let e = parse("weight_bits: 8\nstart: 3\n", "p.yaml").unwrap_err();
        assert!(e.to_string().contains("start"), "{e}");
        let p = parse(
            "weight_bits: 8\noverrides: {conv9: {weight_bits: 2}}\n",
            "p.yaml",
        )
        .unwrap();
        let e = p
            .check_layers(&["conv1".into(), "fc".into()], "p.yaml")
            .unwrap_err();
        assert!(e.to_string().contains("`overrides.conv9`"), "{e}");
    }

    #[test]
    fn ai8x_outlier_key_is_accepted() {
        let p = parse(
            "start_epoch: 5\nweight_bits: 8\noutlier_removal_z_score: 8.0\n",
            "p.yaml",
        )
        .unwrap();
        assert_eq!(p.start_epoch, Some(5));
    }
}
