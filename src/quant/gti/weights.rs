//! Weight and bias quantizers per coefficient mask (gti.md §2.3, §2.4): statistics per 2-D
//! kernel (`W[o][i][:][:]`; per channel for depthwise), every value on the shift's grid.

use super::rounding::{chip_round, on_grid};
use crate::device::gti::MaskBits;

/// How the 5-bit mask turns `w / step` into a code: rounded (GTI's PyTorch MDK, the default)
/// or truncated toward zero (its TensorFlow MDK, for compatibility).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodeRounding {
    #[default]
    Round,
    Truncate,
}

/// Step used for an all-zero kernel, so that it stays finite.
const ZERO_STEP: f32 = 1e-6;

/// `w` (OIHW, `taps` values per 2-D kernel) quantized at `mask` with shift `shift`: the
/// dequantized values the chip computes with (what `filter.txt` holds).
pub fn quantize_weights(
    w: &[f32],
    taps: usize,
    mask: MaskBits,
    shift: u8,
    rounding: CodeRounding,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(w.len());
    for kernel in w.chunks(taps.max(1)) {
        quantize_kernel(kernel, mask, shift, rounding, &mut out);
    }
    out
}

fn quantize_kernel(
    k: &[f32],
    mask: MaskBits,
    shift: u8,
    rounding: CodeRounding,
    out: &mut Vec<f32>,
) {
    let signed = |w: f32, v: f32| if w >= 0.0 { v } else { -v };
    let mean = k.iter().map(|v| v.abs()).sum::<f32>() / k.len() as f32;
    match mask.bits() {
        1 => {
            let unit = on_grid(mean, shift);
            out.extend(k.iter().map(|&w| signed(w, unit)));
        }
        2 => {
            let unit = on_grid(mean, shift);
            out.extend(k.iter().map(|&w| {
                if w.abs() >= unit / 4.0 {
                    signed(w, unit)
                } else {
                    0.0
                }
            }));
        }
        3 => {
            let step = if mean == 0.0 { ZERO_STEP } else { mean } / 4.0;
            let unit = on_grid(step, shift);
            out.extend(k.iter().map(|&w| {
                let code = (w.abs() / step).trunc();
                let code = if code >= 3.0 { 4.0 } else { code };
                signed(w, code * unit)
            }));
        }
        5 => {
            let max = k.iter().fold(0f32, |m, v| m.max(v.abs()));
            let step = if max == 0.0 { ZERO_STEP } else { max } / 15.0;
            let unit = on_grid(step, shift);
            out.extend(k.iter().map(|&w| {
                let code = match rounding {
                    CodeRounding::Round => chip_round(w / step),
                    CodeRounding::Truncate => (w / step).trunc(),
                };
                code.clamp(-15.0, 15.0) * unit
            }));
        }
        _ => out.extend(k.iter().map(|&w| on_grid(w, shift))),
    }
}

