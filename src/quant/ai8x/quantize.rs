//! Conversion of float parameters into MAX78000 integers (ai8x-synthesis `quantize.py`,
//! `checkpoint.md` §5), layer by layer.
//!
//! Each method picks a clipping magnitude `T` for the layer; the weight-scale exponent is
//! `e = clamp(floor(log2(1/T)), −7−b, 23−b)`, the factor `2^(b−1)·2^e`, and
//!
//! ```text
//! Wq = clamp(floor(W·factor + ½), −2^(b−1), 2^(b−1)−1)
//! βq = clamp(floor(B·factor + ½), −2^(b−1), 2^(b−1)−1)   stored as βq·2^(b−1)
//! output_shift = −e
//! ```
//!
//! With the default method (`T` = max, or the `shift_quantile`, of `|W ∪ B|`, like
//! `torch.quantile`) this is `quantize.py`'s `MAX_BIT_SHIFT` to the bit, and what QAT trained
//! (`fake.rs`). The clip methods only choose a smaller `T` (`avg`, `avgmax`, `stddev`) or a
//! given one (`scale`: `T = 1/S`); unlike `quantize.py`, whose clip modes multiply the weights
//! by a non-power-of-two factor and leave the output shift at 0 (so each layer's gain is off
//! by that factor), qtool keeps the factor a power of two and writes the matching output shift,
//! which the device can undo exactly. Must not read or write files.

use crate::ir::WeightBits;
use crate::quant::ClipMethod;
use ndarray::{Array1, ArrayD, Axis};

/// One layer's integers and how they were obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedParams {
    /// Integer weights `Wq`, same shape as the float weights.
    pub weights: ArrayD<f32>,
    /// The bias as a checkpoint stores it: `βq·2^(b−1)`.
    pub bias: Option<Array1<f32>>,
    pub bits: WeightBits,
    /// `max |W ∪ B|`.
    pub max_abs: f32,
    /// The clipping magnitude `T`.
    pub clip: f32,
    /// `2^(b−1)·2^e`.
    pub factor: f32,
    /// `−e`.
    pub output_shift: i32,
    /// Weights and biases that hit the integer range.
    pub saturated: usize,
}

/// `torch.quantile(values, q)` with linear interpolation (quantize.py's shift statistic).
pub fn torch_quantile(mut values: Vec<f32>, q: f32) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f32::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (values.len() - 1) as f32;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(values.len() - 1);
    values[lo] + (pos - lo as f32) * (values[hi] - values[lo])
}

fn mean(v: impl Iterator<Item = f32>) -> f32 {
    let (sum, n) = v.fold((0.0f64, 0usize), |(s, n), x| (s + f64::from(x), n + 1));
    (sum / n.max(1) as f64) as f32
}

/// Per output channel (first axis) minimum and maximum.
fn channel_extremes(w: &ArrayD<f32>) -> Vec<(f32, f32)> {
    w.axis_iter(Axis(0))
        .map(|row| {
            row.iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                })
        })
        .collect()
}

/// The clipping magnitude `T` of `method` for weights `w` and bias `b`.
pub fn clip_magnitude(
    method: ClipMethod,
    w: &ArrayD<f32>,
    b: Option<&Array1<f32>>,
    shift_quantile: f32,
) -> f32 {
    match method {
        ClipMethod::MaxBitShift => {
            let all = w.iter().chain(b.into_iter().flatten()).map(|v| v.abs());
            torch_quantile(all.collect(), shift_quantile)
        }
        ClipMethod::Scale(s) => 1.0 / s,
        ClipMethod::Avg => mean(channel_extremes(w).iter().map(|(lo, hi)| lo.abs().max(*hi))),
        ClipMethod::AvgMax => {
            let ext = channel_extremes(w);
            let lo = mean(ext.iter().map(|e| e.0));
            let hi = mean(ext.iter().map(|e| e.1));
            lo.abs().max(hi.abs())
        }
        ClipMethod::StdDev(n) => {
            let mu = mean(w.iter().copied());
            let count = w.len();
            let var = w.iter().map(|&v| f64::from(v - mu).powi(2)).sum::<f64>()
                / (count.saturating_sub(1).max(1)) as f64;
            let sd = var.sqrt() as f32;
            let min = w.iter().copied().fold(f32::INFINITY, f32::min);
            let max = w.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            (min.max(mu - n * sd))
                .abs()
                .max((max.min(mu + n * sd)).abs())
        }
    }
}

