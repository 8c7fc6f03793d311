//! The float counterpart of a quantized MAX78000 graph: its integer weights and stored biases
//! scaled back to the float range ai8x-training computes in, so that a plain float model (no
//! fake quantization) computes what simulate mode ([`super::setup::simulate`]) computes, minus
//! its rounding, flooring and saturation (`qtool analyze --compare-sim` compares the two).
//!
//! Simulate mode runs on the device's integers: data `x = 128·x_f`, weights `Wq·2^(8−b)`, bias
//! `β·128·2^(8−b)`, so its accumulator is `128·2^(8−b)·(Σ Wq·x_f + β)`; an 8-bit output is
//! `act(acc·2^σ)/128` (rounded, saturated), i.e. `128·act(2^(σ+8−b−7)·(Σ Wq·x_f + β))`. A float
//! layer with weights `Wq·2^(σ+8−b−7)` and bias `β·2^(σ+8−b−7)` on `x_f` therefore gives that
//! output divided by 128, and its training clamp `[−1, 127/128]` is the device's saturation. A
//! 32-bit output has no output shift (ai8x applies none), so its factor is `2^(8−b−7)`.
//!
//! Owns only this factor and its application to a copy of the graph; widths and shifts stay
//! recorded in the nodes. Must not change the graph it is given.

use crate::device::ai8x::implicit_shift;
use crate::device::ai8x::training::{is_device_node, is_wide};
use crate::ir::{Graph, WeightBits};

/// The factor on a layer's integer weights and stored bias that gives its float parameters:
/// `2^(σ + 8 − b − 7)` for 8-bit outputs, `2^(8 − b − 7)` for 32-bit ones.
pub fn float_factor(bits: WeightBits, output_shift: i32, wide: bool) -> f32 {
    let shift = if wide { 0 } else { output_shift };
    2f32.powi(shift + implicit_shift(bits) - 7)
}

/// A copy of quantized `graph` whose MAX78000 layers carry float parameters (see the module
/// documentation); other nodes are copied unchanged.
pub fn dequantize(graph: &Graph) -> Graph {
    let mut out = graph.clone();
    for node in out.nodes.iter_mut().filter(|n| is_device_node(n)) {
        let k = float_factor(
            node.quant.weight_bits.unwrap_or(WeightBits::B8),
            node.quant.output_shift.unwrap_or(0),
            is_wide(node),
        );
        if let Some(w) = node.weights.as_mut() {
            w.mapv_inplace(|v| v * k);
        }
        if let Some(b) = node.bias.as_mut() {
            b.mapv_inplace(|v| v * k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_fold_the_output_shift_into_narrow_layers_only() {
        assert_eq!(float_factor(WeightBits::B8, 0, false), 1.0 / 128.0);
        assert_eq!(float_factor(WeightBits::B8, 2, false), 1.0 / 32.0);
        assert_eq!(float_factor(WeightBits::B2, -1, false), 1.0 / 4.0);
        assert_eq!(float_factor(WeightBits::B8, 3, true), 1.0 / 128.0);
        assert_eq!(float_factor(WeightBits::B4, 3, true), 1.0 / 8.0);
    }
}
