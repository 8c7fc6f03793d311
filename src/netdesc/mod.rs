//! Network-description front ends: text formats that describe a network's layers.

pub mod max78000;
