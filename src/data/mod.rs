//! Image-classification data sets: IDX files ([`idx`]), the MNIST splits ([`mnist`]) and the
//! byte → hardware-input mapping of ai8x ([`normalize`]).
//!
//! Owns reading and validating data files and the shared [`DataError`]. Must not know models,
//! layers or the accelerator; evaluation lives in `crate::eval`.

pub mod idx;
pub mod mnist;
pub mod normalize;

pub use mnist::{ImageSet, Split, bundled_mnist_dir, load_mnist_split};

use std::io;
use thiserror::Error;

/// Errors fit on one line and name the file (both files for a count mismatch).
#[derive(Debug, Error)]
pub enum DataError {
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
    #[error("{dir}: neither {name} nor {name}.gz found")]
    Missing { dir: String, name: String },
    #[error("{file}: not a gzip file (name ends in .gz, but it starts with {found})")]
    NotGzip { file: String, found: String },
    #[error("{file}: corrupt gzip data: {reason}")]
    CorruptGzip { file: String, reason: String },
    #[error("{file}: wrong magic number 0x{found:08x}, expected 0x{expected:08x} ({what})")]
    WrongMagic {
        file: String,
        found: u32,
        expected: u32,
        what: &'static str,
    },
    #[error("{file}: truncated: {needed} bytes needed for {what}, only {present} present")]
    Truncated {
        file: String,
        what: String,
        needed: u128,
        present: u64,
    },
    #[error("{file}: more data after the {needed} bytes its header describes")]
    TrailingData { file: String, needed: u64 },
    #[error("{images} has {n_images} images but {labels} has {n_labels} labels")]
    CountMismatch {
        images: String,
        n_images: usize,
        labels: String,
        n_labels: usize,
    },
    #[error("{file}: label {label} of item {index} is out of range (classes 0..{classes})")]
    LabelOutOfRange {
        file: String,
        index: usize,
        label: u8,
        classes: usize,
    },
}
