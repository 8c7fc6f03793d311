//! CIFAR-10 and CIFAR-100 in their binary distribution (`cifar-10-batches-bin`,
//! `cifar-100-binary`).
//!
//! Owns the record layouts and file names: CIFAR-10 records are 1 label byte + 3,072 pixel bytes
//! (`data_batch_1..5.bin`, `test_batch.bin`); CIFAR-100 records are a coarse and a fine label
//! byte + 3,072 pixel bytes (`train.bin`, `test.bin`), of which the fine label (100 classes) is
//! used. Pixels are stored channel-major (R, G, B planes of 32×32), which is already `[C, H, W]`.
//! Must not normalize or augment.

use super::image_set::check_labels;
use super::{DataError, ImageSet, Split};
use ndarray::Array4;
use std::path::Path;

const C: usize = 3;
const H: usize = 32;
const W: usize = 32;
const PIXELS: usize = C * H * W;

/// Which CIFAR: the file names, the label bytes before the pixels, the class count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cifar {
    Ten,
    Hundred,
}

impl Cifar {
    pub fn classes(self) -> usize {
        match self {
            Cifar::Ten => 10,
            Cifar::Hundred => 100,
        }
    }

    /// Label bytes before each image; the last one is the label used.
    fn label_bytes(self) -> usize {
        match self {
            Cifar::Ten => 1,
            Cifar::Hundred => 2,
        }
    }

    /// The files of a split, in reading order.
    pub fn files(self, split: Split) -> Vec<String> {
        match (self, split) {
            (Cifar::Ten, Split::Train) => (1..=5).map(|i| format!("data_batch_{i}.bin")).collect(),
            (Cifar::Ten, Split::Test) => vec!["test_batch.bin".into()],
            (Cifar::Hundred, Split::Train) => vec!["train.bin".into()],
            (Cifar::Hundred, Split::Test) => vec!["test.bin".into()],
        }
    }
}

/// Reads one batch file: its labels and its pixels, appended to `labels` and `pixels`.
fn read_batch(
    which: Cifar,
    path: &Path,
    labels: &mut Vec<u8>,
    pixels: &mut Vec<u8>,
) -> Result<(), DataError> {
    let file = path.display().to_string();
    if !path.is_file() {
        return Err(DataError::NotFound { file });
    }
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        file: file.clone(),
        source,
    })?;
    let record = which.label_bytes() + PIXELS;
    if bytes.is_empty() || bytes.len() % record != 0 {
        let n = bytes.len() / record + 1;
        return Err(DataError::Truncated {
            file,
            what: format!("{n} records of {record} bytes"),
            needed: (n * record) as u128,
            present: bytes.len() as u64,
        });
    }
    let first = labels.len();
    for rec in bytes.chunks_exact(record) {
        let (lab, px) = rec.split_at(which.label_bytes());
        labels.push(lab[lab.len() - 1]);
        pixels.extend_from_slice(px);
    }
    check_labels(path, &labels[first..], which.classes())
}

/// Loads a split of CIFAR-10 or CIFAR-100 from `dir` as `[N, 3, 32, 32]`.
pub fn load_cifar(which: Cifar, dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    let (mut labels, mut pixels) = (Vec::new(), Vec::new());
    for name in which.files(split) {
        read_batch(which, &dir.join(name), &mut labels, &mut pixels)?;
    }
    let images = Array4::from_shape_vec((labels.len(), C, H, W), pixels)
        .expect("every record holds C*H*W pixels");
    Ok(ImageSet {
        images,
        labels,
        classes: which.classes(),
    })
}
