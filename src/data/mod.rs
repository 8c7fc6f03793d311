//! Image-classification data sets for training and evaluation.
//!
//! [`ImageSet`] ([`image_set`]) is the in-memory form every loader produces: IDX files
//! ([`idx`]) for MNIST and Fashion-MNIST ([`mnist`]), CIFAR binary batches ([`cifar`]), folders
//! of class sub-folders ([`folder`]) and `.npy` pairs ([`npy`]), chosen by [`DatasetKind`]
//! ([`dataset`]). Then a seeded train/validation split ([`split`]), pixel normalization
//! ([`normalize`]) and augmentation ([`augment`]), both drawing on [`rng`].
//!
//! Owns reading and validating data files and the shared [`DataError`]. Must not know models,
//! layers or the accelerator; evaluation lives in `crate::eval`.

pub mod augment;
pub mod cifar;
pub mod dataset;
pub mod folder;
pub mod idx;
pub mod image_set;
pub mod mnist;
pub mod normalize;
pub mod npy;
pub mod rng;
pub mod split;

pub use augment::Augment;
pub use dataset::{DatasetKind, load_dataset};
pub use image_set::ImageSet;
pub use mnist::{Split, bundled_mnist_dir, load_mnist_split};
pub use normalize::Normalization;
pub use split::split_train_val;

use crate::io::npy::NpyError;
use std::io;
use thiserror::Error;

/// Errors fit on one line and name the file (both files for a count mismatch).
#[derive(Debug, Error)]
pub enum DataError {
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
    #[error("{dir}: neither {name} nor {name}.gz found")]
    Missing { dir: String, name: String },
    #[error("{file}: not found")]
    NotFound { file: String },
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
        label: i64,
        classes: usize,
    },
    #[error("{file}: cannot decode image: {reason}")]
    BadImage { file: String, reason: String },
    #[error("{file}: image is {found} (CxHxW) but {first} is {expected}; all must match")]
    ImageSize {
        file: String,
        found: String,
        first: String,
        expected: String,
    },
    #[error("{dir}: no class sub-folders")]
    NoClasses { dir: String },
    #[error("{dir}: {count} class sub-folders, at most 256 are supported")]
    TooManyClasses { dir: String, count: usize },
    #[error("{file}: shape {shape}, expected {expected}")]
    WrongShape {
        file: String,
        shape: String,
        expected: &'static str,
    },
    #[error("{network}: the network takes {expected} (CxHxW) inputs, the data has {found}")]
    InputMismatch {
        network: String,
        expected: String,
        found: String,
    },
    #[error(transparent)]
    Npy(#[from] NpyError),
}