/// Biases on the layer's shift grid (`round(b·2^s)/2^s`).
pub fn quantize_bias(b: &[f32], shift: u8) -> Vec<f32> {
    b.iter().map(|&v| on_grid(v, shift)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::rounding::shift;
    use super::*;
    use crate::device::gti::Chip;

    const K1: [f32; 9] = [0.30, -0.12, 0.05, -0.40, 0.00, 0.22, 0.08, -0.27, 0.61];

    fn m(bits: u8) -> MaskBits {
        MaskBits::new(bits).unwrap()
    }

    fn max_abs(v: &[f32]) -> f32 {
        v.iter().fold(0f32, |a, x| a.max(x.abs()))
    }

    /// The integers `Wq·2^s` (exact: every value is on the grid).
    fn ints(w: &[f32], s: u8) -> Vec<i32> {
        w.iter().map(|v| (v * (1u32 << s) as f32) as i32).collect()
    }

    fn quantized(chip: Chip, mask: u8, w: &[f32], b: Option<f32>) -> (u8, Vec<i32>) {
        let s = shift(chip, m(mask), max_abs(w), b).unwrap();
        let q = quantize_weights(w, 9, m(mask), s, CodeRounding::Round);
        (s, ints(&q, s))
    }

    /// gti.md §5 vectors 4–10.
    #[test]
    fn vectors_4_to_10_one_kernel() {
        let (s, q) = quantized(Chip::C5801, 1, &K1, Some(0.9));
        assert_eq!((s, q), (7, vec![29, -29, 29, -29, 29, 29, 29, -29, 29]));
        assert_eq!(ints(&quantize_bias(&[0.9], 7), 7), [115]);
        let (s, q) = quantized(Chip::C5801, 3, &K1, None);
        assert_eq!((s, q), (7, vec![28, -14, 0, -28, 0, 28, 7, -28, 28]));
        let (s, q) = quantized(Chip::C5801, 8, &K1, None);
        assert_eq!((s, q), (7, vec![38, -15, 6, -51, 0, 28, 10, -35, 78]));
        let (s, q) = quantized(Chip::C2803, 2, &K1, Some(0.9));
        assert_eq!(
            (s, q),
            (11, vec![466, -466, 0, -466, 0, 466, 466, -466, 466])
        );
        assert_eq!(ints(&quantize_bias(&[0.9], 11), 11), [1843]);
        let (s, q) = quantized(Chip::C2803, 5, &K1, None);
        let codes = [7, -3, 1, -10, 0, 5, 2, -7, 15];
        assert_eq!((s, q), (11, codes.iter().map(|c| c * 83).collect()));
        let trunc = quantize_weights(&K1, 9, m(5), 11, CodeRounding::Truncate);
        let codes = [7, -2, 1, -9, 0, 5, 1, -6, 15];
        assert_eq!(ints(&trunc, 11), codes.map(|c| c * 83));
        let (s, q) = quantized(Chip::C2803, 12, &K1, None);
        assert_eq!(
            (s, q),
            (11, vec![614, -246, 102, -819, 0, 451, 164, -553, 1249])
        );
        let (s, q) = quantized(Chip::C2801, 1, &K1, Some(0.9));
        assert_eq!((s, q[0], q[1]), (11, 466, -466));
        let (s, q) = quantized(Chip::C2801, 3, &K1, Some(0.9));
        assert_eq!(
            (s, q),
            (11, vec![468, -234, 0, -468, 0, 468, 117, -468, 468])
        );
    }

    /// gti.md §5 vector 11: statistics per 2-D kernel, a bias-limited shift.
    #[test]
    fn vector_11_per_kernel_statistics() {
        let mut w: Vec<f32> = K1.iter().map(|v| 40.0 * v).collect();
        w.extend([2.0, -2.0, 1.0, 1.0, 0.0, -1.0, 0.5, 0.5, -0.5]);
        let (s, q) = quantized(Chip::C2801, 1, &w, Some(36.0));
        assert_eq!(s, 5);
        assert_eq!(&q[..9], &[292, -292, 292, -292, 292, 292, 292, -292, 292]);
        assert_eq!(&q[9..], &[30, -30, 30, 30, 30, -30, 30, 30, -30]);
        assert_eq!(ints(&quantize_bias(&[36.0], 5), 5), [1152]);
        let (s, q) = quantized(Chip::C2801, 3, &w, Some(36.0));
        assert_eq!(s, 6);
        assert_eq!(&q[..9], &[584, -292, 0, -584, 0, 584, 146, -584, 584]);
        assert_eq!(&q[9..], &[60, -60, 60, 60, 0, -60, 30, 30, -30]);
        assert_eq!(ints(&quantize_bias(&[36.0], 6), 6), [2304]);
    }

    /// gti.md §5 vector 12: an all-zero kernel stays zero at masks 1, 3 and 5.
    #[test]
    fn vector_12_zero_kernel() {
        for mask in [1, 3, 5] {
            let q = quantize_weights(&[0.0; 9], 9, m(mask), 12, CodeRounding::Round);
            assert!(q.iter().all(|v| *v == 0.0), "mask {mask}: {q:?}");
        }
    }
}
