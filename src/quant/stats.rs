//! Order statistics shared by the schemes' calibrations: numpy's linear quantile.
//!
//! Owns only the statistic; which values are collected is the caller's.

/// numpy's `quantile(values, q)` with linear interpolation: `v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] −
/// v[⌊h⌋])` at `h = (n − 1)·q` of the sorted values, in f64. Reorders `values`; `None` when
/// empty.
pub fn linear_quantile(values: &mut [f32], q: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let (_, &mut a, rest) = values.select_nth_unstable_by(lo, f32::total_cmp);
    let a = f64::from(a);
    if lo + 1 >= n {
        return Some(a);
    }
    // The next order statistic is the smallest of what lies above.
    let b = f64::from(
        rest.iter()
            .copied()
            .min_by(f32::total_cmp)
            .unwrap_or(a as f32),
    );
    Some(a + (h - lo as f64) * (b - a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_numpy() {
        // numpy.quantile([3, 1, 2, 10], [0, 0.5, 0.9, 1]) = [1, 2.5, 7.9, 10]
        let mut v = [3.0f32, 1.0, 2.0, 10.0];
        for (q, want) in [(0.0, 1.0), (0.5, 2.5), (0.9, 7.9), (1.0, 10.0)] {
            let got = linear_quantile(&mut v, q).unwrap();
            assert!((got - want).abs() < 1e-12, "{q}: {got}");
        }
        assert_eq!(linear_quantile(&mut [], 0.5), None);
        assert_eq!(linear_quantile(&mut [4.0], 0.3), Some(4.0));
    }
}
