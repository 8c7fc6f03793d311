//! Pooling before the operator: max, or average truncated toward zero (optionally rounded
//! half away from zero in 2-D), with izer's output-size rule and no padding.

use crate::ir::{Pool, PoolKind};
use crate::sim::gemm::avx2_dispatch;
use ndarray::{Array3, ArrayView3};

/// Window size, stride and dilation: izer's 1-D rules have no dilation and a `k × 1` window.
fn window(p: &Pool, one_d: bool) -> ([usize; 2], [usize; 2], [usize; 2]) {
    if one_d {
        ([p.size[0], 1], [p.stride[0], 1], [1, 1])
    } else {
        (p.size, p.stride, p.dilation)
    }
}

/// Pooled height and width of an `h × w` frame (izer's output-size rule, no padding).
pub fn pooled_hw(h: usize, w: usize, p: &Pool, one_d: bool) -> (usize, usize) {
    let (size, stride, dil) = window(p, one_d);
    let out = |n: usize, i: usize| (n + stride[i]).saturating_sub(size[i] + dil[i] - 1) / stride[i];
    (out(h, 0), out(w, 1))
}

/// Pool `x` (`[C,H,W]`); `one_d` selects izer's 1-D rules (no rounding switch, no dilation).
pub fn pool(x: &Array3<i64>, p: &Pool, one_d: bool, rounding: bool) -> Array3<i64> {
    let (c, h, w) = x.dim();
    let (oh, ow) = pooled_hw(h, w, p, one_d);
    let mut out = vec![0i64; c * oh * ow];
    pool_into(x.view(), p, one_d, rounding, &mut out);
    Array3::from_shape_vec((c, oh, ow), out).expect("pooled shape")
}

avx2_dispatch! {
    /// [`pool`] into `out`, the pooled `[C, oh, ow]` row-major.
    pub fn pool_into(x: ArrayView3<i64>, p: &Pool, one_d: bool, rounding: bool, out: &mut [i64]) {
        let (size, stride, dil) = window(p, one_d);
        let (_, h, w) = x.dim();
        let (oh, ow) = pooled_hw(h, w, p, one_d);
        let count = (size[0] * size[1]) as i64;
        let round = rounding && !one_d;
        let xs = x.as_standard_layout();
        let xs = xs.as_slice().unwrap_or_default();
        if oh * ow == 0 || h * w == 0 {
            return;
        }
        let finish = |max: i64, sum: i64| match p.kind {
            PoolKind::Max => max,
            PoolKind::Avg => {
                let mean = if round {
                    sum.signum() * ((2 * sum.abs() + count) / (2 * count))
                } else {
                    sum.signum() * (sum.abs() / count)
                };
                mean.clamp(-128, 127)
            }
        };
        let two_by_two = size == [2, 2] && stride == [2, 2] && dil == [1, 1];
        for (plane, o) in xs.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)) {
            for (i, orow) in o.chunks_exact_mut(ow).enumerate() {
                if two_by_two {
                    // The common window: two input rows, pairs of columns.
                    let r0 = plane[2 * i * w..][..2 * ow].chunks_exact(2);
                    let r1 = plane[(2 * i + 1) * w..][..2 * ow].chunks_exact(2);
                    for ((y, a), b) in orow.iter_mut().zip(r0).zip(r1) {
                        let max = a[0].max(a[1]).max(b[0].max(b[1]));
                        *y = finish(max, a[0] + a[1] + b[0] + b[1]);
                    }
                    continue;
                }
                for (j, y) in orow.iter_mut().enumerate() {
                    let (mut max, mut sum) = (i64::MIN, 0i64);
                    for u in 0..size[0] {
                        let row = &plane[(i * stride[0] + u * dil[0]) * w + j * stride[1]..];
                        for v in 0..size[1] {
                            let t = row[v * dil[1]];
                            max = max.max(t);
                            sum += t;
                        }
                    }
                    *y = finish(max, sum);
                }
            }
        }
    }
}

/// Plain subsampling `[::s0, ::s1]` for a 1×1 "pool" with a larger stride.
pub fn subsample(x: &Array3<i64>, stride: [usize; 2]) -> Array3<i64> {
    let (c, h, w) = x.dim();
    Array3::from_shape_fn(
        (c, h.div_ceil(stride[0]), w.div_ceil(stride[1])),
        |(ch, i, j)| x[[ch, i * stride[0], j * stride[1]]],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr3;

    fn avg2() -> Pool {
        Pool {
            kind: PoolKind::Avg,
            size: [2, 2],
            stride: [2, 2],
            dilation: [1, 1],
        }
    }

    #[test]
    fn average_truncates_or_rounds_half_away() {
        let pos = arr3(&[[[1, 2], [3, 4]]]);
        let neg = arr3(&[[[-1, -2], [-3, -4]]]);
        assert_eq!(pool(&pos, &avg2(), false, false)[[0, 0, 0]], 2);
        assert_eq!(pool(&pos, &avg2(), false, true)[[0, 0, 0]], 3);
        assert_eq!(pool(&neg, &avg2(), false, false)[[0, 0, 0]], -2);
        assert_eq!(pool(&neg, &avg2(), false, true)[[0, 0, 0]], -3);
        assert_eq!(
            pool(&arr3(&[[[0, 0], [0, 3]]]), &avg2(), false, true)[[0, 0, 0]],
            1
        );
    }

    #[test]
    fn max_pool_and_size_rule() {
        let x = Array3::from_shape_fn((1, 5, 5), |(_, i, j)| (i * 5 + j) as i64);
        let p = Pool {
            kind: PoolKind::Max,
            size: [2, 2],
            stride: [2, 2],
            dilation: [1, 1],
        };
        let y = pool(&x, &p, false, false);
        assert_eq!(y.dim(), (1, 2, 2));
        assert_eq!(y[[0, 1, 1]], 18);
    }
}
