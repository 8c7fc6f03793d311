//! Network-description front ends: text formats that describe a network's layers.

pub mod datasets;
pub mod gti;
pub mod max78000;
