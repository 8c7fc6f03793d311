//! Training-time augmentation: random crop with zero padding and random horizontal flip.
//!
//! Owns the per-sample geometric transforms on byte images `[C, H, W]`, before normalization
//! (padding is pixel 0, black, as ai8x's `RandomCrop(padding=…)`). The random choices come from
//! [`Rng::for_item`]`(seed, epoch, index)`, so an epoch's augmented images are reproducible in
//! any order and on any thread. Must not normalize or read files.

use super::rng::Rng;
use ndarray::{Array3, ArrayView3, Axis, s};

/// What to apply; the default applies nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Augment {
    /// Pad each side by this many black pixels, then crop a random `H×W` window.
    pub crop_pad: Option<usize>,
    /// Mirror left–right with probability ½.
    pub hflip: bool,
}

impl Augment {
    pub fn is_off(&self) -> bool {
        self.crop_pad.is_none_or(|p| p == 0) && !self.hflip
    }

    /// Image `index` of pass `epoch`, augmented. Draws, in this order: the crop's row offset and
    /// column offset (each uniform in `0..=2·pad`), then the flip coin.
    pub fn apply(&self, img: ArrayView3<u8>, seed: u64, epoch: u64, index: u64) -> Array3<u8> {
        let mut rng = Rng::for_item(seed, epoch, index);
        let mut out = match self.crop_pad {
            Some(pad) if pad > 0 => {
                let dy = rng.below(2 * pad as u64 + 1) as usize;
                let dx = rng.below(2 * pad as u64 + 1) as usize;
                crop_padded(img, pad, dy, dx)
            }
            _ => img.to_owned(),
        };
        if self.hflip && rng.coin() {
            out.invert_axis(Axis(2));
            out = out.as_standard_layout().into_owned();
        }
        out
    }
}

/// The `H×W` window at `(dy, dx)` of `img` padded by `pad` zeros on every side.
pub fn crop_padded(img: ArrayView3<u8>, pad: usize, dy: usize, dx: usize) -> Array3<u8> {
    let (c, h, w) = img.dim();
    let mut padded = Array3::<u8>::zeros((c, h + 2 * pad, w + 2 * pad));
    padded
        .slice_mut(s![.., pad..pad + h, pad..pad + w])
        .assign(&img);
    padded.slice(s![.., dy..dy + h, dx..dx + w]).to_owned()
}
