//! File plumbing shared by every stage: NumPy `.npy` arrays ([`npy`]: sample inputs, expected
//! outputs, predictions, izer's intermediate logs), atomic replacement of files and
//! directories ([`atomic`]), and the error of a configuration file ([`ConfigError`]).
//!
//! Owns byte-level formats and write mechanics only. Must not interpret what the arrays mean
//! (layers, layouts, devices).

pub mod atomic;
mod config;
pub mod npy;

pub use config::ConfigError;
