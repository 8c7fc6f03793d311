//! Operand layouts for the micro-kernels: weights packed once per layer as pairs of i16 in
//! one i32 word, `[row block][k pair][MR rows]`; the zero-padded input of a batch; the panel
//! of one micro-tile's input patches (`[k pair][NR positions][2]`); and the two drivers
//! (fast i32 tiles, wide i64 fallback) that walk the output positions.

use super::kernel;
use super::{Geometry, MR, NR, Path, avx2_dispatch};
use ndarray::ArrayView4;

/// A layer's integer weights `[out][in·kh·kw]`, packed for the micro-kernels.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedWeights {
    m: usize,
    k: usize,
    /// `[m.div_ceil(MR)][k.div_ceil(2)][MR]`: low half the even tap, high half the odd one;
    /// rows and taps past the end are zero.
    blocks: Vec<i32>,
    raw: Vec<i32>,
    max_row_abs: i64,
    fits_i16: bool,
}

impl PackedWeights {
    /// `w` is `[m][k]` row-major (`k` = input channels × kernel taps).
    ///
    /// # Panics
    /// If `w.len() != m·k` (a caller bug, not an input error).
    pub fn new(m: usize, k: usize, w: Vec<i32>) -> Self {
        assert_eq!(w.len(), m * k, "weights are [m][k]");
        let fits_i16 = w.iter().all(|v| v.unsigned_abs() <= i16::MAX as u32);
        let max_row_abs = w
            .chunks(k.max(1))
            .map(|r| r.iter().map(|v| i64::from(v.unsigned_abs())).sum::<i64>())
            .max()
            .unwrap_or(0);
        let pairs = k.div_ceil(2);
        let mut blocks = vec![0i32; m.div_ceil(MR) * pairs * MR];
        if fits_i16 {
            let tap = |o: usize, t: usize| {
                if o < m && t < k {
                    w[o * k + t] as i16 as u16 as u32
                } else {
                    0
                }
            };
            for (i, word) in blocks.iter_mut().enumerate() {
                let (block, p, r) = (i / (pairs * MR), (i / MR) % pairs, i % MR);
                let o = block * MR + r;
                *word = (tap(o, 2 * p) | (tap(o, 2 * p + 1) << 16)) as i32;
            }
        }
        PackedWeights {
            m,
            k,
            blocks,
            raw: w,
            max_row_abs,
            fits_i16,
        }
    }

    /// Output rows.
    pub fn m(&self) -> usize {
        self.m
    }

    /// Row length (input channels × kernel taps).
    pub fn k(&self) -> usize {
        self.k
    }

    /// The largest `Σ|w|` over the rows.
    pub fn max_row_abs(&self) -> i64 {
        self.max_row_abs
    }

    /// Whether every weight fits `[-32767, 32767]`.
    pub fn fits_i16(&self) -> bool {
        self.fits_i16
    }

    fn pairs(&self) -> usize {
        self.k.div_ceil(2)
    }

    fn block(&self, b: usize) -> &[i32] {
        let len = self.pairs() * MR;
        &self.blocks[b * len..(b + 1) * len]
    }
}

/// A batch with its zero padding, as i16 when every value fits (the fast paths) or i64,
/// in buffers the caller reuses.
pub struct Padded<'s> {
    /// `(batch, channels, padded height, padded width)`.
    dims: (usize, usize, usize, usize),
    max_abs: i64,
    data: Data<'s>,
}

