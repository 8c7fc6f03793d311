//! A training recipe: optimizer, learning rate and its multi-step schedule, epochs, batch size.
//!
//! Owns the recipe file format (`--schedule FILE`, `configs/*.yaml`) and the learning rate of
//! each epoch. Two spellings of the schedule are read: qtool's flat keys (`milestones`,
//! `gamma`) and the `lr_schedulers: {name: {class: MultiStepLR, milestones, gamma}}` block of
//! ai8x-training's schedule files. Command-line overrides are applied by the caller.

use super::optim::{OptimizerConfig, OptimizerKind};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The built-in default recipe (`configs/mnist.yaml`).
pub const DEFAULT_RECIPE: &str = include_str!("../../configs/mnist.yaml");

/// A recipe file that cannot be used.
pub type RecipeError = crate::io::ConfigError;

/// Everything that decides how a run trains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: OptimizerConfig,
    /// Learning rate of epoch 0.
    pub lr: f64,
    /// Epochs (0-based) at whose start the learning rate is multiplied by `gamma`.
    pub milestones: Vec<usize>,
    pub gamma: f64,
    /// Fraction of the training split held out for validation (0: validate on the test split).
    pub validation_split: f64,
    /// Augmentation: random crop after padding each side by this many pixels.
    #[serde(default)]
    pub crop_pad: Option<usize>,
    /// Augmentation: random horizontal flip.
    #[serde(default)]
    pub hflip: bool,
}

impl Recipe {
    /// Learning rate during `epoch` (0-based): `lr · gamma^(milestones passed)`.
    pub fn lr_at(&self, epoch: usize) -> f64 {
        let passed = self.milestones.iter().filter(|&&m| m <= epoch).count();
        self.lr * self.gamma.powi(passed as i32)
    }

    /// The built-in recipe.
    pub fn default_recipe() -> Recipe {
        parse(DEFAULT_RECIPE, "configs/mnist.yaml (built in)", None)
            .expect("the built-in recipe is valid")
    }

    /// Read a recipe file; keys it leaves out come from `base` (the built-in recipe if `None`).
    pub fn read(path: &Path, base: Option<&Recipe>) -> Result<Recipe, RecipeError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RecipeError::Read {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let default = Recipe::default_recipe();
        parse(&text, &file, Some(base.unwrap_or(&default)))
    }
}

/// The file as written: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipeFile {
    epochs: Option<usize>,
    batch_size: Option<usize>,
    optimizer: Option<OptimizerKind>,
    lr: Option<f64>,
    momentum: Option<f64>,
    weight_decay: Option<f64>,
    milestones: Option<Vec<usize>>,
    gamma: Option<f64>,
    validation_split: Option<f64>,
    crop_pad: Option<usize>,
    hflip: Option<bool>,
    /// ai8x-training (distiller) schedule block.
    lr_schedulers: Option<serde_yaml::Mapping>,
    /// Accepted and ignored: ai8x-training's policy list only says when schedulers step.
    #[allow(dead_code)]
    policies: Option<serde_yaml::Value>,
}

#[derive(Debug, Deserialize)]
struct MultiStep {
    class: String,
    milestones: Vec<usize>,
    #[serde(default = "half")]
    gamma: f64,
}

fn half() -> f64 {
    0.1
}

