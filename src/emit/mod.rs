//! Back ends that write deployable source text for a placed graph, one sub-module per device.
//!
//! Owns nothing but the module tree; each emitter owns its own file format.

pub mod max78000;
