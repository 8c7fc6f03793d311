//! Gyrfalcon Lightspeeur 2801 / 2803 / 5801 (`../shared/specs/gti.md`): the chips' limits as
//! data, their coefficient-memory accounting and the limit checks of a chip network. The rest
//! of the device (its `Target`, the integer engine, the emitters' files) builds on these.
//!
//! Must not know other devices.

pub mod budget;
pub mod cascade;
pub mod check;
pub mod chip;

pub use budget::{BudgetLayer, effective_filters};
pub use cascade::{Piece, coefficient_counts, piece_networks, split};
pub use check::{Location, Violation, check_chip_network};
pub use chip::{Chip, ChipLimits, CoefWidths, MaskBits};
