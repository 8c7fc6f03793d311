//! Integer correlation kernels: im2col plus i16 dot products the compiler vectorizes, i32
//! multiply-accumulate (|acc| < 2^31 for every MAX78000 layer: at most 128·128·9·1024),
//! widened to i64 for the output stage.

use crate::sim::gemm::Geometry;
use ndarray::Array3;

/// Integer weights in correlation layout `[out][in][kh][kw]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel {
    pub out: usize,
    pub inp: usize,
    pub kh: usize,
    pub kw: usize,
    pub w: Vec<i32>,
}

/// Zero padding per side: `[top, left]` and `[bottom, right]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Padding {
    pub before: [usize; 2],
    pub after: [usize; 2],
}

/// `acc[o][i][j] = Σ_c Σ_u Σ_v w[o][c][u][v] · xpad[c][i·S + u·D][j·S + v·D]` (no bias).
///
/// im2col: every output position gathers its receptive field into one contiguous i16 row,
/// so each output value is a single dot product of two i16 slices, which the compiler turns
/// into packed multiply-add instructions.
pub fn correlate(
    x: &Array3<i64>,
    k: &Kernel,
    pad: Padding,
    stride: [usize; 2],
    dil: [usize; 2],
) -> Array3<i64> {
    let (c, h, w) = x.dim();
    debug_assert_eq!(c, k.inp);
    let (hp, wp) = (
        h + pad.before[0] + pad.after[0],
        w + pad.before[1] + pad.after[1],
    );
    let mut xp = vec![0i16; c * hp * wp];
    for ((ch, i, j), v) in x.indexed_iter() {
        xp[(ch * hp + i + pad.before[0]) * wp + j + pad.before[1]] = *v as i16;
    }
    let geometry = Geometry {
        kh: k.kh,
        kw: k.kw,
        pad_before: pad.before,
        pad_after: pad.after,
        stride,
        dilation: dil,
    };
    let (ho, wo) = geometry.out_hw(h, w);
    let field = c * k.kh * k.kw;
    let mut cols = vec![0i16; ho * wo * field];
    for (pos, row) in cols.chunks_mut(field.max(1)).enumerate().take(ho * wo) {
        let (i, j) = (pos / wo, pos % wo);
        let mut t = 0;
        for ch in 0..c {
            for u in 0..k.kh {
                let base = (ch * hp + i * stride[0] + u * dil[0]) * wp + j * stride[1];
                for v in 0..k.kw {
                    row[t] = xp[base + v * dil[1]];
                    t += 1;
                }
            }
        }
    }
    let weights: Vec<i16> = k.w.iter().map(|v| *v as i16).collect();
    let mut out = vec![0i64; k.out * ho * wo];
    for (pos, patch) in cols.chunks(field.max(1)).enumerate().take(ho * wo) {
        for (o, wrow) in weights.chunks(field.max(1)).enumerate().take(k.out) {
            out[o * ho * wo + pos] = i64::from(dot(wrow, patch));
        }
    }
    Array3::from_shape_vec((k.out, ho, wo), out).expect("shape matches the computed size")
}

/// i16 · i16 summed in i32 (an 8-bit layer's field is at most 9·1024 products of |v| ≤ 128).
fn dot(a: &[i16], b: &[i16]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum()
}

/// Insert `stride − 1` zeros between input samples (transposed convolution).
pub fn zero_stuff(x: &Array3<i64>, stride: [usize; 2]) -> Array3<i64> {
    let (c, h, w) = x.dim();
    let mut y = Array3::zeros((c, (h - 1) * stride[0] + 1, (w - 1) * stride[1] + 1));
    for ((ch, i, j), v) in x.indexed_iter() {
        y[[ch, i * stride[0], j * stride[1]]] = *v;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &Array3<i64>, k: &Kernel, p: usize) -> Array3<i64> {
        let (c, h, w) = x.dim();
        let (ho, wo) = (h + 2 * p - k.kh + 1, w + 2 * p - k.kw + 1);
        Array3::from_shape_fn((k.out, ho, wo), |(o, i, j)| {
            let mut s = 0i64;
            for ch in 0..c {
                for u in 0..k.kh {
                    for v in 0..k.kw {
                        let (r, q) = (i + u, j + v);
                        if r >= p && q >= p && r - p < h && q - p < w {
                            s += i64::from(k.w[((o * c + ch) * k.kh + u) * k.kw + v])
                                * x[[ch, r - p, q - p]];
                        }
                    }
                }
            }
            s
        })
    }

    #[test]
    fn matches_a_naive_correlation() {
        let x = Array3::from_shape_fn((3, 7, 6), |(c, i, j)| {
            ((c * 31 + i * 7 + j * 3) % 256) as i64 - 128
        });
        let w: Vec<i32> = (0..4 * 3 * 9).map(|i: i32| i * 37 % 255 - 127).collect();
        let k = Kernel {
            out: 4,
            inp: 3,
            kh: 3,
            kw: 3,
            w,
        };
        for p in 0..3 {
            let pad = Padding {
                before: [p, p],
                after: [p, p],
            };
            assert_eq!(
                correlate(&x, &k, pad, [1, 1], [1, 1]),
                naive(&x, &k, p),
                "pad {p}"
            );
        }
    }

    #[test]
    fn dilation_equals_a_stretched_kernel() {
        // Conv1d, k = 3, dilation 2 ≡ k = 5 with zeros between the taps.
        let x = Array3::from_shape_fn((2, 11, 1), |(c, i, _)| {
            (c as i64 * 13 + i as i64 * 7) % 41 - 20
        });
        let w: Vec<i32> = (0..3 * 2 * 3).map(|i: i32| i * 5 % 17 - 8).collect();
        let dilated = Kernel {
            out: 3,
            inp: 2,
            kh: 3,
            kw: 1,
            w: w.clone(),
        };
        let mut stretched = vec![0i32; 3 * 2 * 5];
        for (r, taps) in w.chunks(3).enumerate() {
            for (t, v) in taps.iter().enumerate() {
                stretched[r * 5 + 2 * t] = *v;
            }
        }
        let stretched = Kernel {
            out: 3,
            inp: 2,
            kh: 5,
            kw: 1,
            w: stretched,
        };
        let pad = Padding {
            before: [1, 0],
            after: [1, 0],
        };
        assert_eq!(
            correlate(&x, &dilated, pad, [1, 1], [2, 1]),
            correlate(&x, &stretched, pad, [1, 1], [1, 1])
        );
    }
}
