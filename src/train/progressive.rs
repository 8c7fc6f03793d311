//! Progressive quantization (the PULP thesis's "dynamic" strategies): after the switch, layer
//! `j` (1-based, nodes with an operator in execution order) is quantized at the start of epoch
//! `(j − 1)·E`; `lock` stops training layers once they are quantized, `train` keeps training
//! them; a relaxation of `R` epochs follows with every layer quantized and trainable.
//!
//! Owns the schedule only; the stages are the scheme's, the loop is [`super::run`]'s.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What happens to a layer once it is quantized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Quantize and lock: no more updates.
    Lock,
    /// Quantize while training: it keeps training through the straight-through gradient.
    Train,
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "lock" => Ok(Strategy::Lock),
            "train" => Ok(Strategy::Train),
            _ => Err(format!("`{s}` is not lock or train")),
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Lock => "lock",
            Strategy::Train => "train",
        })
    }
}

/// The schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progressive {
    pub strategy: Strategy,
    /// `E`: epochs per layer (at least 1).
    pub epochs_per_layer: usize,
    /// `R`: relaxation epochs at the end.
    pub relax: usize,
}

/// Where an epoch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    /// Quantized layers (the first this many).
    pub quantized: usize,
    /// Layers not trained (the first this many).
    pub locked: usize,
}

impl Progressive {
    /// Epochs after the switch for `layers` quantized layers: `L·E + R`.
    pub fn epochs(&self, layers: usize) -> usize {
        layers * self.epochs_per_layer + self.relax
    }

    /// The phase of `epoch` for a switch at `start` and `layers` quantized layers.
    pub fn phase(&self, start: usize, epoch: usize, layers: usize) -> Phase {
        let since = epoch.saturating_sub(start);
        let e = self.epochs_per_layer.max(1);
        let quantized = (since / e).saturating_add(1).min(layers);
        let relaxing = since >= layers.saturating_mul(e);
        let locked = match self.strategy {
            Strategy::Lock if !relaxing => quantized,
            _ => 0,
        };
        Phase { quantized, locked }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule() {
        let p = Progressive {
            strategy: Strategy::Lock,
            epochs_per_layer: 2,
            relax: 1,
        };
        assert_eq!(p.epochs(3), 7);
        let phases: Vec<(usize, usize)> = (0..7)
            .map(|e| {
                let ph = p.phase(0, e, 3);
                (ph.quantized, ph.locked)
            })
            .collect();
        assert_eq!(
            phases,
            [(1, 1), (1, 1), (2, 2), (2, 2), (3, 3), (3, 3), (3, 0)]
        );
        let t = Progressive {
            strategy: Strategy::Train,
            ..p
        };
        assert_eq!(
            t.phase(4, 7, 3),
            Phase {
                quantized: 2,
                locked: 0
            }
        );
        assert_eq!("lock".parse::<Strategy>(), Ok(Strategy::Lock));
        assert!("both".parse::<Strategy>().is_err());
    }
}
