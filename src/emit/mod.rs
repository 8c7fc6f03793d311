//! Back ends that write deployable text (C headers and sources) from a placed graph.
//!
//! Owns file formats only: every number written comes from `device` (allocation, memory
//! images, addresses). Must not decide placement or compute network arithmetic.

pub mod gti;
pub mod max78000;
