//! GTI Lightspeeur description front end: the chip network JSON (gti.md §4.1) and the
//! full-model JSON (§4.2), read and written. Loading them into the IR builds on these.

pub mod chip_network;
pub mod full_model;

pub use chip_network::{ChipNetwork, MajorLayer, ModelEntry};
pub use full_model::{CnnDevice, FullModel, ModelLayer, Operation, TensorIn, TensorOut};
