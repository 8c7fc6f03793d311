//! One layer's comparison, image by image: the simulator's integers against the fake-quant
//! model's values (bit-identity, the first difference, the largest difference) and the
//! fake-quant model against the float model (cosine similarity, in f64).
//!
//! Owns the statistics and their result types ([`LayerComparison`], [`Difference`]). Must not
//! run models or know a device: it receives values already on one scale.

use ndarray::Array3;
use serde::Serialize;

/// The first value (in image, channel, y, x order) where the two paths disagree.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Difference {
    /// Index of the image among those analysed (= its index in the test split).
    pub image: usize,
    pub channel: usize,
    pub y: usize,
    pub x: usize,
    /// The simulator's integer.
    pub simulator: i64,
    /// The fake-quant model's value (an integer unless something is wrong).
    pub fake_quant: f64,
}

/// One layer's comparison over every analysed image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerComparison {
    /// Graph node index (execution order).
    pub index: usize,
    /// The layer's name as checkpoints spell it.
    pub name: String,
    /// The operator (`conv2d`, `linear`, `passthrough`, …).
    pub op: &'static str,
    /// One image's output as `[C, H, W]` (one-dimensional data as `[C, L, 1]`).
    pub shape: [usize; 3],
    /// Output values compared (images × C × H × W).
    pub values: u64,
    /// Values where the fake-quant model equals the simulator's integer exactly.
    pub identical: u64,
    /// `100 · identical / values`.
    pub identical_percent: f64,
    /// Largest `|fake_quant − simulator|` (0 when identical).
    pub max_abs_difference: f64,
    pub first_difference: Option<Difference>,
    /// Cosine similarity of the fake-quant and float models' outputs over every analysed
    /// image: `Σab / √(Σa²·Σb²)` in f64; 1 when both are all zero, 0 when only one is.
    pub cosine_float: f64,
}

/// The running sums of one layer.
#[derive(Debug, Clone)]
pub struct LayerAccumulator {
    shape: [usize; 3],
    values: u64,
    identical: u64,
    max_abs: f64,
    first: Option<Difference>,
    dot: f64,
    fake_sq: f64,
    float_sq: f64,
}

impl LayerAccumulator {
    /// An empty comparison of a layer whose output is `shape` (`[C, H, W]`) per image.
    pub fn new(shape: [usize; 3]) -> Self {
        LayerAccumulator {
            shape,
            values: 0,
            identical: 0,
            max_abs: 0.0,
            first: None,
            dot: 0.0,
            fake_sq: 0.0,
            float_sq: 0.0,
        }
    }

    /// Add image `image`: the simulator's output and the two models' outputs (row-major
    /// `[C, H, W]`, on the simulator's integer scale for `fake`). The caller checked the
    /// lengths.
    pub fn add(&mut self, image: usize, sim: &Array3<i64>, fake: &[f32], float: &[f32]) {
        let [_, h, w] = self.shape;
        for (i, (&s, &q)) in sim.iter().zip(fake).enumerate() {
            let q = f64::from(q);
            let d = (q - s as f64).abs();
            if d == 0.0 {
                self.identical += 1;
                continue;
            }
            self.max_abs = self.max_abs.max(if d.is_nan() { f64::INFINITY } else { d });
            if self.first.is_none() {
                self.first = Some(Difference {
                    image,
                    channel: i / (h * w).max(1),
                    y: (i / w.max(1)) % h.max(1),
                    x: i % w.max(1),
                    simulator: s,
                    fake_quant: q,
                });
            }
        }
        self.values += sim.len() as u64;
        for (&a, &b) in fake.iter().zip(float) {
            let (a, b) = (f64::from(a), f64::from(b));
            self.dot += a * b;
            self.fake_sq += a * a;
            self.float_sq += b * b;
        }
    }

    /// The finished comparison of node `index`.
    pub fn finish(self, index: usize, name: String, op: &'static str) -> LayerComparison {
        LayerComparison {
            index,
            name,
            op,
            shape: self.shape,
            values: self.values,
            identical: self.identical,
            identical_percent: if self.values == 0 {
                100.0
            } else {
                100.0 * self.identical as f64 / self.values as f64
            },
            max_abs_difference: self.max_abs,
            first_difference: self.first,
            cosine_float: cosine(self.dot, self.fake_sq, self.float_sq),
        }
    }
}

/// `dot / √(a2·b2)`: 1 when both vectors are zero, 0 when one is, clamped to `[−1, 1]`
/// against rounding; 0 when the sums are not finite.
pub fn cosine(dot: f64, a2: f64, b2: f64) -> f64 {
    if a2 == 0.0 && b2 == 0.0 {
        return 1.0;
    }
    let c = dot / (a2 * b2).sqrt();
    if c.is_finite() {
        c.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn counts_identical_values_and_finds_the_first_difference() {
        let shape = [2, 2, 3];
        let mut acc = LayerAccumulator::new(shape);
        let sim = Array3::from_shape_fn((2, 2, 3), |(c, y, x)| (c * 6 + y * 3 + x) as i64);
        let same: Vec<f32> = sim.iter().map(|&v| v as f32).collect();
        acc.add(0, &sim, &same, &same);
        let mut off = same.clone();
        off[10] += 0.5; // channel 1, y 1, x 1
        off[11] -= 3.0;
        acc.add(1, &sim, &off, &same);
        let r = acc.finish(4, "conv".into(), "conv2d");
        assert_eq!((r.values, r.identical), (24, 22));
        assert_eq!(r.max_abs_difference, 3.0);
        let d = r.first_difference.unwrap();
        assert_eq!((d.image, d.channel, d.y, d.x), (1, 1, 1, 1));
        assert_eq!((d.simulator, d.fake_quant), (10, 10.5));
        assert!(r.cosine_float > 0.99 && r.cosine_float <= 1.0);
    }

    #[test]
    fn cosine_edge_cases() {
        assert_eq!(cosine(0.0, 0.0, 0.0), 1.0);
        assert_eq!(cosine(0.0, 4.0, 0.0), 0.0);
        assert_eq!(cosine(-6.0, 4.0, 9.0), -1.0);
        assert_eq!(cosine(f64::NAN, 1.0, 1.0), 0.0);
    }
}
