//! Evaluating a device's bit-exact simulator on a labelled image set: every image mapped to
//! the device's integer input (ai8x codes, GTI 5-bit codes), run through the integer engine,
//! scored on its final-layer outputs.

use super::{EvalError, EvalReport, Progress, evaluate_blocks};
use crate::data::{ImageSet, Normalization};
use crate::sim::{SimError, SimOptions, Simulator};

/// Images per call of the simulator's batch path (the blocks run on all threads). Small on
/// purpose: a block's activations (i64) stay in L2 between layers, and the weights stay in
/// cache anyway; on ai85net5, blocks of 2–4 ran fastest, 16 about 20 % slower.
pub const SIM_BLOCK: usize = 4;

/// Top-1/top-5/confusion of a prepared simulator on `set`, its images mapped by `norm`.
pub fn evaluate_simulator(
    sim: &dyn Simulator,
    set: &ImageSet,
    norm: Normalization,
    opts: SimOptions,
    progress: Progress,
) -> Result<EvalReport, EvalError<SimError>> {
    let inputs = set
        .input_codes(norm)
        .ok_or(EvalError::NoCodes(norm.name()))?;
    let predict = |block: &[ndarray::Array3<i64>]| {
        sim.scores_batch(block, opts)
            .map(|scores| scores.iter().copied().collect::<Vec<f64>>())
    };
    evaluate_blocks(
        &inputs,
        &set.labels,
        set.classes,
        SIM_BLOCK,
        predict,
        progress,
    )
}
