//! Input delivered through the input FIFOs (izer `--fifo`, `load.loadfifo`): which FIFO
//! serves which channels and the words written to each, one [`InputLoad`] per FIFO.
//!
//! Owns the FIFO plan and packing only; the layer-0 view, the byte and pixel packing and the
//! load records are the parent module's.

use super::{FIFO_DATA_BASE, InputLoad, Layer0, LoadTarget, byte, load, pixel_words};
use crate::device::ai8x::Chip;
use crate::emit::ai8x::EmitError;
use ndarray::Array3;

fn fifo_load(f: usize, words: Vec<u32>, channels: (usize, usize)) -> InputLoad {
    let mut ld = load(
        f as u32,
        FIFO_DATA_BASE + 4 * f as u32,
        LoadTarget::Fifo(f as u32),
        words,
    );
    ld.channels = vec![channels];
    ld
}

/// Why a processor map cannot feed the FIFOs (izer would loop or index past its buffers).
fn fifo_map_error(l: &Layer0) -> EmitError {
    EmitError::ProcessorMap {
        map: l.processors,
        channels: l.channels,
        why: "the FIFOs it implies do not match the channel count",
    }
}

/// Which FIFO serves each group of `group` channels (4 for HWC, 1 for CHW) and with which
/// processor bits: groups take the enabled processors quadrant by quadrant, one FIFO per
/// quadrant, restarting at quadrant 0 when the map runs out.
fn fifo_plan(l: &Layer0, chip: &Chip, group: usize) -> Result<Vec<(usize, u64, usize)>, EmitError> {
    let limits = &chip.limits;
    if l.operands != 1 {
        return Err(EmitError::Operands {
            what: "FIFO",
            operands: l.operands,
        });
    }
    let quad_width = limits.processors_per_quadrant;
    let fifos = l.channels.div_ceil(group);
    let mask = (1u64 << group) - 1;
    let mut plan = Vec::with_capacity(fifos);
    let (mut pmap, mut fifo) = (0u64, 0usize);
    for c in (0..l.channels).step_by(group) {
        if pmap == 0 {
            (pmap, fifo) = (l.processors, 0);
        }
        while pmap & mask == 0 {
            if pmap == 0 {
                return Err(fifo_map_error(l));
            }
            pmap >>= quad_width;
            fifo += 1;
        }
        if fifo >= fifos {
            return Err(fifo_map_error(l));
        }
        plan.push((c, pmap & mask, fifo));
        pmap >>= quad_width;
        fifo += 1;
    }
    Ok(plan)
}

/// FIFO input, HWC: FIFO `f` takes up to four channels per pixel for processors `16f…16f+3`.
pub(super) fn fifo_hwc_loads(
    l: &Layer0,
    input: &Array3<i64>,
    chip: &Chip,
) -> Result<Vec<InputLoad>, EmitError> {
    let fifos = l.channels.div_ceil(4);
    // The processor bits each group of four channels is taken with, and its FIFO.
    let plan = fifo_plan(l, chip, 4)?;
    let pixels = l.rows * l.cols;
    let mut buffers = vec![vec![0u32; pixels]; fifos];
    for (c, bits, fifo) in &plan {
        for (pix, word) in buffers[*fifo].iter_mut().enumerate() {
            let (row, col) = (pix / l.cols, pix % l.cols);
            *word = (0..4)
                .filter(|b| bits >> b & 1 == 1 && c + b < l.channels)
                .map(|b| byte(input[[c + b, row, col]]) << (8 * b))
                .fold(0, |a, v| a | v);
        }
    }
    let mut channels = vec![(0, 0); fifos];
    for (c, _, fifo) in &plan {
        channels[*fifo] = (*c, (c + 3).min(l.channels - 1));
    }
    Ok(buffers
        .into_iter()
        .enumerate()
        .map(|(f, w)| fifo_load(f, w, channels[f]))
        .collect())
}

/// FIFO input, CHW: one channel per FIFO (processor `16f`), four pixels per word.
pub(super) fn fifo_chw_loads(
    l: &Layer0,
    input: &Array3<i64>,
    chip: &Chip,
) -> Result<Vec<InputLoad>, EmitError> {
    let fifos = l.channels;
    let target: Vec<usize> = fifo_plan(l, chip, 1)?
        .into_iter()
        .map(|(_, _, f)| f)
        .collect();
    let pixels = l.rows * l.cols;
    let mut buffers = vec![vec![0u32; pixels.div_ceil(4)]; fifos];
    let mut channels = vec![(0, 0); fifos];
    for (c, &f) in target.iter().enumerate() {
        buffers[f] = pixel_words(input, c, l.cols, pixels);
        channels[f] = (c, c);
    }
    Ok(buffers
        .into_iter()
        .enumerate()
        .map(|(f, w)| fifo_load(f, w, channels[f]))
        .collect())
}
