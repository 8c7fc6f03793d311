//! Image folders: `DIR/<split>/<class>/*.png|jpg|jpeg`, one sub-folder per class.
//!
//! Owns the folder walk and image decoding. Classes are the sub-folders sorted by name (label 0
//! is the first); images are read in name order within each class, so a set always loads the
//! same way. Grayscale images become 1 channel and colour images 3 (RGB); alpha is dropped and
//! 16-bit samples are reduced to 8 bits. Every image must have the channel count and size of
//! the first one read. Files with other extensions are skipped. Must not resize, normalize or
//! augment.

use super::image_set::chw_str;
use super::{DataError, ImageSet, Split};
use image::ImageReader;
use ndarray::{Array3, Array4};
use std::path::{Path, PathBuf};

const EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io {
        file: path.display().to_string(),
        source,
    }
}

/// The entries of `dir` that satisfy `keep`, sorted by name.
fn sorted_entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>, DataError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        if keep(&path) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn is_image(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str());
    path.is_file() && ext.is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// One image as `[C, H, W]` bytes.
fn decode(path: &Path) -> Result<Array3<u8>, DataError> {
    let bad = |reason: String| DataError::BadImage {
        file: path.display().to_string(),
        reason,
    };
    let img = ImageReader::open(path)
        .map_err(io_error(path))?
        .with_guessed_format()
        .map_err(io_error(path))?
        .decode()
        .map_err(|e| bad(e.to_string()))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let hwc = match img.color().has_color() {
        false => Array3::from_shape_vec((h, w, 1), img.to_luma8().into_raw()),
        true => Array3::from_shape_vec((h, w, 3), img.to_rgb8().into_raw()),
    };
    let hwc = hwc.map_err(|e| bad(e.to_string()))?;
    Ok(hwc
        .permuted_axes([2, 0, 1])
        .as_standard_layout()
        .into_owned())
}

/// Loads `dir/<split>/<class>/*` (see the module doc).
pub fn load_folder(dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    let root = dir.join(split.dir_name());
    if !root.is_dir() {
        return Err(DataError::NotFound {
            file: root.display().to_string(),
        });
    }
    let classes = sorted_entries(&root, Path::is_dir)?;
    let dir_name = || root.display().to_string();
    match classes.len() {
        0 => return Err(DataError::NoClasses { dir: dir_name() }),
        n if n > 256 => {
            return Err(DataError::TooManyClasses {
                dir: dir_name(),
                count: n,
            });
        }
        _ => {}
    }
    let (mut labels, mut pixels) = (Vec::new(), Vec::new());
    let mut first: Option<(PathBuf, (usize, usize, usize))> = None;
    for (label, class_dir) in classes.iter().enumerate() {
        for path in sorted_entries(class_dir, is_image)? {
            let img = decode(&path)?;
            let chw = img.dim();
            let (first_path, want) = first.get_or_insert_with(|| (path.clone(), chw));
            if chw != *want {
                return Err(DataError::ImageSize {
                    file: path.display().to_string(),
                    found: chw_str(chw),
                    first: first_path.display().to_string(),
                    expected: chw_str(*want),
                });
            }
            labels.push(label as u8);
            pixels.extend(img.iter());
        }
    }
    let (c, h, w) = first.map_or((1, 0, 0), |(_, chw)| chw);
    let images = Array4::from_shape_vec((labels.len(), c, h, w), pixels)
        .expect("every image was checked to hold C*H*W pixels");
    Ok(ImageSet {
        images,
        labels,
        classes: classes.len(),
    })
}
