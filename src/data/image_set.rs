//! The in-memory data set shared by training and evaluation: [`ImageSet`], byte images
//! `[N, C, H, W]` with one label each, plus the checks every loader applies to labels.
//!
//! Owns the set's invariants (one label per image, every label below the class count), taking
//! subsets, the data-versus-network shape check and fitting images to a network's input
//! (grey replicated into every channel, enlarged by an integer factor). Must not read files (the loaders do) or
//! normalize pixels ([`super::normalize`]).

use super::DataError;
use super::normalize::{Normalization, q7_from_byte};
use ndarray::{Array3, Array4, ArrayView3, Axis};
use std::path::Path;

/// Byte images with one label each.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// `[N, C, H, W]` pixels.
    pub images: Array4<u8>,
    /// `N` labels, each `< classes`.
    pub labels: Vec<u8>,
    pub classes: usize,
}

impl ImageSet {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// `(C, H, W)` of every image.
    pub fn chw(&self) -> (usize, usize, usize) {
        let (_, c, h, w) = self.images.dim();
        (c, h, w)
    }

    /// Image `i` as `[C, H, W]`.
    pub fn image(&self, i: usize) -> ArrayView3<'_, u8> {
        self.images.index_axis(Axis(0), i)
    }

    /// The images at `indices`, in that order, with their labels and the same class count.
    pub fn subset(&self, indices: &[usize]) -> ImageSet {
        ImageSet {
            images: self.images.select(Axis(0), indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            classes: self.classes,
        }
    }

    /// Every image mapped to the ai8x hardware input range as `[C, H, W]` (see
    /// [`q7_from_byte`]), in set order.
    pub fn q7_inputs(&self) -> Vec<Array3<i64>> {
        self.images
            .outer_iter()
            .map(|img| img.mapv(q7_from_byte))
            .collect()
    }

    /// Every image as the integer codes of `norm` (`None` for a mode without codes).
    pub fn input_codes(&self, norm: Normalization) -> Option<Vec<Array3<i64>>> {
        self.images
            .outer_iter()
            .map(|img| norm.codes(img))
            .collect()
    }

    /// Checks that a network reading `[C, H, W]` inputs can take these images; the error names
    /// the network's file.
    pub fn check_input(&self, network: &Path, chw: (usize, usize, usize)) -> Result<(), DataError> {
        if chw == self.chw() {
            return Ok(());
        }
        Err(DataError::InputMismatch {
            network: network.display().to_string(),
            expected: chw_str(chw),
            found: chw_str(self.chw()),
        })
    }

    /// The set fitted to a network input of `chw`: itself when the shapes agree; grey images
    /// replicated into every channel (B = G = R) and each pixel repeated into a `k×k` block
    /// when the network reads `k` times the height and width (MNIST's 1×28×28 as a GTI chip's
    /// 3×56×56). Any other difference is the input mismatch error.
    pub fn fit_to(
        &self,
        network: &Path,
        chw: (usize, usize, usize),
    ) -> Result<ImageSet, DataError> {
        let (c, h, w) = self.chw();
        if chw == (c, h, w) {
            return Ok(self.clone());
        }
        let (tc, th, tw) = chw;
        let k = th / h.max(1);
        let fits = (c == tc || c == 1) && h > 0 && w > 0 && k >= 1 && th == k * h && tw == k * w;
        if !fits {
            self.check_input(network, chw)?;
        }
        let n = self.len();
        let images = Array4::from_shape_fn((n, tc, th, tw), |(i, ch, y, x)| {
            self.images[[i, if c == 1 { 0 } else { ch }, y / k, x / k]]
        });
        Ok(ImageSet {
            images,
            labels: self.labels.clone(),
            classes: self.classes,
        })
    }
}

/// `C×H×W` dimensions as the errors write them: `3x32x32`.
pub fn chw_str((c, h, w): (usize, usize, usize)) -> String {
    format!("{c}x{h}x{w}")
}

/// Checks every label of `file` is in `0..classes`; the error names the first one that is not.
pub fn check_labels<T>(file: &Path, labels: &[T], classes: usize) -> Result<(), DataError>
where
    T: Copy + Into<i64>,
{
    let in_range = |l: i64| usize::try_from(l).is_ok_and(|l| l < classes);
    match labels.iter().position(|&l| !in_range(l.into())) {
        None => Ok(()),
        Some(index) => Err(DataError::LabelOutOfRange {
            file: file.display().to_string(),
            index,
            label: labels[index].into(),
            classes,
        }),
    }
}

/// Checks `images` has as many items as `labels`; the error names both files.
pub fn check_counts(
    images: &Path,
    n_images: usize,
    labels: &Path,
    n_labels: usize,
) -> Result<(), DataError> {
    if n_images == n_labels {
        return Ok(());
    }
    Err(DataError::CountMismatch {
        images: images.display().to_string(),
        n_images,
        labels: labels.display().to_string(),
        n_labels,
    })
}
