//! GTI Lightspeeur description front end: the chip network JSON (gti.md §4.1). The
//! full-model JSON and the loading into the IR build on it.

pub mod chip_network;

pub use chip_network::{ChipNetwork, MajorLayer, ModelEntry};
