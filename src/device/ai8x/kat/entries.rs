//! Check words of the output layers: where each output value lands in data memory and with
//! which mask it is compared (spec `weights-h.md` §7.1).
//!
//! Owns the values and masks of the words; where they lie is `layout.rs`. Must not sort,
//! truncate or format: that is `render.rs`.

use super::layout::OutputLayout;
use super::{CheckWord, KatError, KatOptions};
use crate::device::ai8x::{Chip, OutputWidth, Placement, chip_of};
use crate::ir::Graph;
use ndarray::{ArrayBase, ArrayView3, Axis, Data, Dimension, Ix3};

/// Check words of every output layer (`graph.outputs`, in that order) from the simulated
/// per-layer outputs, indexed by node: `[C, H, W]`, one-dimensional data as `[C, L, 1]` or
/// `[C, L]`. Unsorted; [`super::sample_output_words`] orders them.
///
/// Neither option changes which words exist: `mlator` is ignored (see the module docs) and
/// `max_checklines` applies when the array is built.
pub fn check_words<S, D>(
    graph: &Graph,
    outputs: &[ArrayBase<S, D>],
    opts: &KatOptions,
) -> Result<Vec<CheckWord>, KatError>
where
    S: Data<Elem = i64>,
    D: Dimension,
{
    let KatOptions {
        mlator: _,
        max_checklines: _,
    } = *opts;
    let mut words = Vec::new();
    for &layer in &graph.outputs {
        let node = &graph.nodes[layer];
        let place = node
            .annex
            .get::<Placement>()
            .ok_or(KatError::NotPlaced { layer })?;
        let out = outputs.get(layer).ok_or(KatError::MissingOutput {
            layer,
            given: outputs.len(),
        })?;
        let shape = node.out_shape.as_d2();
        let (h, w) = shape.dims.hw();
        let expected = [shape.channels, h, w];
        let view = out.view().into_dyn();
        let view: Option<ArrayView3<i64>> = match view.ndim() {
            3 => view.into_dimensionality::<Ix3>().ok(),
            2 => view.insert_axis(Axis(2)).into_dimensionality::<Ix3>().ok(),
            _ => None,
        };
        let view = view
            .filter(|v| v.shape() == expected)
            .ok_or_else(|| KatError::Shape {
                layer,
                expected: expected.to_vec(),
                actual: out.shape().to_vec(),
            })?;
        layer_words(chip_of(graph), layer, place, view, &mut words)?;
    }
    Ok(words)
}

/// Append the check words of one layer whose output is `y` (`[C, H, W]`), pixel by pixel,
/// quad by quad.
fn layer_words(
    chip: &Chip,
    layer: usize,
    place: &Placement,
    y: ArrayView3<i64>,
    words: &mut Vec<CheckWord>,
) -> Result<(), KatError> {
    let limits = &chip.limits;
    let (channels, rows, cols) = y.dim();
    let layout = OutputLayout::of_layer(place, channels, rows, cols);
    let quads = layout.quads(chip, layer)?;
    let shared = limits.processors_per_data_instance;
    for pixel in 0..rows * cols {
        let (row, col) = (pixel / cols, pixel % cols);
        for quad in &quads {
            // Values by the position of their processor within the quad.
            let mut lanes = [0u32; 4];
            let mut c = quad.first_channel;
            for (j, lane) in lanes.iter_mut().enumerate().take(shared as usize) {
                if quad.lanes >> j & 1 == 1 {
                    if c < channels {
                        *lane = y[[c, row, col]] as u32;
                    }
                    c += 1;
                }
            }
            let address = |extra| layout.address(chip, layer, quad, pixel, extra);
            let count = quad.channels;
            match place.output_width {
                OutputWidth::Bits8 => {
                    let value = lanes
                        .iter()
                        .enumerate()
                        .fold(0u32, |v, (j, b)| v | (b & 0xff) << (8 * j));
                    let mask = if count >= 4 {
                        u32::MAX
                    } else {
                        // Contiguous from the quad's lowest output processor, even when the
                        // quad has gaps (izer does the same).
                        let lowest = quad.lanes.trailing_zeros();
                        (u32::MAX >> (32 - 8 * count)) << (8 * lowest)
                    };
                    words.push(CheckWord {
                        mask,
                        address: address(0)?,
                        value: value & mask,
                    });
                }
                OutputWidth::Bits32 => {
                    // One word per channel at consecutive addresses, taken from the lanes in
                    // order (izer's rule, also for quads with gaps).
                    for (i, &value) in lanes.iter().enumerate().take(count.min(4)) {
                        words.push(CheckWord {
                            mask: u32::MAX,
                            address: address(i as u64)?,
                            value,
                        });
                    }
                }
            }
        }
    }
    Ok(())
}
