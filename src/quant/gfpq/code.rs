//! HiSilicon NNIE's grouped floating-point quantization (GFPQ) of one group of values: a sign
//! and a logarithmic code `k` meaning `±2^(k/S)`, the top code `k_max` set by a coefficient.
//!
//! qtool's definition (the text, checked against the published 8-bit sample):
//! `S` steps per octave (16 at 8 bits; 4096 at 16 bits, qtool's documented convention);
//! `k_max = ⌊S·log2 M⌋` for `M = max|x|`; `z = k_max − span` (span 127 at 8 bits, 32767 at 16);
//! a positive `x` gets `k = clamp(round(S·log2 x), z, k_max)`, a negative one the same with
//! magnitudes `z+1 … k_max` (the code 0x80 is −0); `|x|` under half the smallest magnitude of
//! its sign becomes 0, 0 stays 0, NaN stays NaN. `log2` and `2^(k/S)` are computed in f64 and
//! rounded to f32 once.
//!
//! Owns this arithmetic and its fast form: the quantizer is a monotone step function of `|x|`,
//! so [`LogQuantizer`] finds each step's first f32 with the f64 formula once (a few `log2`
//! calls per code) and then codes values by comparisons only, through a bucket table on the
//! f32 bits — the same results as the formula for every f32, by construction. Must not
//! choose or store coefficients (the scheme does).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The two widths NNIE computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum LogBits {
    B8,
    B16,
}

impl LogBits {
    /// Steps per octave, `S`.
    pub fn steps(self) -> i32 {
        match self {
            LogBits::B8 => 16,
            LogBits::B16 => 4096,
        }
    }

    /// `k_max − z`: the number of magnitudes above the lowest.
    pub fn span(self) -> i32 {
        match self {
            LogBits::B8 => 127,
            LogBits::B16 => 32767,
        }
    }

    pub fn bits(self) -> u8 {
        match self {
            LogBits::B8 => 8,
            LogBits::B16 => 16,
        }
    }
}

impl TryFrom<u8> for LogBits {
    type Error = String;
    fn try_from(b: u8) -> Result<Self, String> {
        match b {
            8 => Ok(LogBits::B8),
            16 => Ok(LogBits::B16),
            _ => Err(format!("GFPQ computes in 8 or 16 bits, not {b}")),
        }
    }
}

impl From<LogBits> for u8 {
    fn from(b: LogBits) -> u8 {
        b.bits()
    }
}

impl fmt::Display for LogBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.bits())
    }
}

/// `round(S·log2 a)` in f64 for a positive `a`: the reference every table is built from.
fn code_of(a: f32, steps: i32) -> i64 {
    (f64::from(steps) * f64::from(a).log2()).round() as i64
}

/// `⌊S·log2 M⌋` for the largest magnitude `M`; `None` when `M` is 0 or not finite.
pub fn k_max(bits: LogBits, max_abs: f32) -> Option<i32> {
    if !(max_abs.is_finite() && max_abs > 0.0) {
        return None;
    }
    Some((f64::from(bits.steps()) * f64::from(max_abs).log2()).floor() as i32)
}

/// `k_max` of a set of values (their largest magnitude; NaN ignored).
pub fn k_max_of(bits: LogBits, values: &[f32]) -> Option<i32> {
    k_max(bits, max_abs(values))
}

/// The largest magnitude of `values`, NaN ignored (`f32::max` skips a NaN operand).
pub fn max_abs(values: &[f32]) -> f32 {
    use rayon::prelude::*;
    values
        .par_chunks(1 << 16)
        .map(|c| c.iter().fold(0f32, |m, v| m.max(v.abs())))
        .reduce(|| 0.0, f32::max)
}

/// `2^(k/S)` rounded once to f32.
fn magnitude(k: i64, steps: i32) -> f32 {
    (k as f64 / f64::from(steps)).exp2() as f32
}

/// The next or previous positive f32 (by bit pattern).
fn step_f32(a: f32, up: bool) -> f32 {
    let b = a.to_bits();
    f32::from_bits(if up { b + 1 } else { b - 1 })
}

/// The smallest positive f32 `a` with `pred(a)`, for a predicate monotone in `a`, starting
/// from a guess near the answer.
fn first_where(guess: f32, pred: impl Fn(f32) -> bool) -> f32 {
    let mut a = guess.max(f32::MIN_POSITIVE);
    while !pred(a) && a < f32::MAX {
        a = step_f32(a, true);
    }
    while a > f32::MIN_POSITIVE && pred(step_f32(a, false)) {
        a = step_f32(a, false);
    }
    a
}

