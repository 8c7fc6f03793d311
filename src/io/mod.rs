//! File plumbing shared by every stage: NumPy `.npy` arrays ([`npy`]: sample inputs, expected
//! outputs, predictions, izer's intermediate logs) and atomic replacement of files and
//! directories ([`atomic`]).
//!
//! Owns byte-level formats and write mechanics only. Must not interpret what the arrays mean
//! (layers, layouts, devices).

pub mod atomic;
pub mod npy;
