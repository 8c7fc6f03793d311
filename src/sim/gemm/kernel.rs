//! Micro-kernels: one tile of [`MR`] output rows × [`NR`] positions, `Σ_pairs` of
//! `w_even·x_even + w_odd·x_odd` in i32. The AVX2 kernel uses `vpmaddwd` (sixteen products
//! per instruction, pairs summed in i32), the portable one plain integer code; integer sums
//! in any order give the same bits, as long as nothing overflows (the caller's proof).

use super::{MR, NR, Path};

/// Whether this CPU runs the AVX2 kernel (detected once, at run time).
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `c[r][j] = Σ_p lo(a[p][r])·b[p][j][0] + hi(a[p][r])·b[p][j][1]`, overwriting `c`.
pub fn tile(path: Path, pairs: usize, a: &[i32], b: &[i16], c: &mut [[i32; NR]; MR]) {
    assert!(a.len() >= pairs * MR && b.len() >= pairs * NR * 2);
    #[cfg(target_arch = "x86_64")]
    if path == Path::Avx2 && has_avx2() {
        // SAFETY: AVX2 is present (checked above) and the slices hold `pairs` full pairs.
        unsafe { avx2::tile(pairs, a, b, c) };
        return;
    }
    let _ = path;
    portable(pairs, a, b, c);
}

fn portable(pairs: usize, a: &[i32], b: &[i16], c: &mut [[i32; NR]; MR]) {
    *c = [[0; NR]; MR];
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR * 2)).take(pairs) {
        for (row, &word) in c.iter_mut().zip(ap) {
            let (lo, hi) = (i32::from(word as i16), i32::from((word >> 16) as i16));
            for (acc, x) in row.iter_mut().zip(bp.chunks_exact(2)) {
                *acc += lo * i32::from(x[0]) + hi * i32::from(x[1]);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{MR, NR};
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_set1_epi32,
        _mm256_setzero_si256, _mm256_storeu_si256,
    };

    /// # Safety
    /// The CPU must support AVX2; `a` holds `pairs·MR` words and `b` `pairs·NR·2` values.
    #[target_feature(enable = "avx2")]
    pub unsafe fn tile(pairs: usize, a: &[i32], b: &[i16], c: &mut [[i32; NR]; MR]) {
        let mut acc = [[_mm256_setzero_si256(); 2]; MR];
        for p in 0..pairs {
            // SAFETY: p < pairs, so both vectors lie inside `b` (checked by the caller).
            let (b0, b1) = unsafe {
                let bp = b.as_ptr().add(p * NR * 2).cast::<__m256i>();
                (_mm256_loadu_si256(bp), _mm256_loadu_si256(bp.add(1)))
            };
            let words = &a[p * MR..(p + 1) * MR];
            for (row, &word) in acc.iter_mut().zip(words) {
                let w = _mm256_set1_epi32(word);
                row[0] = _mm256_add_epi32(row[0], _mm256_madd_epi16(w, b0));
                row[1] = _mm256_add_epi32(row[1], _mm256_madd_epi16(w, b1));
            }
        }
        for (out, row) in c.iter_mut().zip(&acc) {
            // SAFETY: each output row holds NR = 16 i32, two vectors.
            unsafe {
                let p = out.as_mut_ptr().cast::<__m256i>();
                _mm256_storeu_si256(p, row[0]);
                _mm256_storeu_si256(p.add(1), row[1]);
            }
        }
    }
}
