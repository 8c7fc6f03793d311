//! Per-layer ranges of quantclip: the limits holding `p` % of a set of values (numpy's linear
//! quantile, `(100 − p)/200` and `(100 + p)/200`) and the msb that covers them.
//!
//! Owns the statistics only; which values are collected (weights, operator input, raw sum
//! of products) is the caller's.

use crate::quant::stats::linear_quantile;
use serde::Serialize;

/// The limits holding `percentile` % of `values`, centred: `(Q((100−p)/200), Q((100+p)/200))`.
pub fn limits(values: &mut [f32], percentile: f64) -> Option<(f64, f64)> {
    let lower = linear_quantile(values, (100.0 - percentile) / 200.0)?;
    let upper = linear_quantile(values, (100.0 + percentile) / 200.0)?;
    Some((lower, upper))
}

/// The msb a pair of limits asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Msb {
    pub msb: i32,
    /// Both limits were 0 (msb 0 is a stand-in; worth a warning).
    pub degenerate: bool,
}

/// The least integer `e` with `2^e ≥ max(|lower|, |upper|)`, exact at powers of two; msb 0
/// (marked degenerate) when both are 0.
pub fn msb_for(lower: f64, upper: f64) -> Msb {
    let m = lower.abs().max(upper.abs());
    if m == 0.0 || !m.is_finite() {
        return Msb {
            msb: 0,
            degenerate: m == 0.0,
        };
    }
    let mut e = m.log2().ceil() as i32;
    while 2f64.powi(e - 1) >= m {
        e -= 1;
    }
    while 2f64.powi(e) < m {
        e += 1;
    }
    Msb {
        msb: e,
        degenerate: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_examples() {
        assert_eq!(msb_for(-0.4321, 0.4153).msb, -1);
        assert_eq!(msb_for(-507.0, 377.8).msb, 9);
        assert_eq!(msb_for(-0.5, 0.25).msb, -1);
        assert_eq!(msb_for(0.0, 1.0).msb, 0);
        assert_eq!(msb_for(0.0, 1.0000001).msb, 1);
        assert_eq!(
            msb_for(0.0, 0.0),
            Msb {
                msb: 0,
                degenerate: true
            }
        );
        let mut v: Vec<f32> = (1..=1000).map(|i| i as f32).collect();
        let (lo, hi) = limits(&mut v, 99.0).unwrap();
        assert!(
            (lo - 5.995).abs() < 1e-9 && (hi - 995.005).abs() < 1e-9,
            "{lo} {hi}"
        );
        assert_eq!(msb_for(lo, hi).msb, 10);
    }
}
