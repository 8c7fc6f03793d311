//! Evaluating a device's bit-exact simulator on a labelled image set: every image mapped to
//! the hardware input range as ai8x-training evaluates, run through the integer engine,
//! scored on its final-layer outputs.

use super::{EvalError, EvalReport, Progress, evaluate};
use crate::data::ImageSet;
use crate::sim::{SimError, SimOptions, Simulator};

/// Top-1/top-5/confusion of a prepared simulator on `set`.
pub fn evaluate_simulator(
    sim: &dyn Simulator,
    set: &ImageSet,
    opts: SimOptions,
    progress: Progress,
) -> Result<EvalReport, EvalError<SimError>> {
    let inputs = set.q7_inputs();
    let predict = |x: &ndarray::Array3<i64>| {
        sim.classify(x, opts)
            .map(|out| out.iter().copied().collect::<Vec<i64>>())
    };
    evaluate(&inputs, &set.labels, set.classes, predict, progress)
}
