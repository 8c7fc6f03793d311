//! Percentile limits of large sets of values, one layer's or several layers' together,
//! without concatenating them: each set is sorted once ([`Sorted`]) and an order statistic of
//! their union is found by bisecting the f32 order.
//!
//! The statistic is that of [`crate::quant::quantclip::range`] (numpy's linear quantile;
//! limits `(Q((100−p)/200), Q((100+p)/200))`; msb by [`msb_for`]), so a layer's limits here
//! are the ones quantclip's percentile calibration computes from the same values. Owns only
//! the statistic. Must not run models.

use crate::quant::quantclip::range::msb_for;
use serde::Serialize;

/// A set of values sorted in f32's total order (NaN last when positive).
#[derive(Debug, Clone, Default)]
pub struct Sorted(Vec<f32>);

impl Sorted {
    pub fn new(mut values: Vec<f32>) -> Self {
        values.sort_unstable_by(f32::total_cmp);
        Sorted(values)
    }

    pub fn values(&self) -> &[f32] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A key whose unsigned order is f32's total order.
fn key(x: f32) -> u32 {
    let b = x.to_bits();
    if b >> 31 == 1 { !b } else { b | 0x8000_0000 }
}

fn from_key(k: u32) -> f32 {
    f32::from_bits(if k >> 31 == 1 { k & 0x7fff_ffff } else { !k })
}

/// The `k`-th smallest value (0-based) of the union of `sets`; `k` < their total length.
fn order_stat(sets: &[&Sorted], k: usize) -> f32 {
    if let [one] = sets {
        return one.0[k];
    }
    let at_most = |limit: u32| -> usize {
        sets.iter()
            .map(|s| s.0.partition_point(|&v| key(v) <= limit))
            .sum()
    };
    // The least key with more than k values at or below it.
    let (mut lo, mut hi) = (0u32, u32::MAX);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if at_most(mid) > k {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    from_key(lo)
}

/// numpy's `quantile(union of sets, q)` with linear interpolation, in f64; `None` when the
/// sets are empty.
pub fn quantile(sets: &[&Sorted], q: f64) -> Option<f64> {
    let n: usize = sets.iter().map(|s| s.len()).sum();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let a = f64::from(order_stat(sets, lo));
    if lo + 1 >= n {
        return Some(a);
    }
    let b = f64::from(order_stat(sets, lo + 1));
    Some(a + (h - lo as f64) * (b - a))
}

/// The limits holding `percentile` % of some values, and the msb covering them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limit {
    pub percentile: f64,
    pub lower: f64,
    pub upper: f64,
    /// The least integer `e` with `2^e ≥ max(|lower|, |upper|)` (0 when both are 0).
    pub msb: i32,
}

/// The limits of the union of `sets` at each percentile (in (0, 100]); 0 and msb 0 for no
/// values.
pub fn limits(sets: &[&Sorted], percentiles: &[f64]) -> Vec<Limit> {
    percentiles
        .iter()
        .map(|&p| {
            let lower = quantile(sets, (100.0 - p) / 200.0).unwrap_or(0.0);
            let upper = quantile(sets, (100.0 + p) / 200.0).unwrap_or(0.0);
            Limit {
                percentile: p,
                lower,
                upper,
                msb: msb_for(lower, upper).msb,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::quantclip::range;

    /// Deterministic values with repeats, signs, zeros and a long tail.
    fn values(n: usize, salt: u32) -> Vec<f32> {
        let mut s = 0x2545_f491u32 ^ salt;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let u = (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                if s.is_multiple_of(7) {
                    0.0
                } else {
                    u * u * u * 40.0
                }
            })
            .collect()
    }

    #[test]
    fn keys_follow_total_order() {
        let xs = [
            f32::NEG_INFINITY,
            -3.5,
            -0.0,
            0.0,
            1e-30,
            2.0,
            f32::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{w:?}");
        }
        for x in xs {
            assert_eq!(from_key(key(x)).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn union_limits_equal_quantclips_on_the_concatenation() {
        let parts = [values(1000, 1), values(37, 2), values(1, 3), values(400, 4)];
        let sorted: Vec<Sorted> = parts.iter().cloned().map(Sorted::new).collect();
        let refs: Vec<&Sorted> = sorted.iter().collect();
        let percentiles = [50.0, 95.0, 99.9, 99.99, 100.0];
        let mut all: Vec<f32> = parts.concat();
        for l in limits(&refs, &percentiles) {
            let (lo, hi) = range::limits(&mut all, l.percentile).unwrap();
            assert_eq!((l.lower, l.upper), (lo, hi), "{l:?}");
            assert_eq!(l.msb, range::msb_for(lo, hi).msb);
        }
        // One set alone, and every order statistic of a union.
        for (part, s) in parts.iter().zip(&sorted) {
            let mut v = part.clone();
            let got = limits(&[s], &[98.0])[0];
            assert_eq!((got.lower, got.upper), range::limits(&mut v, 98.0).unwrap());
        }
        let mut flat = all.clone();
        flat.sort_unstable_by(f32::total_cmp);
        for k in [0, 1, 500, 1436, 1437] {
            assert_eq!(order_stat(&refs, k).to_bits(), flat[k].to_bits(), "{k}");
        }
    }

    #[test]
    fn empty_sets_have_zero_limits() {
        let empty = Sorted::default();
        assert_eq!(quantile(&[&empty], 0.5), None);
        let l = limits(&[&empty, &empty], &[99.0])[0];
        assert_eq!((l.lower, l.upper, l.msb), (0.0, 0.0, 0));
    }
}
