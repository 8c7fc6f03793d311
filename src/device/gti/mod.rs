//! Gyrfalcon Lightspeeur 2801 / 2803 / 5801 (`../shared/specs/gti.md`): the chips' limits as
//! data and their coefficient-memory accounting. The rest of the device (its `Target`, the
//! chip and full-model JSON, limit checks, the integer engine, the emitters) builds on these.
//!
//! Must not know other devices.

pub mod budget;
pub mod chip;

pub use budget::{BudgetLayer, effective_filters};
pub use chip::{Chip, ChipLimits, CoefWidths, MaskBits};
