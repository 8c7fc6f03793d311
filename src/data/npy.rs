//! `.npy` pairs: `DIR/<split>/x.npy` (uint8 images, `[N, C, H, W]` or `[N, H, W]`) and
//! `DIR/<split>/y.npy` (integer labels, `[N]`).
//!
//! Owns the pair's shapes, dtypes and count check. The class count is the largest label + 1,
//! so labels must lie in `0..=255`. Must not parse the `.npy` container itself
//! (`crate::io::npy` does) or normalize pixels.

use super::image_set::{check_counts, check_labels};
use super::{DataError, ImageSet, Split};
use crate::io::npy::{read_i64_with_rank, read_u8};
use ndarray::{Array4, Axis, Ix3, Ix4};
use std::path::Path;

/// Labels are bytes: at most 256 classes.
const MAX_CLASSES: usize = 256;

fn existing(path: &Path) -> Result<&Path, DataError> {
    match path.is_file() {
        true => Ok(path),
        false => Err(DataError::NotFound {
            file: path.display().to_string(),
        }),
    }
}

/// Reads `x.npy` as `[N, C, H, W]` (a rank-3 array gets one channel).
fn read_images(path: &Path) -> Result<Array4<u8>, DataError> {
    let x = read_u8(existing(path)?)?;
    let shape = format!("{:?}", x.shape());
    let x = match x.ndim() {
        3 => x
            .into_dimensionality::<Ix3>()
            .map(|a| a.insert_axis(Axis(1))),
        _ => x.into_dimensionality::<Ix4>(),
    };
    x.map_err(|_| DataError::WrongShape {
        file: path.display().to_string(),
        shape,
        expected: "[N, C, H, W] or [N, H, W]",
    })
}

/// Loads the `x.npy`/`y.npy` pair of `dir/<split>`.
pub fn load_npy(dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    let sub = dir.join(split.dir_name());
    let (xp, yp) = (sub.join("x.npy"), sub.join("y.npy"));
    let images = read_images(&xp)?;
    let y = read_i64_with_rank(existing(&yp)?, &[1])?;
    let y = y.as_slice().expect("a fresh 1-D array is contiguous");
    check_counts(&xp, images.len_of(Axis(0)), &yp, y.len())?;
    check_labels(&yp, y, MAX_CLASSES)?;
    let classes = y.iter().max().map_or(0, |&m| m as usize + 1);
    Ok(ImageSet {
        images,
        labels: y.iter().map(|&l| l as u8).collect(),
        classes,
    })
}
