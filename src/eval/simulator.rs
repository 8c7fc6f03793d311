//! Evaluating the bit-exact MAX78000 simulator on a labelled image set: every image mapped
//! to the hardware input range as ai8x-training evaluates, run through the integer engine,
//! scored on its final-layer outputs.

use super::{EvalError, EvalReport, Progress, evaluate};
use crate::data::ImageSet;
use crate::ir::Graph;
use crate::sim::{Prepared, SimError, SimOptions};

/// Top-1/top-5/confusion of `graph` (quantized, placed) on `set`.
pub fn evaluate_simulator(
    graph: &Graph,
    set: &ImageSet,
    opts: SimOptions,
    progress: Progress,
) -> Result<EvalReport, EvalError<SimError>> {
    let prepared = Prepared::new(graph).map_err(|error| EvalError::Predict { index: 0, error })?;
    let inputs = set.q7_inputs();
    let predict = |x: &ndarray::Array3<i64>| {
        prepared
            .classify(x, opts)
            .map(|out| out.iter().copied().collect::<Vec<i64>>())
    };
    evaluate(&inputs, &set.labels, set.classes, predict, progress)
}
