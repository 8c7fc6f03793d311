//! Pooling before the operator: max, or average truncated toward zero (optionally rounded
//! half away from zero in 2-D), with izer's output-size rule and no padding.

use crate::ir::{Pool, PoolKind};
use ndarray::Array3;

/// Pool `x` (`[C,H,W]`); `one_d` selects izer's 1-D rules (no rounding switch, no dilation).
pub fn pool(x: &Array3<i64>, p: &Pool, one_d: bool, rounding: bool) -> Array3<i64> {
    let (c, h, w) = x.dim();
    let (size, stride, dil) = if one_d {
        ([p.size[0], 1], [p.stride[0], 1], [1, 1])
    } else {
        (p.size, p.stride, p.dilation)
    };
    let out = |n: usize, i: usize| (n + stride[i]).saturating_sub(size[i] + dil[i] - 1) / stride[i];
    let (oh, ow) = (out(h, 0), out(w, 1));
    let count = (size[0] * size[1]) as i64;
    let round = rounding && !one_d;
    Array3::from_shape_fn((c, oh, ow), |(ch, i, j)| {
        let taps = (0..size[0]).flat_map(|u| (0..size[1]).map(move |v| (u, v)));
        let at = |(u, v): (usize, usize)| {
            x[[ch, i * stride[0] + u * dil[0], j * stride[1] + v * dil[1]]]
        };
        match p.kind {
            PoolKind::Max => taps.map(at).max().unwrap_or(0),
            PoolKind::Avg => {
                let s: i64 = taps.map(at).sum();
                let mean = if round {
                    s.signum() * ((2 * s.abs() + count) / (2 * count))
                } else {
                    s.signum() * (s.abs() / count)
                };
                mean.clamp(-128, 127)
            }
        }
    })
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
