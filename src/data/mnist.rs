//! MNIST and Fashion-MNIST: the split names, the standard IDX file names and the bundled MNIST
//! subset under `data/mnist`.
//!
//! Owns which files make a split and the image/label count check. Must not parse IDX bytes
//! itself ([`super::idx`]) or normalize pixels ([`super::normalize`]).

use super::image_set::check_counts;
use super::{DataError, ImageSet, idx};
use ndarray::Axis;
use std::path::{Path, PathBuf};

/// Number of classes of MNIST (digits 0..9) and of Fashion-MNIST (10 garments).
pub const MNIST_CLASSES: usize = 10;

/// The two splits every data set has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    /// IDX file-name prefix: `train` or `t10k`.
    pub fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }

    /// Sub-folder name of folder and `.npy` data sets: `train` or `test`.
    pub fn dir_name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

impl ImageSet {
    /// Reads an images and a labels IDX file (raw or gzip) and checks that their counts agree.
    /// The images get one channel: `[N, 1, rows, cols]`.
    pub fn from_idx(images: &Path, labels: &Path, classes: usize) -> Result<Self, DataError> {
        let img = idx::read_images(images)?;
        let lab = idx::read_labels(labels, classes)?;
        check_counts(images, img.len_of(Axis(0)), labels, lab.len())?;
        Ok(ImageSet {
            images: img.insert_axis(Axis(1)),
            labels: lab,
            classes,
        })
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
/// each uncompressed or with `.gz` (the uncompressed name is used when both exist). MNIST and
/// Fashion-MNIST share these names and this format.
pub fn load_mnist_split(dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    let p = split.prefix();
    let images = find(dir, &format!("{p}-images-idx3-ubyte"))?;
    let labels = find(dir, &format!("{p}-labels-idx1-ubyte"))?;
    ImageSet::from_idx(&images, &labels, MNIST_CLASSES)
}