/// `clamp(floor(log2(1/m)), lo, hi)` in f32, as ai8x computes it: the power of two that scales
/// a magnitude `m` into `(1/2, 1]`. `m = 0` (or NaN) gives `hi`.
pub fn clamped_exponent(m: f32, lo: i32, hi: i32) -> i32 {
    let e = (1.0f32 / m).log2().floor();
    if e.is_nan() {
        return hi;
    }
    e.clamp(lo as f32, hi as f32) as i32
}

/// The weight-scale exponent `e = clamp(floor(log2(1/T)), −7−b, 23−b)` (`T = 0` gives the
/// largest).
pub fn scale_exponent(clip: f32, bits: WeightBits) -> i32 {
    let b = i32::from(bits.bits());
    clamped_exponent(clip, -7 - b, 23 - b)
}

/// Quantize one layer's float weights and bias to `bits`.
pub fn quantize_params(
    w: &ArrayD<f32>,
    b: Option<&Array1<f32>>,
    bits: WeightBits,
    method: ClipMethod,
    shift_quantile: f32,
) -> QuantizedParams {
    let clip = clip_magnitude(method, w, b, shift_quantile);
    let e = scale_exponent(clip, bits);
    let half = (1u32 << (bits.bits() - 1)) as f32;
    let factor = half * 2f32.powi(e);
    let (lo, hi) = bits.range();
    let (lo, hi) = (lo as f32, hi as f32);
    let mut saturated = 0;
    let mut q = |v: f32| {
        let r = (v * factor + 0.5).floor();
        if r < lo || r > hi {
            saturated += 1;
        }
        r.clamp(lo, hi)
    };
    let weights = w.mapv(&mut q);
    let bias = b.map(|b| b.mapv(|v| q(v) * half));
    let max_abs = w
        .iter()
        .chain(b.into_iter().flatten())
        .fold(0.0f32, |m, v| m.max(v.abs()));
    QuantizedParams {
        weights,
        bias,
        bits,
        max_abs,
        clip,
        factor,
        output_shift: -e,
        saturated,
    }
}

