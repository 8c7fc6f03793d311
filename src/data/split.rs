//! The seeded train/validation split of a training set.
//!
//! Owns which images go to validation: the indices `0..N` are shuffled once with [`Rng`]
//! seeded by `seed` (Fisher–Yates), and the first `⌊fraction·N⌋` of them form the validation
//! set, the rest the training set — ai8x's rule, with our own generator. Both parts keep the
//! original image order. Must not read files or transform pixels.

use super::ImageSet;
use super::rng::Rng;

/// Splits `set` into `(train, validation)` with `⌊fraction·N⌋` validation images, the same for
/// the same seed on every machine and build. Panics unless `0 ≤ fraction ≤ 1`.
pub fn split_train_val(set: &ImageSet, fraction: f64, seed: u64) -> (ImageSet, ImageSet) {
    assert!(
        (0.0..=1.0).contains(&fraction),
        "validation fraction {fraction} is not in [0, 1]"
    );
    let mut order: Vec<usize> = (0..set.len()).collect();
    Rng::new(seed).shuffle(&mut order);
    let n_val = (fraction * set.len() as f64).floor() as usize;
    let (val, train) = order.split_at_mut(n_val);
    val.sort_unstable();
    train.sort_unstable();
    (set.subset(train), set.subset(val))
}
