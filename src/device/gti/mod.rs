//! Gyrfalcon Lightspeeur 2801 / 2803 / 5801 (`../shared/specs/gti.md`): the chips' limits as
//! data, their coefficient-memory accounting, the limit checks of a chip network, cascades,
//! the graph IR of a chip network and its host layers, the `inspect` report and the `Target`
//! (`--device gti --chip N`).
//!
//! Must not know other devices.

pub mod budget;
pub mod cascade;
pub mod check;
pub mod chip;
pub mod convert;
pub mod graph;
pub mod inspect;
mod network;
pub mod sim;
mod target;

pub use budget::{SubLayer, effective_filters, sublayers, total_effective_filters};
pub use cascade::{Piece, coefficient_counts, piece_networks, split};
pub use check::{Location, Violation, check_chip_network, check_full_model};
pub use chip::{Chip, ChipLimits, CoefWidths, MaskBits};
pub use graph::{ChipSlot, chip_slot};
pub use network::GtiNetwork;
pub use target::GtiTarget;
