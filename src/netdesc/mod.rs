//! Network-description front ends: text formats that describe a network's layers.

pub mod ai8x;
pub mod datasets;
pub mod gti;
