//! Choosing a data set by kind: [`DatasetKind`] and [`load_dataset`].
//!
//! Owns the names the command line uses and the dispatch to each format's loader. Must not
//! parse any format itself.

use super::cifar::{Cifar, load_cifar};
use super::folder::load_folder;
use super::npy::load_npy;
use super::{DataError, ImageSet, Split, load_mnist_split};
use std::path::Path;

/// The supported data-set formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetKind {
    /// MNIST IDX files (raw or `.gz`).
    Mnist,
    /// Fashion-MNIST: the same IDX files and names as MNIST.
    Fashion,
    /// CIFAR-10 binary batches.
    Cifar10,
    /// CIFAR-100 binary files (fine labels).
    Cifar100,
    /// `DIR/<split>/<class>/*.png|jpg|jpeg`.
    Folder,
    /// `DIR/<split>/x.npy` and `y.npy`.
    Npy,
}

impl DatasetKind {
    pub const ALL: [DatasetKind; 6] = [
        DatasetKind::Mnist,
        DatasetKind::Fashion,
        DatasetKind::Cifar10,
        DatasetKind::Cifar100,
        DatasetKind::Folder,
        DatasetKind::Npy,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::Fashion => "fashion",
            DatasetKind::Cifar10 => "cifar10",
            DatasetKind::Cifar100 => "cifar100",
            DatasetKind::Folder => "folder",
            DatasetKind::Npy => "npy",
        }
    }
}

impl std::str::FromStr for DatasetKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let names: Vec<_> = DatasetKind::ALL.iter().map(|k| k.name()).collect();
        DatasetKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown data set {s:?} ({})", names.join(", ")))
    }
}

/// Loads one split of a data set of `kind` stored in `dir`.
pub fn load_dataset(kind: DatasetKind, dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    match kind {
        DatasetKind::Mnist | DatasetKind::Fashion => load_mnist_split(dir, split),
        DatasetKind::Cifar10 => load_cifar(Cifar::Ten, dir, split),
        DatasetKind::Cifar100 => load_cifar(Cifar::Hundred, dir, split),
        DatasetKind::Folder => load_folder(dir, split),
        DatasetKind::Npy => load_npy(dir, split),
    }
}
