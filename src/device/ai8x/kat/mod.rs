//! Known-answer data for the MAX78000 (izer's `sampleoutput.h` and the `check_output()` it
//! feeds, spec `weights-h.md` §7): which data-memory words the output layers leave behind, the
//! `SAMPLE_OUTPUT` array built from them, its text, reading it back, and comparing two.
//!
//! Owns the check-word rules and the file format. Must not compute layer outputs (that is
//! `sim`); it only lays given outputs out in memory.
//!
//! Two izer switches were checked against izer's code and golden files:
//! * `--mlator` does not change the check words. izer turns the byte-swapping read path off
//!   for the embedded `check_output()`; it only changes `cnn_unload()` and RTL-simulation
//!   checks, which qtool does not generate. [`KatOptions::mlator`] is accepted and ignored.
//! * `--max-checklines N` (alias `--max-verify-length`) truncates the sorted list: values are
//!   counted across runs and the list stops right after the value that makes the count exceed
//!   `N`, so `N + 1` values are kept (camvid_unet: `8192` keeps 8193 of 36,864).

mod entries;
mod layout;
mod parse;
mod render;
#[cfg(test)]
mod tests;

pub use entries::check_words;
pub use layout::{OutputLayout, Quad};
pub use parse::{Run, compare, parse_sample_output, runs};
pub use render::{c_define, render_sample_output, sample_output_words};

use std::fmt;
use thiserror::Error;

/// izer command-line switches that shape the known-answer data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KatOptions {
    /// izer `--mlator`. No effect on the embedded known-answer test (see the module docs).
    pub mlator: bool,
    /// izer `--max-checklines N`: keep the first `N + 1` values of the sorted list.
    pub max_checklines: Option<usize>,
}

/// One 32-bit data-memory word the known-answer test reads: `(*address & mask) == value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckWord {
    pub mask: u32,
    pub address: u32,
    /// Already ANDed with `mask`.
    pub value: u32,
}

/// Why check words could not be made or a `sampleoutput.h` could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KatError {
    #[error("layer {layer}: not placed on an ai8x chip")]
    NotPlaced { layer: usize },
    #[error("layer {layer}: no simulated output given ({given} outputs for the graph)")]
    MissingOutput { layer: usize, given: usize },
    #[error(
        "layer {layer}: simulated output has shape {actual:?}; the layer produces {expected:?}"
    )]
    Shape {
        layer: usize,
        expected: Vec<usize>,
        actual: Vec<usize>,
    },
    #[error(
        "layer {layer}: output processors {map:#018x} cannot hold {channels} channels ({per_pass} per pass)"
    )]
    OutputMap {
        layer: usize,
        map: u64,
        channels: usize,
        per_pass: usize,
    },
    #[error(
        "layer {layer}: output word for channel {channel}, pixel {pixel} lies past the 32-bit address space"
    )]
    Address {
        layer: usize,
        channel: usize,
        pixel: usize,
    },
    #[error("{file}: no `#define SAMPLE_OUTPUT` found")]
    NoDefine { file: String },
    #[error("{file}:{line}: `{token}` is not a 32-bit number")]
    Malformed {
        file: String,
        line: usize,
        token: String,
    },
    #[error("{file}:{line}: `SAMPLE_OUTPUT` is not closed by `}}`")]
    Unclosed { file: String, line: usize },
    #[error("{file}:{line}: `SAMPLE_OUTPUT` ends without the 0 terminator")]
    NoTerminator { file: String, line: usize },
    #[error(
        "{file}:{line}: run at 0x{address:08x} announces {count} values but only {left} follow"
    )]
    RunPastEnd {
        file: String,
        line: usize,
        address: u32,
        count: u32,
        left: usize,
    },
    #[error("{file}:{line}: words after the 0 terminator")]
    Trailing { file: String, line: usize },
}

/// The first difference between two `SAMPLE_OUTPUT` arrays.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum KatMismatch {
    /// A checked value differs.
    #[error(
        "data mismatch at address 0x{address:08x}: expected 0x{expected:08x}, got 0x{actual:08x}"
    )]
    Value {
        address: u32,
        expected: u32,
        actual: u32,
    },
    /// Run `run` checks different memory (address, mask or count differ).
    #[error(
        "run {run}: expected {} values from 0x{:08x} (mask 0x{:08x}), got {} values from 0x{:08x} (mask 0x{:08x})",
        expected.count, expected.address, expected.mask, actual.count, actual.address, actual.mask
    )]
    Run {
        run: usize,
        expected: RunHeader,
        actual: RunHeader,
    },
    /// The arrays agree run by run until one ends: counts of checked values and of words.
    #[error(
        "expected {expected_values} values in {expected_words} words, got {actual_values} values in {actual_words} words"
    )]
    Length {
        expected_values: usize,
        expected_words: usize,
        actual_values: usize,
        actual_words: usize,
    },
}

/// The three header words of one run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RunHeader {
    pub address: u32,
    pub mask: u32,
    pub count: u32,
}

impl fmt::Debug for RunHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RunHeader {{ address: 0x{:08x}, mask: 0x{:08x}, count: {} }}",
            self.address, self.mask, self.count
        )
    }
}
