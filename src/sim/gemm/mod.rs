//! The integer correlation engine every device's simulator shares: a batch of `[C,H,W]`
//! integer images correlated with integer weights (Conv1d/Conv2d as `kh × kw`, Linear as
//! `1 × 1`, transposed convolutions after zero-stuffing), giving exact i64 accumulators
//! without bias.
//!
//! Owns the packing (weights once per layer, input patches in panels of [`NR`] output
//! positions across the whole batch), the overflow proof that lets products run as
//! i16 × i16 → i32, and the choice of micro-kernel ([`kernel`]: AVX2 when the CPU has it,
//! portable otherwise, the same bits). Must not know any device: shifts, rounding,
//! saturation, activations and pooling are the caller's.

mod kernel;
mod pack;
#[cfg(test)]
mod tests;

pub use pack::PackedWeights;

use ndarray::ArrayView4;

/// Output rows (channels) per micro-tile.
pub const MR: usize = 6;
/// Output positions per micro-tile (two AVX2 vectors of eight i32).
pub const NR: usize = 16;

/// Geometry of one correlation: kernel size, zero padding per side, stride and dilation
/// (`[rows, columns]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub kh: usize,
    pub kw: usize,
    /// Zero rows/columns before the data: `[top, left]`.
    pub pad_before: [usize; 2],
    /// Zero rows/columns after the data: `[bottom, right]`.
    pub pad_after: [usize; 2],
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
}

impl Geometry {
    /// Output height and width for an `h × w` input (0 when the kernel does not fit).
    pub fn out_hw(&self, h: usize, w: usize) -> (usize, usize) {
        let span = |n: usize, k: usize, d: usize, s: usize| {
            n.checked_sub(d * (k - 1) + 1).map_or(0, |r| r / s + 1)
        };
        (
            span(
                h + self.pad_before[0] + self.pad_after[0],
                self.kh,
                self.dilation[0],
                self.stride[0],
            ),
            span(
                w + self.pad_before[1] + self.pad_after[1],
                self.kw,
                self.dilation[1],
                self.stride[1],
            ),
        )
    }
}

/// Which arithmetic ran a call (for tests and benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// i16 × i16 → i32 through AVX2 `vpmaddwd`.
    Avx2,
    /// i16 × i16 → i32 in portable code (same bits as AVX2).
    Portable,
    /// i64 products: an operand is outside i16 or an i32 accumulator could overflow.
    Wide,
}

/// Whether this CPU has AVX2 (detected once, at run time).
pub fn has_avx2() -> bool {
    kernel::has_avx2()
}

/// Defines a function whose body is compiled twice, for the baseline CPU and with AVX2
/// enabled, and runs the AVX2 build when the CPU has it: the same source, the same bits,
/// wider vectors for the loops the compiler vectorizes. (No generics; arguments by name.)
macro_rules! avx2_dispatch {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if $crate::sim::gemm::has_avx2() {
                    // SAFETY: the CPU supports AVX2 (checked at run time).
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use avx2_dispatch;

/// The micro-kernel the CPU supports (AVX2 when detected at run time).
pub fn best_path() -> Path {
    if kernel::has_avx2() {
        Path::Avx2
    } else {
        Path::Portable
    }
}

/// Buffers one thread reuses from call to call (padded input, packed panel, sums), so that
/// a batch allocates nothing once the buffers have grown to the network's largest layer.
#[derive(Debug, Default)]
pub struct Scratch {
    narrow: Vec<i16>,
    wide: Vec<i64>,
    panel: Vec<i16>,
    sums32: Vec<i32>,
    sums64: Vec<i64>,
}

/// Exact sums of products, `[B,O,Ho,Wo]` row-major, in the caller's [`Scratch`]: i32 when
/// the fast path ran (its proof covers the caller's headroom too), i64 otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accumulators<'s> {
    Narrow(&'s [i32]),
    Wide(&'s [i64]),
}

impl Accumulators<'_> {
    /// Every sum as i64.
    pub fn to_i64(&self) -> Vec<i64> {
        match self {
            Accumulators::Narrow(v) => v.iter().map(|s| i64::from(*s)).collect(),
            Accumulators::Wide(v) => v.to_vec(),
        }
    }
}

/// `acc[b][o][i][j] = Σ_c Σ_u Σ_v w[o][c][u][v] · xpad[b][c][i·S + u·D][j·S + v·D]` for every
/// image `b` of `x` (`[B,C,H,W]`), and the path taken.
///
/// Runs on the fastest exact path: i32 accumulation only when every operand fits i16 and
/// `max_o Σ|w[o]| · max|x| + headroom ≤ i32::MAX`, so that no partial sum overflows and the
/// caller may add up to `headroom` (a bias, a rounding constant) in i32; otherwise i64.
pub fn correlate<'s>(
    w: &PackedWeights,
    g: &Geometry,
    x: ArrayView4<i64>,
    headroom: u64,
    scratch: &'s mut Scratch,
) -> (Accumulators<'s>, Path) {
    correlate_on(best_path(), w, g, x, headroom, scratch)
}

/// [`correlate`] on a given path (`Wide` forces i64; a fast path the data does not allow
/// falls back to `Wide`; `Avx2` on a CPU without it runs the portable kernel).
pub fn correlate_on<'s>(
    path: Path,
    w: &PackedWeights,
    g: &Geometry,
    x: ArrayView4<i64>,
    headroom: u64,
    scratch: &'s mut Scratch,
) -> (Accumulators<'s>, Path) {
    let (b, c, h, wd) = x.dim();
    assert_eq!(
        c * g.kh * g.kw,
        w.k(),
        "input channels × kernel taps = weight row length"
    );
    let (ho, wo) = g.out_hw(h, wd);
    let len = b * w.m() * ho * wo;
    let Scratch {
        narrow,
        wide,
        panel,
        sums32,
        sums64,
    } = scratch;
    if len == 0 {
        sums32.clear();
        let sums: &'s Vec<i32> = sums32;
        return (Accumulators::Narrow(sums), path);
    }
    let padded = pack::Padded::new(x, g, narrow, wide);
    let bound = i128::from(w.max_row_abs()) * i128::from(padded.max_abs()) + i128::from(headroom);
    let fits =
        path != Path::Wide && padded.fits_i16() && w.fits_i16() && bound <= i128::from(i32::MAX);
    if !fits {
        sums64.clear();
        sums64.resize(len, 0);
        pack::wide(w, g, &padded, (ho, wo), sums64);
        let sums: &'s Vec<i64> = sums64;
        return (Accumulators::Wide(sums), Path::Wide);
    }
    let path = if path == Path::Avx2 && kernel::has_avx2() {
        Path::Avx2
    } else {
        Path::Portable
    };
    sums32.clear();
    sums32.resize(len, 0);
    pack::fast(path, w, g, &padded, (ho, wo), panel, sums32);
    let sums: &'s Vec<i32> = sums32;
    (Accumulators::Narrow(sums), path)
}
