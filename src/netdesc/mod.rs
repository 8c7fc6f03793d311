//! Network-description front ends: text formats that describe a network's layers.
