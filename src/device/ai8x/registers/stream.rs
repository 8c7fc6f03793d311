//! Streaming and FIFO registers of one layer (spec `cnn-c.md` §6.1, MAX78000 equations):
//! stream start, deltas, rollover and the input frame size. Chips with the newer streaming
//! registers (MAX78002) get the FIFO start of a non-streaming first layer; their streaming
//! layers are refused.
//!
//! Owns those formulas and izer's default increments. Must not write any other register.

use super::hw::HwLayer;
use super::{LayerReg, Network};
use crate::device::ai8x::limits::LimitError;

/// izer's default `--increase-start`.
const INCREASE_START: usize = 2;

/// Streaming values of one layer: `STREAM1`, `STREAM2` and, with a FIFO feeding a streaming
/// layer, the rollover `FMAX`.
pub struct StreamRegs {
    pub stream1: u32,
    pub stream2: u32,
    pub rollover: Option<u32>,
}

/// Streaming registers of layer `ll`.
pub fn stream_registers(net: &Network, ll: usize) -> Result<StreamRegs, LimitError> {
    let hl: &HwLayer = &net.layers[ll];
    if net.chip.features.new_streaming {
        return new_stream_registers(net, ll);
    }
    let streaming = hl.place.streaming;
    let chw = ll == 0 && net.chw_input;
    let (mut start, mut delta1, mut delta2, mut invol) = (0, 0, 0, 0);
    if ll == 0 && net.fifo {
        start = if streaming {
            (hl.pool[0] - 1) * hl.input[1] + hl.pool[1]
        } else if chw {
            (hl.input[0] * hl.input[1]).div_ceil(4)
        } else {
            hl.input[0] * hl.input[1]
        };
        start *= hl.pool[0];
        if streaming {
            delta1 = (hl.pool_stride[1] - 1) * hl.operands;
            delta2 = (hl.pool[0] - 1) * hl.input[1] * hl.operands;
        }
    } else if ll > 0 && streaming {
        let p = &net.layers[ll - 1];
        let row = p.pooled[1] + 2 * p.pad[1];
        start = row * (p.kernel[0] - 1 + hl.pool[0] - 1) + p.kernel[1] - 1
            + hl.pool[1]
            + INCREASE_START;
        delta1 = hl.pool_stride[1] * hl.operands;
        delta2 = (hl.pool_stride[0] - 1) * row + hl.pool[1] * hl.operands;
    }
    if ll > 0 && streaming {
        invol = net.layers[..ll].iter().map(|l| l.in_exp).sum();
    }
    let rollover = (net.fifo && streaming).then(|| {
        let mut v = if chw {
            12
        } else {
            start
                + (hl.pool[0] - 1) * hl.input[1]
                + hl.stride[1].max(hl.pool_stride[1]).max(hl.pool[1])
        };
        let rem = v % hl.in_exp;
        if rem > 0 {
            v += hl.in_exp - rem;
        }
        v as u32
    });
    Ok(StreamRegs {
        stream1: start as u32,
        stream2: (delta2 << 16 | delta1 << 4 | invol) as u32,
        rollover,
    })
}

/// The chips with the newer streaming registers: a first layer fed by the FIFOs without
/// streaming starts once the whole frame is in; streaming layers are not programmed yet.
fn new_stream_registers(net: &Network, ll: usize) -> Result<StreamRegs, LimitError> {
    let hl: &HwLayer = &net.layers[ll];
    if hl.place.streaming {
        return Err(LimitError {
            layer: ll,
            key: "streaming",
            message: format!(
                "streaming layers are not supported on the {} yet",
                net.chip.part
            ),
        });
    }
    let stream1 = if ll == 0 && net.fifo {
        frame_size(net)
    } else {
        0
    };
    Ok(StreamRegs {
        stream1,
        stream2: 0,
        rollover: None,
    })
}

/// Input frame size of the first layer when fed by the FIFOs (`IFRM`).
pub fn frame_size(net: &Network) -> u32 {
    let hl = &net.layers[0];
    let pixels = hl.input[0] * hl.input[1];
    if net.chw_input {
        pixels.div_ceil(4) as u32
    } else {
        pixels as u32
    }
}

/// Append the streaming registers of layer `ll` to `regs` in izer's order.
pub fn push_stream(
    net: &Network,
    ll: usize,
    regs: &mut Vec<(LayerReg, u32)>,
) -> Result<(), LimitError> {
    let s = stream_registers(net, ll)?;
    regs.push((LayerReg::Stream1, s.stream1));
    regs.push((LayerReg::Stream2, s.stream2));
    if let Some(r) = s.rollover {
        regs.push((LayerReg::Fmax, r));
    }
    Ok(())
}
