//! Gyrfalcon Lightspeeur 2801 / 2803 / 5801 (`../shared/specs/gti.md`): the chips' limits as
//! data, their coefficient-memory accounting, the limit checks of a chip network, cascades,
//! the `inspect` report and the `Target` (`--device gti --chip N`), which so far reads,
//! checks and reports chip networks. Training, the integer engine and the emitters' files
//! build on these.
//!
//! Must not know other devices.

pub mod budget;
pub mod cascade;
pub mod check;
pub mod chip;
pub mod inspect;
mod target;

pub use budget::{SubLayer, effective_filters, sublayers, total_effective_filters};
pub use cascade::{Piece, coefficient_counts, piece_networks, split};
pub use check::{Location, Violation, check_chip_network};
pub use chip::{Chip, ChipLimits, CoefWidths, MaskBits};
pub use target::{GtiNetwork, GtiTarget};
