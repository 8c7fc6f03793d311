//! Bit-exact integer simulation of the MAX78000 CNN accelerator over the IR (this device's
//! [`crate::sim::Simulator`]).
//!
//! Owns the arithmetic of `../shared/specs/max78000/arithmetic.md`: what every layer computes
//! from int8 data, integer weights and biases. Memory layout (where values live in SRAM, the
//! known-answer words) belongs to the rest of `device::ai8x`; this module must not know addresses.

mod batch;
#[cfg(test)]
mod batch_tests;
mod conv;
mod eltwise;
mod engine;
#[cfg(test)]
mod feature_tests;
mod layer;
mod log;
mod pool;
mod prepare;
mod requant;
mod steps;

pub use crate::sim::{LayerTrace, SimError, SimOptions, SimResult, Simulator};
pub use engine::Prepared;
pub use log::write_intermediate;

use crate::ir::Graph;
use ndarray::{Array3, ArrayD, Ix3};

/// Bring a sample input (`[C,H,W]` or `[C,L]`) to `[C,H,W]`, checking the int8 range.
pub fn input_tensor(sample: &ArrayD<i64>) -> Result<Array3<i64>, SimError> {
    let s = sample.shape().to_vec();
    let t = match s.len() {
        2 => sample
            .clone()
            .into_shape_with_order((s[0], s[1], 1))
            .map_err(|e| SimError::Input(e.to_string()))?,
        3 => sample
            .clone()
            .into_dimensionality::<Ix3>()
            .map_err(|e| SimError::Input(e.to_string()))?,
        _ => {
            return Err(SimError::Input(format!(
                "sample input has shape {s:?}; expected [C,H,W] or [C,L]"
            )));
        }
    };
    if let Some(v) = t.iter().find(|v| !(-128..=127).contains(*v)) {
        return Err(SimError::Input(format!(
            "sample input value {v} is outside the signed 8-bit range [-128, 127]"
        )));
    }
    Ok(t)
}

/// Simulate `graph` on one input tensor `[C,H,W]`.
pub fn simulate(
    graph: &Graph,
    input: &Array3<i64>,
    opts: SimOptions,
) -> Result<SimResult, SimError> {
    Prepared::new(graph)?.run(input, opts, false)
}
