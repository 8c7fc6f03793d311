//! A tiny generated classification problem for training tests: three classes of noisy 8×8
//! images (bright top, bottom or left half) and a three-layer MAX78000 network.

use super::data::{labels_i64, npy, put};
use qtool::train::optim::{OptimizerConfig, OptimizerKind};
use qtool::train::recipe::Recipe;
use std::path::{Path, PathBuf};

/// conv 1→4 (3×3, pad 1, ReLU), max-pool 2 + conv 4→4 (ReLU), flatten + linear → 3 classes.
pub const NET: &str = "arch: tiny\ndataset: generated\ninput: [1, 8, 8]\nlayers:\n  - processors: 0x1\n    op: conv2d\n    out_channels: 4\n    pad: 1\n    activate: ReLU\n    out_offset: 0x1000\n  - processors: 0xf\n    op: conv2d\n    out_channels: 4\n    max_pool: 2\n    pool_stride: 2\n    pad: 1\n    activate: ReLU\n    out_offset: 0\n  - processors: 0xf\n    op: mlp\n    out_channels: 3\n    flatten: true\n    out_offset: 0x1000\n";

/// `n` noisy 8×8 images of three classes: bright top half, bright bottom half, bright left
/// half.
pub fn images(n: usize, salt: u32) -> (Vec<u8>, Vec<i64>) {
    let mut s = 0x9e37_79b9u32 ^ salt;
    let mut noise = || {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (s >> 26) as u8
    };
    let mut px = Vec::with_capacity(n * 64);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 3;
        for y in 0..8 {
            for x in 0..8 {
                let on = match class {
                    0 => y < 4,
                    1 => y >= 4,
                    _ => x < 4,
                };
                px.push(if on { 190u8 } else { 30 } + noise());
            }
        }
        labels.push(class as i64);
    }
    (px, labels)
}

/// A data folder (`.npy` pairs) and the network file.
pub fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let data = dir.join("data");
    for (split, n, salt) in [("train", 120, 1), ("test", 30, 2)] {
        let (px, labels) = images(n, salt);
        put(
            &data,
            &format!("{split}/x.npy"),
            &npy("|u1", &[n, 8, 8], &px),
        );
        put(&data, &format!("{split}/y.npy"), &labels_i64(&labels));
    }
    let net = put(dir, "tiny.yaml", NET.as_bytes());
    (data, net)
}

pub fn recipe(epochs: usize) -> Recipe {
    Recipe {
        epochs,
        batch_size: 16,
        optimizer: OptimizerConfig {
            kind: OptimizerKind::Sgd,
            momentum: 0.9,
            weight_decay: 1e-4,
        },
        lr: 0.05,
        milestones: vec![2],
        gamma: 0.5,
        validation_split: 0.25,
        crop_pad: Some(1),
        hflip: false,
    }
}
