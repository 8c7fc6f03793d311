//! Input geometry of the datasets network descriptions name (`dataset:`), used when no
//! sample input is given.
//!
//! Owns the table only; reading dataset files is `crate::data`'s job.

use crate::ir::{Dims, Shape};

/// Known dataset names (case-insensitive, `-`/`_` ignored) and their input shapes.
const KNOWN: &[(&str, usize, Dims)] = &[
    ("mnist", 1, Dims::D2(28, 28)),
    ("fashionmnist", 1, Dims::D2(28, 28)),
    ("cifar10", 3, Dims::D2(32, 32)),
    ("cifar100", 3, Dims::D2(32, 32)),
    ("kws20", 128, Dims::D1(128)),
];

/// Input shape of a known dataset, if the name is one.
pub fn input_shape(dataset: &str) -> Option<Shape> {
    let key: String = dataset
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    KNOWN
        .iter()
        .find(|(n, _, _)| *n == key)
        .map(|(_, c, d)| Shape {
            channels: *c,
            dims: *d,
        })
}
