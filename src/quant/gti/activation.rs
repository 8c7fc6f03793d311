//! Activations on the chip (gti.md §2.5, §2.6): the capped ReLU quantized to 5 bits (31
//! codes) or 10 bits (1023), and the mapping of 8-bit image pixels to the 5-bit codes the
//! first layer reads.

use super::rounding::chip_round;

/// Largest code of a 5-bit activation.
pub const CODES_5BIT: f32 = 31.0;
/// Largest code of a 10-bit activation.
pub const CODES_10BIT: f32 = 1023.0;
/// The fused cap of a 10-bit last layer (`1023 / 32`): outputs step by 1/32.
pub const TEN_BIT_LAST_CAP: f32 = 1023.0 / 32.0;

/// `round(clip(x, 0, cap) · codes/cap) / (codes/cap)`: the quantized ReLU with cap `cap > 0`
/// and `codes` steps (31 or 1023).
pub fn quantized_relu(x: f32, cap: f32, codes: f32) -> f32 {
    let factor = codes / cap;
    chip_round(x.clamp(0.0, cap) * factor) / factor
}

/// An 8-bit pixel as the chip reads it: `x / 8` rounded half up, clipped to 31 (the data
/// pipeline's `gti` normalization, [`crate::data::normalize::gti_from_byte`]).
pub fn pixel_code(x: u8) -> u8 {
    crate::data::normalize::gti_from_byte(x) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::gti::assert_close as close;

    /// gti.md §5 vector 2.
    #[test]
    fn vector_2_image_mapping() {
        let x = [0u8, 3, 4, 11, 12, 100, 251, 252, 255];
        assert_eq!(x.map(pixel_code), [0, 0, 1, 1, 2, 13, 31, 31, 31]);
    }

    /// gti.md §5 vectors 13–16.
    #[test]
    fn vectors_13_to_16_quantized_relu() {
        let relu = |x: &[f32], cap: f32, codes: f32| -> Vec<f32> {
            x.iter().map(|v| quantized_relu(*v, cap, codes)).collect()
        };
        let out = relu(&[-1.0, 0.1, 2.9, 3.01, 5.9, 7.0], 6.0, CODES_5BIT);
        let codes = [0.0, 1.0, 15.0, 16.0, 30.0, 31.0].map(|c: f64| c * 6.0 / 31.0);
        close(&out, &codes);
        close(&out, &[0.0, 0.1935484, 2.903226, 3.096774, 5.806452, 6.0]);
        let out = relu(&[3.3, 15.49, 15.5, 31.0, 31.4], 31.0, CODES_5BIT);
        assert_eq!(out, [3.0, 15.0, 16.0, 31.0, 31.0]);
        let out = relu(
            &[-0.2, 0.0155, 1.015625, 10.03, 31.97, 40.0],
            TEN_BIT_LAST_CAP,
            CODES_10BIT,
        );
        assert_eq!(out, [0.0, 0.0, 1.03125, 10.03125, 31.96875, 31.96875]);
        let codes: Vec<f32> = out.iter().map(|v| v * 32.0).collect();
        assert_eq!(codes, [0.0, 0.0, 33.0, 321.0, 1023.0, 1023.0]);
        let out = relu(&[0.049, 0.3, 50.1, 99.99, 120.0], 100.0, CODES_10BIT);
        close(&out, &[0.0977517, 0.2932551, 50.14663, 100.0, 100.0]);
    }
}
