//! Every path against a naive i64 correlation on random shapes, widths and batches.

use super::*;
use crate::data::rng::Rng;
use ndarray::Array4;

fn naive(w: &[i32], m: usize, g: &Geometry, x: &Array4<i64>) -> Vec<i64> {
    let (b, c, h, wd) = x.dim();
    let (ho, wo) = g.out_hw(h, wd);
    let mut out = vec![0i64; b * m * ho * wo];
    for bi in 0..b {
        for o in 0..m {
            for i in 0..ho {
                for j in 0..wo {
                    let mut s = 0i64;
                    for ch in 0..c {
                        for u in 0..g.kh {
                            for v in 0..g.kw {
                                let r = (i * g.stride[0] + u * g.dilation[0]) as isize
                                    - g.pad_before[0] as isize;
                                let q = (j * g.stride[1] + v * g.dilation[1]) as isize
                                    - g.pad_before[1] as isize;
                                if r >= 0 && q >= 0 && (r as usize) < h && (q as usize) < wd {
                                    let wv = w[((o * c + ch) * g.kh + u) * g.kw + v];
                                    s += i64::from(wv) * x[[bi, ch, r as usize, q as usize]];
                                }
                            }
                        }
                    }
                    out[((bi * m + o) * ho + i) * wo + j] = s;
                }
            }
        }
    }
    out
}

fn random_case(
    r: &mut Rng,
    w_bound: i64,
    x_bound: i64,
) -> (Vec<i32>, usize, Geometry, Array4<i64>) {
    let (kh, kw) = [(1, 1), (3, 3), (3, 1), (2, 2), (5, 1), (1, 3)][r.below_usize(6)];
    let pad = |r: &mut Rng| [r.below_usize(3), r.below_usize(3)];
    let g = Geometry {
        kh,
        kw,
        pad_before: pad(r),
        pad_after: pad(r),
        stride: [1 + r.below_usize(2), 1 + r.below_usize(2)],
        dilation: [1 + r.below_usize(2), 1 + r.below_usize(2)],
    };
    let (b, c, m) = (
        1 + r.below_usize(4),
        1 + r.below_usize(9),
        1 + r.below_usize(14),
    );
    let (h, w) = (3 + r.below_usize(20), 1 + r.below_usize(20));
    let weights: Vec<i32> = (0..m * c * kh * kw)
        .map(|_| r.range_i64(-w_bound, w_bound) as i32)
        .collect();
    let x = Array4::from_shape_fn((b, c, h, w), |_| r.range_i64(-x_bound, x_bound));
    (weights, m, g, x)
}

#[test]
fn every_path_equals_a_naive_correlation() {
    let mut r = Rng::new(0x9e37_79b9_7f4a_7c15);
    for case in 0..300 {
        // 1-, 2-, 4- and 8-bit weights, int8 data; now and then wider operands.
        let w_bound = [1, 2, 8, 128, 2047][case % 5];
        let x_bound = if case % 7 == 6 { 40_000 } else { 128 };
        let (w, m, g, x) = random_case(&mut r, w_bound, x_bound);
        let k = x.dim().1 * g.kh * g.kw;
        let packed = PackedWeights::new(m, k, w.clone());
        let expect = naive(&w, m, &g, &x);
        for path in [Path::Avx2, Path::Portable, Path::Wide] {
            let mut scratch = Scratch::default();
            let (out, took) = correlate_on(path, &packed, &g, x.view(), 0, &mut scratch);
            let out = out.to_i64();
            assert_eq!(out, expect, "case {case}, {path:?} (ran {took:?}), {g:?}");
            if !expect.is_empty() && x.iter().any(|v| v.abs() > i64::from(i16::MAX)) {
                assert_eq!(took, Path::Wide, "case {case}");
            }
        }
    }
}

#[test]
fn sums_that_could_overflow_i32_run_wide() {
    // 600 taps of 32767 × 32767 exceed i32: the proof fails and i64 products run.
    let (m, c) = (2, 600);
    let w = vec![i16::MAX as i32; m * c];
    let x = Array4::from_elem((1, c, 1, 1), i64::from(i16::MAX));
    let g = Geometry {
        kh: 1,
        kw: 1,
        pad_before: [0, 0],
        pad_after: [0, 0],
        stride: [1, 1],
        dilation: [1, 1],
    };
    let mut scratch = Scratch::default();
    let (out, took) = correlate(&PackedWeights::new(m, c, w), &g, x.view(), 0, &mut scratch);
    assert_eq!(took, Path::Wide);
    assert_eq!(out, Accumulators::Wide(&[600 * 32767 * 32767; 2]));
}

#[test]
fn int8_layers_take_the_fast_path() {
    let mut r = Rng::new(7);
    let (w, m, g, x) = random_case(&mut r, 128, 128);
    let k = x.dim().1 * g.kh * g.kw;
    let packed = PackedWeights::new(m, k, w);
    let mut scratch = Scratch::default();
    let (_, took) = correlate(&packed, &g, x.view(), 0, &mut scratch);
    assert_eq!(took, best_path());
    assert_ne!(took, Path::Wide);
    // Headroom the sums leave no room for sends them to i64.
    let (out, took) = correlate(&packed, &g, x.view(), i32::MAX as u64 + 1, &mut scratch);
    assert_eq!(took, Path::Wide);
    assert!(matches!(out, Accumulators::Wide(_)));
}