enum Data<'s> {
    Narrow(&'s [i16]),
    Wide(&'s [i64]),
}

impl<'s> Padded<'s> {
    pub fn new(
        x: ArrayView4<i64>,
        g: &Geometry,
        narrow: &'s mut Vec<i16>,
        wide: &'s mut Vec<i64>,
    ) -> Self {
        let (b, c, h, w) = x.dim();
        let (hp, wp) = (
            h + g.pad_before[0] + g.pad_after[0],
            w + g.pad_before[1] + g.pad_after[1],
        );
        let src = x.as_standard_layout();
        let src = src.as_slice().unwrap_or_default();
        let max_abs = max_abs(src).min(i64::MAX as u64) as i64;
        let len = b * c * hp * wp;
        let data = if max_abs <= i64::from(i16::MAX) {
            narrow.clear();
            narrow.resize(len, 0);
            copy_rows_narrow(src, (h, w), (hp, wp), g.pad_before, narrow);
            let d: &'s Vec<i16> = narrow;
            Data::Narrow(d)
        } else {
            wide.clear();
            wide.resize(len, 0);
            copy_rows(src, (h, w), (hp, wp), g.pad_before, wide, |v| v);
            let d: &'s Vec<i64> = wide;
            Data::Wide(d)
        };
        Padded {
            dims: (b, c, hp, wp),
            max_abs,
            data,
        }
    }

    pub fn fits_i16(&self) -> bool {
        matches!(self.data, Data::Narrow(_))
    }

    pub fn max_abs(&self) -> i64 {
        self.max_abs
    }

    fn at(&self, i: usize) -> i64 {
        match self.data {
            Data::Narrow(d) => i64::from(d[i]),
            Data::Wide(d) => d[i],
        }
    }
}

avx2_dispatch! {
    /// The largest magnitude in `src`.
    fn max_abs(src: &[i64]) -> u64 {
        src.iter().fold(0u64, |m, v| m.max(v.unsigned_abs()))
    }
}

avx2_dispatch! {
    /// [`copy_rows`] into i16 (every value fits).
    fn copy_rows_narrow(
        src: &[i64],
        hw: (usize, usize),
        padded: (usize, usize),
        pad_before: [usize; 2],
        dst: &mut [i16],
    ) {
        copy_rows(src, hw, padded, pad_before, dst, |v| v as i16);
    }
}

/// Copy every `h × w` plane of `src` into the `hp × wp` planes of `dst` at `pad_before`.
#[inline(always)]
fn copy_rows<T: Copy>(
    src: &[i64],
    (h, w): (usize, usize),
    (hp, wp): (usize, usize),
    pad_before: [usize; 2],
    dst: &mut [T],
    cast: impl Fn(i64) -> T,
) {
    if h * w == 0 {
        return;
    }
    for (s, d) in src.chunks_exact(h * w).zip(dst.chunks_exact_mut(hp * wp)) {
        for (i, row) in s.chunks_exact(w).enumerate() {
            let start = (i + pad_before[0]) * wp + pad_before[1];
            for (o, v) in d[start..start + w].iter_mut().zip(row) {
                *o = cast(*v);
            }
        }
    }
}

/// Offset of every tap (channel, row, column of the kernel) from a patch's top-left corner,
/// padded with 0 to an even count (the padding tap's weight is zero).
fn tap_offsets(g: &Geometry, dims: (usize, usize, usize, usize), k: usize) -> Vec<usize> {
    let (_, _, hp, wp) = dims;
    let mut offs: Vec<usize> = (0..k)
        .map(|t| {
            let (ch, u, v) = (t / (g.kh * g.kw), (t / g.kw) % g.kh, t % g.kw);
            (ch * hp + u * g.dilation[0]) * wp + v * g.dilation[1]
        })
        .collect();
    offs.resize(k.div_ceil(2) * 2, 0);
    offs
}

/// Where output position `q` (over the whole batch) reads its patch in the padded input and
/// writes its row 0 in the output.
struct Positions {
    hw: usize,
    wo: usize,
    image_in: usize,
    image_out: usize,
    row_step: usize,
    col_step: usize,
}

impl Positions {
    fn new(
        g: &Geometry,
        dims: (usize, usize, usize, usize),
        m: usize,
        (ho, wo): (usize, usize),
    ) -> Self {
        let (_, c, hp, wp) = dims;
        Positions {
            hw: ho * wo,
            wo,
            image_in: c * hp * wp,
            image_out: m * ho * wo,
            row_step: g.stride[0] * wp,
            col_step: g.stride[1],
        }
    }

    fn input(&self, q: usize) -> usize {
        let (b, pos) = (q / self.hw, q % self.hw);
        b * self.image_in + (pos / self.wo) * self.row_step + (pos % self.wo) * self.col_step
    }

    fn output(&self, q: usize) -> usize {
        (q / self.hw) * self.image_out + q % self.hw
    }
}

avx2_dispatch! {
    /// i32 tiles of [`MR`] rows × [`NR`] positions; the caller has proven that no sum overflows.
    pub fn fast(
        path: Path,
        w: &PackedWeights,
        g: &Geometry,
        x: &Padded<'_>,
        out_hw: (usize, usize),
        panel: &mut Vec<i16>,
        out: &mut [i32],
    ) {
        let Data::Narrow(xp) = x.data else {
            unreachable!("the fast path runs on i16 data only")
        };
        let (m, pairs) = (w.m, w.pairs());
        let offs = tap_offsets(g, x.dims, w.k);
        let at = Positions::new(g, x.dims, m, out_hw);
        let n = x.dims.0 * at.hw;
        panel.clear();
        panel.resize(pairs * NR * 2, 0);
        let mut tile = [[0i32; NR]; MR];
        let (mut base, mut obase) = ([0usize; NR], [0usize; NR]);
        for n0 in (0..n).step_by(NR) {
            let valid = (n - n0).min(NR);
            for j in 0..NR {
                let q = n0 + j.min(valid - 1);
                base[j] = at.input(q);
                obase[j] = at.output(q);
            }
            pack_panel(xp, &base, &offs, panel);
            for block in 0..m.div_ceil(MR) {
                kernel::tile(path, pairs, w.block(block), panel, &mut tile);
                let rows = (m - block * MR).min(MR);
                // Positions inside one image are consecutive in the output.
                let run = obase[valid - 1] == obase[0] + valid - 1;
                for (r, acc) in tile.iter().enumerate().take(rows) {
                    let row = (block * MR + r) * at.hw;
                    if run && valid == NR {
                        // A fixed-size copy (no call into memcpy).
                        let dst: &mut [i32; NR] = (&mut out[obase[0] + row..][..NR])
                            .try_into()
                            .expect("NR values");
                        *dst = *acc;
                    } else if run {
                        out[obase[0] + row..][..valid].copy_from_slice(&acc[..valid]);
                    } else {
                        for j in 0..valid {
                            out[obase[j] + row] = acc[j];
                        }
                    }
                }
            }
        }
    }
}

/// Gather the patches of `NR` positions into `[pair][position][2]`; positions that read
/// consecutive input addresses (one output row, stride 1) are copied as runs.
#[inline(always)]
fn pack_panel(xp: &[i16], base: &[usize; NR], offs: &[usize], panel: &mut [i16]) {
    let mut runs = [(0usize, 0usize); NR];
    let (mut count, mut j) = (0, 0);
    while j < NR {
        let start = j;
        j += 1;
        while j < NR && base[j] == base[j - 1] + 1 {
            j += 1;
        }
        runs[count] = (start, j - start);
        count += 1;
    }
    for (dst, pair) in panel.chunks_exact_mut(NR * 2).zip(offs.chunks_exact(2)) {
        for &(start, len) in &runs[..count] {
            let lo = &xp[base[start] + pair[0]..][..len];
            let hi = &xp[base[start] + pair[1]..][..len];
            let d = &mut dst[2 * start..2 * (start + len)];
            for ((d, a), b) in d.chunks_exact_mut(2).zip(lo).zip(hi) {
                d[0] = *a;
                d[1] = *b;
            }
        }
    }
}

/// i64 products, one output at a time (operands beyond i16 or sums beyond i32).
pub fn wide(
    w: &PackedWeights,
    g: &Geometry,
    x: &Padded<'_>,
    out_hw: (usize, usize),
    out: &mut [i64],
) {
    let offs = tap_offsets(g, x.dims, w.k);
    let at = Positions::new(g, x.dims, w.m, out_hw);
    for q in 0..x.dims.0 * at.hw {
        let (base, obase) = (at.input(q), at.output(q));
        for (o, row) in w.raw.chunks_exact(w.k.max(1)).enumerate().take(w.m) {
            out[obase + o * at.hw] = row
                .iter()
                .zip(&offs)
                .map(|(wv, off)| i64::from(*wv) * x.at(base + off))
                .sum();
        }
    }
}
