//! GTI Lightspeeur quantization arithmetic (`../shared/specs/gti.md` §2–3): the chip's
//! rounding, the per-sub-layer shift, the weight quantizers of every coefficient mask with
//! their per-kernel statistics, bias quantization, the capped 5/10-bit ReLU, the input pixel
//! mapping, ReLU-cap calibration and the gain editing of fusion. Widths are GTI's own
//! (1, 2, 3, 5, 8, 12-bit masks; 12- to 20-bit integers), checked against the chip table of
//! `crate::device::gti`.
//!
//! Pure functions on float32 slices, as GTI's MDKs compute them, and on them the
//! fake-quantization of training and `eval --quantized` ([`fake`], [`GtiScheme`]), the
//! graph-level gain editing ([`fusion`]) and post-training quantization ([`ptq`]). Must not
//! build trainable models or write files.

pub mod activation;
pub mod calibrate;
pub mod fake;
pub mod fusion;
pub mod gain;
pub mod ptq;
pub mod rounding;
mod scheme;
pub mod tensor;
pub mod weights;

pub use activation::{CODES_5BIT, CODES_10BIT, TEN_BIT_LAST_CAP, pixel_code, quantized_relu};
pub use calibrate::{CapTracker, percentile};
pub use gain::{CapTarget, Gains, gains, host_compensation};
pub use rounding::{chip_round, on_grid, shift};
pub use scheme::{GtiScheme, shortcut_source, tie_residual_caps};
pub use weights::{CodeRounding, quantize_bias, quantize_weights};

/// Equal within 1e-5 relative (gti.md prints its numbers with more digits than f32 has).
#[cfg(test)]
pub(crate) fn assert_close(a: &[f32], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        let x = f64::from(*x);
        assert!((x - y).abs() <= 1e-5 * y.abs().max(1.0), "{a:?} vs {b:?}");
    }
}