fn parse(text: &str, file: &str, base: Option<&Recipe>) -> Result<Recipe, RecipeError> {
    let f: RecipeFile = serde_yaml::from_str(text).map_err(|e| RecipeError::Read {
        file: file.to_string(),
        message: e.to_string().replace('\n', " "),
    })?;
    let bad = |key: &str, message: String| RecipeError::Value {
        file: file.to_string(),
        key: key.to_string(),
        message,
    };
    let need = |v: Option<f64>, key: &str, base: Option<f64>| {
        v.or(base)
            .ok_or_else(|| bad(key, "missing (the built-in recipe needs every key)".into()))
    };
    let (mut milestones, mut gamma) = (f.milestones, f.gamma);
    if let Some(block) = &f.lr_schedulers {
        if milestones.is_some() {
            return Err(bad(
                "lr_schedulers",
                "give either `milestones` or `lr_schedulers`, not both".into(),
            ));
        }
        let [(name, sched)] = block.iter().collect::<Vec<_>>()[..] else {
            return Err(bad(
                "lr_schedulers",
                "exactly one scheduler is supported".into(),
            ));
        };
        let name = name.as_str().unwrap_or("?");
        let m: MultiStep = serde_yaml::from_value(sched.clone())
            .map_err(|e| bad(&format!("lr_schedulers.{name}"), e.to_string()))?;
        if m.class != "MultiStepLR" {
            return Err(bad(
                &format!("lr_schedulers.{name}.class"),
                format!("`{}` is not supported (only MultiStepLR)", m.class),
            ));
        }
        milestones = Some(m.milestones);
        gamma = Some(m.gamma);
    }
    let recipe = Recipe {
        epochs: f
            .epochs
            .or(base.map(|b| b.epochs))
            .ok_or_else(|| bad("epochs", "missing".into()))?,
        batch_size: f
            .batch_size
            .or(base.map(|b| b.batch_size))
            .ok_or_else(|| bad("batch_size", "missing".into()))?,
        optimizer: OptimizerConfig {
            kind: f
                .optimizer
                .or(base.map(|b| b.optimizer.kind))
                .ok_or_else(|| bad("optimizer", "missing".into()))?,
            momentum: need(f.momentum, "momentum", base.map(|b| b.optimizer.momentum))?,
            weight_decay: need(
                f.weight_decay,
                "weight_decay",
                base.map(|b| b.optimizer.weight_decay),
            )?,
        },
        lr: need(f.lr, "lr", base.map(|b| b.lr))?,
        milestones: milestones
            .or(base.map(|b| b.milestones.clone()))
            .unwrap_or_default(),
        gamma: need(gamma, "gamma", base.map(|b| b.gamma))?,
        validation_split: need(
            f.validation_split,
            "validation_split",
            base.map(|b| b.validation_split),
        )?,
        crop_pad: f
            .crop_pad
            .or(base.and_then(|b| b.crop_pad))
            .filter(|&p| p > 0),
        hflip: f.hflip.or(base.map(|b| b.hflip)).unwrap_or(false),
    };
    recipe.validate().map_err(|(key, m)| bad(key, m))?;
    Ok(recipe)
}

impl Recipe {
    /// Checks the values make sense; returns the offending key and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.epochs == 0 {
            return Err(("epochs", "must be at least 1".into()));
        }
        if self.batch_size == 0 {
            return Err(("batch_size", "must be at least 1".into()));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(("lr", format!("{} is not a positive learning rate", self.lr)));
        }
        if !(0.0..1.0).contains(&self.optimizer.momentum) {
            return Err(("momentum", "must be in [0, 1)".into()));
        }
        if !(self.optimizer.weight_decay.is_finite() && self.optimizer.weight_decay >= 0.0) {
            return Err(("weight_decay", "must be ≥ 0".into()));
        }
        if !(self.gamma.is_finite() && self.gamma > 0.0) {
            return Err(("gamma", "must be > 0".into()));
        }
        if !(0.0..1.0).contains(&self.validation_split) {
            return Err(("validation_split", "must be in [0, 1)".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_recipe_parses() {
        let r = Recipe::default_recipe();
        assert!(r.epochs >= 1 && r.batch_size >= 1);
    }

    #[test]
    fn flat_keys_override_the_base() {
        let base = Recipe::default_recipe();
        let r = parse(
            "lr: 0.5\nmilestones: [2, 4]\ngamma: 0.5\n",
            "t.yaml",
            Some(&base),
        )
        .unwrap();
        assert_eq!(r.lr, 0.5);
        assert_eq!(r.epochs, base.epochs);
        assert_eq!(r.lr_at(0), 0.5);
        assert_eq!(r.lr_at(1), 0.5);
        assert_eq!(r.lr_at(2), 0.25);
        assert_eq!(r.lr_at(5), 0.125);
    }

    #[test]
    fn ai8x_schedule_block_is_read() {
        let text = "---\nlr_schedulers:\n  training_lr:\n    class: MultiStepLR\n    milestones: [20, 40]\n    gamma: 0.5\n\npolicies:\n  - lr_scheduler:\n      instance_name: training_lr\n    starting_epoch: 0\n    ending_epoch: 200\n    frequency: 1\n";
        let r = parse(text, "s.yaml", Some(&Recipe::default_recipe())).unwrap();
        assert_eq!(r.milestones, vec![20, 40]);
        assert_eq!(r.gamma, 0.5);
    }

    #[test]
    fn errors_name_file_and_key() {
        let base = Recipe::default_recipe();
        let e = parse("lr: -1\n", "bad.yaml", Some(&base)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad.yaml: key `lr`: -1 is not a positive learning rate"
        );
        let e = parse("learning_rate: 1\n", "bad.yaml", Some(&base)).unwrap_err();
        assert!(e.to_string().starts_with("bad.yaml: "), "{e}");
        assert!(e.to_string().contains("learning_rate"), "{e}");
        let e = parse(
            "lr_schedulers:\n  a:\n    class: CosineLR\n    milestones: [1]\n",
            "c.yaml",
            Some(&base),
        )
        .unwrap_err();
        assert!(e.to_string().contains("only MultiStepLR"), "{e}");
    }
}