/// Quantize one layer to binary ±1 weights: the shift and the bias are those of 1-bit weights
/// (the same scale exponent), each weight becomes its sign (0 counts as +1), and only the bias
/// can saturate.
pub fn binary_params(
    w: &ArrayD<f32>,
    b: Option<&Array1<f32>>,
    method: ClipMethod,
    shift_quantile: f32,
) -> QuantizedParams {
    let one_bit = quantize_params(w, b, WeightBits::B1, method, shift_quantile);
    let factor = one_bit.factor;
    let weight_saturated = w
        .iter()
        .filter(|v| !(-1.0..=0.0).contains(&(*v * factor + 0.5).floor()))
        .count();
    QuantizedParams {
        weights: w.mapv(|v| if v >= 0.0 { 1.0 } else { -1.0 }),
        saturated: one_bit.saturated - weight_saturated,
        ..one_bit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{IxDyn, array};

    fn w(v: &[f32], shape: &[usize]) -> ArrayD<f32> {
        ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap()
    }

    #[test]
    fn binary_weights_are_signs_with_the_one_bit_shift() {
        // max|P| = 0.3 → e = 1 for 1 bit: factor 2, output shift −1; signs [+1, −1]; the bias
        // rhu(0.05·2) = 0. 0.3·2 would saturate 1-bit weights but is no saturation here.
        let weights = w(&[0.3, -0.1234, 0.0], &[3, 1]);
        let bias = array![0.05f32, -0.05, 0.2];
        let q = binary_params(&weights, Some(&bias), ClipMethod::MaxBitShift, 1.0);
        assert_eq!(
            q.weights.iter().copied().collect::<Vec<_>>(),
            [1.0, -1.0, 1.0]
        );
        assert_eq!(q.bias.unwrap().to_vec(), [0.0, 0.0, 0.0]);
        assert_eq!((q.factor, q.output_shift, q.saturated), (2.0, -1, 0));
        assert_eq!(q.bits, WeightBits::B1);
    }

    #[test]
    fn kws20_worked_example_of_the_spec() {
        // checkpoint.md §5: max|P| ≈ 1.0 < 2, b = 8 → factor 64, output_shift 1; these four
        // weights and two biases match the shipped -q file.
        let weights = w(
            &[0.12207558, 0.08290422, -0.02335924, -0.17203002, 1.0001],
            &[5, 1],
        );
        let bias = array![-0.0088009f32, -0.0753487];
        let q = quantize_params(
            &weights,
            Some(&bias),
            WeightBits::B8,
            ClipMethod::MaxBitShift,
            1.0,
        );
        assert_eq!(q.factor, 64.0);
        assert_eq!(q.output_shift, 1);
        assert_eq!(
            q.weights.iter().take(4).copied().collect::<Vec<_>>(),
            [8.0, 5.0, -1.0, -11.0]
        );
        assert_eq!(q.bias.unwrap().to_vec(), [-128.0, -640.0]);
    }

    #[test]
    fn narrow_widths_clamp_weights_and_bias_to_the_weight_range() {
        // qat.md §8.2: W = [0.3, −0.1234], B = 0.05 → L = 0.3, e = 1, output_shift −1 at every
        // width; (bits, Wq, stored bias βq·2^(b−1)): 2-bit W·4 = [1.2, −0.49] → [1, 0], β 0;
        // 8-bit [77, −32], β 13 stored as 13·128; 4-bit [5, −2], β 1 stored as 8.
        for (bits, wq, bias) in [
            (WeightBits::B2, [1.0, 0.0], 0.0),
            (WeightBits::B8, [77.0, -32.0], 13.0 * 128.0),
            (WeightBits::B4, [5.0, -2.0], 8.0),
        ] {
            let q = quantize_params(
                &w(&[0.3, -0.1234], &[1, 2]),
                Some(&array![0.05f32]),
                bits,
                ClipMethod::MaxBitShift,
                1.0,
            );
            assert_eq!(q.weights.iter().copied().collect::<Vec<_>>(), wq, "{bits}");
            assert_eq!(q.output_shift, -1, "{bits}");
            assert_eq!(q.bias.unwrap().to_vec(), [bias], "{bits}");
        }
    }

    #[test]
    fn shift_ranges_follow_the_width() {
        // README table: 8-bit [−15, 15], 4-bit [−19, 11], 2-bit [−21, 9], 1-bit [−22, 8].
        for (bits, lo, hi) in [
            (WeightBits::B8, -15, 15),
            (WeightBits::B4, -19, 11),
            (WeightBits::B2, -21, 9),
            (WeightBits::B1, -22, 8),
        ] {
            assert_eq!(-scale_exponent(1e-30, bits), lo);
            assert_eq!(-scale_exponent(1e30, bits), hi);
            assert_eq!(-scale_exponent(0.0, bits), lo);
        }
    }

    #[test]
    fn clip_methods() {
        let weights = w(&[-0.5, 0.25, -0.1, 0.1, 0.2, -0.3], &[2, 3]);
        assert_eq!(
            clip_magnitude(ClipMethod::MaxBitShift, &weights, None, 1.0),
            0.5
        );
        assert_eq!(
            clip_magnitude(ClipMethod::Scale(0.5), &weights, None, 1.0),
            2.0
        );
        // rows: (−0.5, 0.25) and (−0.3, 0.2).
        assert!((clip_magnitude(ClipMethod::Avg, &weights, None, 1.0) - 0.4).abs() < 1e-6);
        assert!((clip_magnitude(ClipMethod::AvgMax, &weights, None, 1.0) - 0.4).abs() < 1e-6);
        let sd = clip_magnitude(ClipMethod::StdDev(1.0), &weights, None, 1.0);
        assert!(sd > 0.2 && sd < 0.5, "{sd}");
        // A clip below the maximum saturates the largest weight.
        let q = quantize_params(&weights, None, WeightBits::B8, ClipMethod::Scale(4.0), 1.0);
        assert_eq!(q.factor, 512.0);
        assert_eq!(q.saturated, 3);
    }

    #[test]
    fn torch_quantile_interpolates_linearly() {
        assert_eq!(torch_quantile(vec![4.0, 1.0, 2.0, 3.0], 1.0), 4.0);
        assert!((torch_quantile(vec![1.0, 2.0, 3.0, 4.0], 0.5) - 2.5).abs() < 1e-6);
        assert_eq!(torch_quantile(vec![], 0.5), 0.0);
    }
}