/// Buckets per octave of the lookup (the f32 bits shifted right by `23 − log2 buckets`):
/// narrower than a code's step, so a bucket holds at most one threshold (8 bits: 1/128 octave
/// against 1/16; 16 bits: 1/8192 against 1/4096).
fn bucket_shift(bits: LogBits) -> u32 {
    match bits {
        LogBits::B8 => 16,
        LogBits::B16 => 10,
    }
}

/// One bucket of the lookup: the thresholds below its start, and the one threshold inside it
/// (+∞ when none).
#[derive(Debug, Clone, Copy)]
struct Bucket {
    rank: u32,
    next: f32,
}

/// The quantizer of one coefficient `k_max`: value tables and step thresholds.
#[derive(Debug, Clone)]
pub struct LogQuantizer {
    bits: LogBits,
    k_max: i32,
    /// `2^((z + j)/S)` for `j` in `0..=span`.
    magnitudes: Vec<f32>,
    /// `thresholds[j]`: the smallest f32 whose code is at least `z + 1 + j`.
    thresholds: Vec<f32>,
    /// The smallest positive / negative magnitude that is not flushed to 0.
    keep_positive: f32,
    keep_negative: f32,
    /// Bucket `b` (f32 bits `>> shift`, minus `first_bucket`).
    buckets: Vec<Bucket>,
    first_bucket: u32,
}

impl LogQuantizer {
    pub fn new(bits: LogBits, k_max: i32) -> Self {
        let (s, span) = (bits.steps(), bits.span());
        let z = i64::from(k_max) - i64::from(span);
        let magnitudes: Vec<f32> = (0..=i64::from(span)).map(|j| magnitude(z + j, s)).collect();
        let thresholds: Vec<f32> = (1..=i64::from(span))
            .map(|j| {
                let t = z + j;
                first_where(magnitude(2 * t - 1, 2 * s), |a| code_of(a, s) >= t)
            })
            .collect();
        let half = |k: i64| 0.5 * (k as f64 / f64::from(s)).exp2();
        let keep = |k: i64| {
            let h = half(k);
            first_where(h as f32, |a| f64::from(a) >= h)
        };
        let (keep_positive, keep_negative) = (keep(z), keep(z + 1));
        let shift = bucket_shift(bits);
        let first_bucket = keep_positive.to_bits() >> shift;
        let last_bucket = thresholds
            .last()
            .map_or(first_bucket, |t| t.to_bits() >> shift);
        let buckets = (first_bucket..=last_bucket)
            .map(|b| {
                let start = f32::from_bits(b << shift);
                let rank = thresholds.partition_point(|&t| t <= start);
                let next = thresholds.get(rank).copied().unwrap_or(f32::INFINITY);
                // The bucket's end is below the threshold after `next`.
                debug_assert!(
                    thresholds
                        .get(rank + 1)
                        .is_none_or(|&t| t.to_bits() >> shift > b)
                );
                Bucket {
                    rank: rank as u32,
                    next,
                }
            })
            .collect();
        LogQuantizer {
            bits,
            k_max,
            magnitudes,
            thresholds,
            keep_positive,
            keep_negative,
            buckets,
            first_bucket,
        }
    }

    pub fn k_max(&self) -> i32 {
        self.k_max
    }

    pub fn bits(&self) -> LogBits {
        self.bits
    }

    /// The number of thresholds at or below magnitude `a`.
    #[inline]
    fn rank(&self, a: f32) -> usize {
        let b = (a.to_bits() >> bucket_shift(self.bits)).saturating_sub(self.first_bucket);
        match self.buckets.get(b as usize) {
            Some(k) => k.rank as usize + usize::from(a >= k.next),
            None => self.thresholds.len(),
        }
    }

    /// One value quantized and dequantized (branch-free but for NaN).
    #[inline]
    pub fn quantize(&self, x: f32) -> f32 {
        if x.is_nan() {
            return x;
        }
        let a = x.abs();
        let negative = x.is_sign_negative();
        let rank = self.rank(a).max(usize::from(negative));
        let keep = if negative {
            self.keep_negative
        } else {
            self.keep_positive
        };
        let m = if a < keep { 0.0 } else { self.magnitudes[rank] };
        m.copysign(x)
    }

