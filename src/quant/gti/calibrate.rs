//! ReLU-cap calibration (gti.md §3.2): per batch, a percentile of all of a layer's outputs
//! (every image, channel and position, zeros included, linear interpolation between order
//! statistics as numpy does); the layer's cap is the largest over the batches.

use crate::quant::stats::linear_quantile;

/// The `p`-th percentile (0–100) of `values`, interpolating linearly; `None` if empty or
/// if a value is NaN.
pub fn percentile(values: &[f32], p: f64) -> Option<f32> {
    if values.iter().any(|v| v.is_nan()) {
        return None;
    }
    linear_quantile(&mut values.to_vec(), p / 100.0).map(|v| v as f32)
}

/// A layer's running cap: the largest batch percentile seen (0 before any batch).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CapTracker {
    pub cap: f32,
}

impl CapTracker {
    /// Take one batch of the layer's outputs into account.
    pub fn observe(&mut self, outputs: &[f32], p: f64) {
        if let Some(v) = percentile(outputs, p) {
            self.cap = self.cap.max(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// gti.md §5 vector 17.
    #[test]
    fn vector_17_calibration() {
        let a: Vec<f32> = (0..=100).map(|v| v as f32).collect();
        let b: Vec<f32> = (0..=100).map(|i| i as f32 * 0.5).collect();
        let mut c = vec![0f32; 90];
        c.extend((1..=10).map(|i| 3.0 * i as f32));
        let close = |x: Option<f32>, y: f32| assert!((x.unwrap() - y).abs() < 1e-4, "{x:?} {y}");
        close(percentile(&a, 99.0), 99.0);
        close(percentile(&b, 99.0), 49.5);
        close(percentile(&c, 99.0), 27.03);
        close(percentile(&a, 99.99), 99.99);
        let mut cap = CapTracker::default();
        for batch in [&b, &a, &c] {
            cap.observe(batch, 99.0);
        }
        assert_eq!(cap.cap, 99.0);
        assert_eq!(percentile(&[], 50.0), None);
    }
}
