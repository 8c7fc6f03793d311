//! The simulator seam: what a device's bit-exact integer engine offers to the jobs (`qtool sim`,
//! `sim --evaluate`, the known-answer step of `convert`).
//!
//! Owns the device-neutral vocabulary — one input in, every layer's integer output out
//! ([`SimResult`]), optional per-layer intermediate data ([`LayerTrace`]), the switches that
//! change simulated numbers ([`SimOptions`]) and the [`Simulator`] trait. Each device's engine
//! lives under its own folder (MAX78000: `crate::device::ai8x::sim`) and is reached
//! through [`crate::device::Target::simulator`]. The integer correlation engine the devices
//! share (packing, overflow proof, SIMD micro-kernels) is [`gemm`]. Must not hold any device's
//! arithmetic (shifts, rounding, saturation, layer order).

mod error;
pub mod gemm;

pub use error::SimError;

use ndarray::{Array2, Array3};

/// Switches that change the simulated numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimOptions {
    /// Round 2-D average pooling half away from zero instead of truncating toward zero
    /// (izer's `--avg-pool-rounding`; its simulation rounds half away from zero although its
    /// documentation says half toward +∞ — we match the simulation). Devices without the
    /// choice ignore it.
    pub avg_pool_rounding: bool,
}

/// Intermediate data of one layer (what izer's `--log-intermediate` records).
#[derive(Debug, Clone)]
pub struct LayerTrace {
    /// Gathered input (all operands).
    pub input: Array3<i64>,
    /// After pooling (and pool-first element-wise), if the layer pools.
    pub pooled: Option<Array3<i64>>,
    /// What the operator reads, before flattening.
    pub op_input: Array3<i64>,
    /// Accumulator including bias, for layers with weights.
    pub acc: Option<Array3<i64>>,
    pub output: Array3<i64>,
}

/// Result of simulating one input.
#[derive(Debug, Clone)]
pub struct SimResult {
    /// Output of every layer as `[C, H, W]` (one-dimensional data as `[C, L, 1]`).
    pub outputs: Vec<Array3<i64>>,
    /// Per-layer intermediate data, when asked for.
    pub traces: Vec<LayerTrace>,
}

/// A network prepared for bit-exact simulation on one device. Implementations are pure
/// functions of their inputs (evaluation runs images on several threads at once).
pub trait Simulator: Send + Sync {
    /// Run every layer on `input` (`[C,H,W]`, the device's integer data); keep per-layer
    /// traces if `trace`.
    fn run(
        &self,
        input: &Array3<i64>,
        opts: SimOptions,
        trace: bool,
    ) -> Result<SimResult, SimError>;

    /// The final layer's output only (for dataset evaluation).
    fn classify(&self, input: &Array3<i64>, opts: SimOptions) -> Result<Array3<i64>, SimError> {
        let mut r = self.run(input, opts, false)?;
        r.outputs
            .pop()
            .ok_or_else(|| SimError::Input("the network has no layers".into()))
    }

    /// The final layer's output for each of `inputs` (all of one shape), one row per input
    /// (`[C,H,W]` flattened). Engines that batch override it; row `i` equals
    /// [`Simulator::classify`] of input `i`.
    fn classify_batch(
        &self,
        inputs: &[Array3<i64>],
        opts: SimOptions,
    ) -> Result<Array2<i64>, SimError> {
        let outs = inputs
            .iter()
            .map(|x| self.classify(x, opts))
            .collect::<Result<Vec<_>, _>>()?;
        let width = outs.first().map_or(0, |o| o.len());
        let flat: Vec<i64> = outs.iter().flat_map(|o| o.iter().copied()).collect();
        Array2::from_shape_vec((outs.len(), width), flat)
            .map_err(|_| SimError::Input("outputs of different sizes in one batch".into()))
    }

    /// Class scores of each of `inputs`, one row per input: the final output as f64 (exact
    /// for integer outputs). Devices whose last layers run on a host in float (GTI's FC
    /// layers after the chip) override it; dataset evaluation ranks these.
    fn scores_batch(
        &self,
        inputs: &[Array3<i64>],
        opts: SimOptions,
    ) -> Result<Array2<f64>, SimError> {
        Ok(self.classify_batch(inputs, opts)?.mapv(|v| v as f64))
    }
}