    /// Quantize a slice in place.
    pub fn quantize_slice(&self, values: &mut [f32]) {
        for v in values {
            *v = self.quantize(*v);
        }
    }

    /// `input` quantized into `out` (the same length).
    pub fn quantize_into(&self, input: &[f32], out: &mut [f32]) {
        for (o, &x) in out.iter_mut().zip(input) {
            *o = self.quantize(x);
        }
    }

    /// The code of `x`'s magnitude (`None` for values that become 0), for reports and tests.
    pub fn code(&self, x: f32) -> Option<i32> {
        let y = self.quantize(x);
        (y != 0.0 && !y.is_nan()).then(|| code_of(y.abs(), self.bits.steps()) as i32)
    }
}

/// A coefficient's quantizer, shared: 16-bit tables take milliseconds to build, so the last
/// few are kept.
pub fn quantizer(bits: LogBits, k_max: i32) -> std::sync::Arc<LogQuantizer> {
    use std::sync::{Arc, Mutex};
    static CACHE: Mutex<Vec<Arc<LogQuantizer>>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(q) = cache.iter().find(|q| q.bits == bits && q.k_max == k_max) {
        return q.clone();
    }
    let q = Arc::new(LogQuantizer::new(bits, k_max));
    if cache.len() >= 64 {
        cache.remove(0);
    }
    cache.push(q.clone());
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, value by value in f64.
    fn reference(bits: LogBits, k_max: i32, x: f32) -> f32 {
        let s = bits.steps();
        let z = i64::from(k_max) - i64::from(bits.span());
        if x == 0.0 || x.is_nan() {
            return x;
        }
        let lowest = if x > 0.0 { z } else { z + 1 };
        let a = f64::from(x.abs());
        if a < 0.5 * (lowest as f64 / f64::from(s)).exp2() {
            return 0.0;
        }
        let k = ((f64::from(s) * a.log2()).round() as i64).clamp(lowest, i64::from(k_max));
        let m = (k as f64 / f64::from(s)).exp2() as f32;
        if x > 0.0 { m } else { -m }
    }

    #[test]
    fn the_guides_sample() {
        let data: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let k = k_max_of(LogBits::B8, &data).unwrap();
        assert_eq!(k, 50);
        let q = LogQuantizer::new(LogBits::B8, k);
        assert_eq!(q.quantize(0.0), 0.0);
        for p in [1.0, 2.0, 4.0, 8.0] {
            assert_eq!(q.quantize(p), p);
        }
        assert_eq!(q.quantize(9.0), 8.724062);
        assert_eq!(q.quantize(-9.0), -8.724062);
        assert_eq!(q.quantize(3.0), 2f64.powf(25.0 / 16.0) as f32);
        assert_eq!(q.code(3.0), Some(25));
    }

    #[test]
    fn bottom_of_the_range() {
        let q = LogQuantizer::new(LogBits::B8, 0); // z = −127: smallest magnitude 2^(−127/16)
        let smallest = (-127f64 / 16.0).exp2();
        assert_eq!(q.quantize((smallest * 0.49) as f32), 0.0);
        assert_eq!(q.quantize((smallest * 0.51) as f32), smallest as f32);
        // Negatives start one code higher.
        let neg = (-126f64 / 16.0).exp2();
        assert_eq!(q.quantize(-(smallest as f32)), -(neg as f32));
        assert_eq!(q.quantize((-neg * 0.49) as f32), 0.0);
        assert_eq!(q.quantize(f32::INFINITY), 1.0);
        assert!(q.quantize(f32::NAN).is_nan());
    }

    #[test]
    fn tables_equal_the_formula() {
        for (bits, k, stride) in [
            (LogBits::B8, 50, 1u32),
            (LogBits::B8, -300, 1),
            (LogBits::B16, 12_000, 7),
        ] {
            let q = LogQuantizer::new(bits, k);
            let hi = (f64::from(k) / f64::from(bits.steps()) + 1.0).exp2() as f32;
            let lo = (f64::from(k - bits.span()) / f64::from(bits.steps()) - 2.0).exp2() as f32;
            let mut b = lo.to_bits();
            while b <= hi.to_bits() {
                let x = f32::from_bits(b);
                for x in [x, -x] {
                    assert_eq!(q.quantize(x), reference(bits, k, x), "{bits} {k} {x:e}");
                }
                b += stride * 97;
            }
        }
        assert_eq!(k_max(LogBits::B8, 0.0), None);
        assert_eq!(k_max(LogBits::B16, 1.0), Some(0));
    }
}
