//! MNIST splits and the in-memory [`ImageSet`] of single-channel byte images with labels.
//!
//! Owns the MNIST file names, the bundled copy under `data/mnist` and the image/label count
//! check. Must not parse IDX bytes itself ([`super::idx`]) or normalize pixels
//! ([`super::normalize`]).

use super::normalize::to_q7_chw;
use super::{DataError, idx};
use ndarray::{Array3, Axis};
use std::path::{Path, PathBuf};

/// Number of MNIST classes (digits 0..9).
pub const MNIST_CLASSES: usize = 10;

/// Single-channel byte images with one label each.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// `[N, H, W]` pixels.
    pub images: Array3<u8>,
    /// `N` labels, each `< classes`.
    pub labels: Vec<u8>,
    pub classes: usize,
}

impl ImageSet {
    /// Reads an images and a labels IDX file (raw or gzip) and checks that their counts agree.
    pub fn from_idx(images: &Path, labels: &Path, classes: usize) -> Result<Self, DataError> {
        let img = idx::read_images(images)?;
        let lab = idx::read_labels(labels, classes)?;
        if img.len_of(Axis(0)) != lab.len() {
            return Err(DataError::CountMismatch {
                images: images.display().to_string(),
                n_images: img.len_of(Axis(0)),
                labels: labels.display().to_string(),
                n_labels: lab.len(),
            });
        }
        Ok(ImageSet {
            images: img,
            labels: lab,
            classes,
        })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Every image mapped to the hardware input range as `[1, H, W]` (see
    /// [`super::normalize::to_q7_chw`]), in set order.
    pub fn q7_inputs(&self) -> Vec<Array3<i64>> {
        self.images.outer_iter().map(to_q7_chw).collect()
    }
}

/// The two MNIST splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    /// File-name prefix: `train` or `t10k`.
    pub fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }
}

/// The MNIST subset bundled with qtool (2,000 test and 8,000 training digits, MIT-licensed).
pub fn bundled_mnist_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))
}

/// `dir/name` if it exists, else `dir/name.gz` if that exists.
fn find(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let raw = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    match (raw.is_file(), gz.is_file()) {
        (true, _) => Ok(raw),
        (false, true) => Ok(gz),
        (false, false) => Err(DataError::Missing {
            dir: dir.display().to_string(),
            name: name.to_string(),
        }),
    }
}

/// Loads `<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte` of a split from `dir`,
/// each uncompressed or with `.gz` (the uncompressed name is used when both exist).
pub fn load_mnist_split(dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    let p = split.prefix();
    let images = find(dir, &format!("{p}-images-idx3-ubyte"))?;
    let labels = find(dir, &format!("{p}-labels-idx1-ubyte"))?;
    ImageSet::from_idx(&images, &labels, MNIST_CLASSES)
}
