//! The device registry: `--device NAME` → the [`Target`] that implements it.
//!
//! Owns the list of built-in devices (one line per device in [`Registry::builtin`]) and
//! lookup by name. A test or an embedding program may add its own target with
//! [`Registry::with`]. Must not know what a device does.

use super::{DeviceOptions, Target, TargetError};
use std::sync::Arc;
use thiserror::Error;

/// The device a command uses when `--device` is not given.
pub const DEFAULT_DEVICE: &str = "max78000";

#[derive(Debug, Error, PartialEq, Eq)]
#[error("--device {name}: unknown device (known: {known})")]
pub struct UnknownDevice {
    pub name: String,
    pub known: String,
}

/// Targets by name.
#[derive(Debug, Clone)]
pub struct Registry {
    targets: Vec<Arc<dyn Target>>,
}

impl Registry {
    /// The devices qtool ships.
    pub fn builtin() -> Self {
        Registry {
            targets: vec![
                Arc::new(super::ai8x::Ai8xTarget::max78000()),
                Arc::new(super::ai8x::Ai8xTarget::max78002()),
                Arc::new(super::gti::GtiTarget::default()),
            ],
        }
    }

    /// This registry with `target` added (replacing a target of the same name).
    pub fn with(mut self, target: Arc<dyn Target>) -> Self {
        self.targets
            .retain(|t| !t.name().eq_ignore_ascii_case(target.name()));
        self.targets.push(target);
        self
    }

    /// The target called `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Result<Arc<dyn Target>, UnknownDevice> {
        self.targets
            .iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
            .cloned()
            .ok_or_else(|| UnknownDevice {
                name: name.to_string(),
                known: self.names().join(", "),
            })
    }

    /// The target `name` names, specialised by `opts` (`--chip`, `--full-model`) when its
    /// device takes them; an option the device does not take is an error.
    pub fn get_variant(
        &self,
        name: &str,
        opts: &DeviceOptions,
    ) -> Result<Arc<dyn Target>, TargetError> {
        let target = self.get(name).map_err(TargetError::device)?;
        Ok(target.with_variant(opts)?.unwrap_or(target))
    }

    /// Names of the registered devices, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.targets.iter().map(|t| t.name()).collect()
    }
}

/// The target of [`DEFAULT_DEVICE`].
pub fn default_target() -> Arc<dyn Target> {
    Registry::builtin()
        .get(DEFAULT_DEVICE)
        .expect("the default device is built in")
}
