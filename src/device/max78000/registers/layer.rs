//! The per-layer registers of one layer in one quadrant (spec `cnn-c.md` §6): counts,
//! pointers, layer control, mask and TRAM bounds, post-processing and enables.
//!
//! Owns the bit layout of those registers. Must not decide allocation (it reads the kernel
//! and bias maps) nor the streaming registers (`stream.rs`).

use super::hw::{HwLayer, HwOp};
use super::{LayerReg, Network};
use crate::device::max78000::limits::LimitError;
use crate::ir::{Activation, EltwiseOp, Op};

/// Lowest set bit (izer `ffs`); 0 for an empty map.
fn ffs(v: u64) -> u32 {
    if v == 0 { 0 } else { v.trailing_zeros() }
}

/// Highest set bit (izer `fls`); 0 for an empty map.
fn fls(v: u64) -> u32 {
    if v == 0 { 0 } else { 63 - v.leading_zeros() }
}

fn quadrant_bits(q: u32) -> u64 {
    0xffff << (16 * q)
}

/// izer's "local source": output processors of a quadrant with non-uniform gaps, or gaps in a
/// passthrough layer. Decided once per layer over all used quadrants.
fn local_source(net: &Network, hl: &HwLayer) -> bool {
    net.quadrants.iter().any(|&g| {
        let map = hl.place.output_processors.0 & quadrant_bits(g);
        if map.count_ones() <= 1 {
            return false;
        }
        let (mut gmin, mut gmax) = (u32::MAX, 0);
        let mut p = ffs(map);
        while p < fls(map) {
            let above = map & !((2u64 << p) - 1);
            let gap = ffs(above) - p - 1;
            gmin = gmin.min(gap);
            gmax = gmax.max(gap);
            p += gap + 1;
        }
        gmin != gmax || gmax > 0 && hl.op == HwOp::None
    })
}

/// Passthrough time-slot count: the widest quadrant's words per pixel, minus one.
fn tscnt(net: &Network, hl: &HwLayer) -> u32 {
    if hl.op != HwOp::None {
        return 0;
    }
    let width = hl.place.output_width.bits();
    net.quadrants
        .iter()
        .map(|&g| (hl.place.processors.0 >> (16 * g) & 0xffff).count_ones())
        .filter(|&n| n != 0)
        .map(|n| (n * width / 8 - 1) / 4)
        .max()
        .unwrap_or(0)
}

fn eltwise_fn(op: EltwiseOp) -> u32 {
    match op {
        EltwiseOp::Sub => 0,
        EltwiseOp::Add => 1,
        EltwiseOp::Or => 2,
        EltwiseOp::Xor => 3,
    }
}

fn row_count(input: usize, pad: usize) -> u32 {
    ((pad << 16) + input - 1 + 2 * pad) as u32
}

/// Register values of layer `ll` in quadrant `g`, in izer's write order (zeros included).
pub fn layer_registers(
    net: &Network,
    ll: usize,
    g: u32,
) -> Result<Vec<(LayerReg, u32)>, LimitError> {
    let hl = &net.layers[ll];
    let place = hl.place;
    let node = hl.node;
    let err = |key: &'static str, message: String| LimitError {
        layer: ll,
        key,
        message,
    };
    let om = place.output_processors.0;
    let first_quadrant = net.quadrants[0];
    let local = local_source(net, hl);
    let mut regs = Vec::with_capacity(20);
    let mut put = |r: LayerReg, v: u32| regs.push((r, v));

    // Row and column counts.
    let (rows, cols) = if node.flatten {
        (hl.pool[0], hl.pool[1])
    } else if hl.op == HwOp::ConvTranspose2d {
        (hl.stride[0] * hl.input[0], hl.stride[1] * hl.input[1])
    } else if hl.op == HwOp::None && hl.emulate_eltwise {
        (hl.input[0] * hl.in_exp, hl.input[1])
    } else {
        (hl.input[0], hl.input[1])
    };
    put(LayerReg::Rcnt, row_count(rows, hl.pad[0]));
    put(LayerReg::Ccnt, row_count(cols, hl.pad[1]));
    put(
        LayerReg::Prcnt,
        ((hl.pool[0] - 1) * hl.pool_dilation[0]) as u32,
    );
    put(
        LayerReg::Pccnt,
        ((hl.pool[1] - 1) * hl.pool_dilation[1]) as u32,
    );
    let stride = if hl.op == HwOp::ConvTranspose2d {
        0
    } else if hl.pool_stride[0] > 1 {
        hl.pool_stride[0] - 1
    } else {
        hl.stride[0] - 1
    };
    put(LayerReg::Stride, stride as u32);

    // Write pointer.
    let mut wptr = (place.out_offset - hl.out_ignore) / 4;
    if !local {
        let instance = if hl.op.convolves() {
            ffs(om) & !3
        } else if om & quadrant_bits(g) != 0 {
            ffs(om & quadrant_bits(g)) & !3
        } else {
            0
        };
        wptr |= ((instance % 4) * 2048) | ((instance / 4) << 13);
    } else {
        let instance = ffs(om >> (g * 4)) & !3;
        wptr |= (instance + g * 4) * 2048;
    }
    put(LayerReg::WptrBase, wptr);
    let toffs = match hl.op {
        HwOp::Conv2d | HwOp::Linear if hl.kernel == [1, 1] => 1,
        HwOp::None if place.processors.count() > 4 || hl.operands > 1 && hl.in_exp > 1 => 8192,
        HwOp::None => 2048,
        _ => 0,
    };
    put(LayerReg::WptrToffs, toffs);
    if hl.op.convolves() {
        put(LayerReg::WptrMoffs, 1 << 13);
    }
    let choffs = if hl.out_exp > 1 {
        place.output_width.bits() / 8 * (place.write_gap + 1)
    } else {
        0
    };
    put(LayerReg::WptrChoffs, choffs);
    put(LayerReg::RptrBase, place.in_offset / 4);

    // Layer control.
    let mut lctl = 0x20;
    if node.activation == Activation::Relu {
        lctl |= 0x200;
    }
    if !hl.avg_pool {
        lctl |= 0x100;
    }
    if hl.pooling {
        lctl |= 0x80;
    }
    if ll == 0 && net.chw_input {
        lctl |= 0x40;
    }
    if !local {
        lctl |= 1 << 11;
    }
    if place.output_width.bits() != 8 {
        lctl |= 1 << 16;
    }
    if hl.op.convolves() && g == first_quadrant {
        let mut sources = 0u32;
        for t in first_quadrant + 1..4 {
            if place.processors.0 >> (16 * t) & 0xffff != 0 {
                sources |= 1 << t;
            }
        }
        if let Some((bq, _)) = net.bias[ll].filter(|(bq, _)| *bq != g) {
            sources |= 1 << bq;
        }
        lctl |= sources << 12;
    }
    put(LayerReg::Lctl, lctl);

    // Layer control 2: output span, write skip, input passes.
    let flatten_prod = hl.flatten_prod();
    let in_exp = if node.flatten {
        (flatten_prod & 0xf) as u32
    } else if hl.op == HwOp::None && hl.emulate_eltwise {
        0
    } else {
        hl.in_exp as u32 - 1
    };
    if !node.flatten && in_exp >= 16 {
        return Err(err(
            "in_channels",
            format!(
                "input expansion of {} exceeds the device limit of 16",
                in_exp + 1
            ),
        ));
    }
    let skip = if hl.op.convolves() {
        hl.out_exp as u32 * (place.write_gap + 1) - 1
    } else {
        place.write_gap
    };
    if skip >= 16 {
        return Err(err(
            "write_gap",
            format!("write pointer increment {skip} exceeds the 4-bit register field"),
        ));
    }
    let span = fls(om) - (ffs(om) & !3);
    put(LayerReg::Lctl2, (span * hl.quant) << 8 | skip << 4 | in_exp);

    // Mask offset and count.
    let k = (hl.kernel[0] * hl.kernel[1]) as u32;
    let mut oned_sad = 0;
    let mcnt = if hl.op.convolves() {
        let (offs, count) = net.kernels[ll].unwrap_or((0, 0));
        let kl = count.saturating_sub(1) * hl.quant;
        let koffs = 9 * offs / k * 8;
        oned_sad = 9 * offs % k;
        koffs << 16 | (kl + koffs)
    } else if hl.emulate_eltwise {
        0
    } else {
        (hl.out_exp as u32 - 1) * 8
    };
    put(LayerReg::Mcnt, mcnt);

    // 1D / element-wise control.
    let mut oned = tscnt(net, hl);
    if hl.op == HwOp::Conv1d {
        oned |= (hl.kernel[0] as u32) << 8 | 1 << 12;
    } else if hl.op.one_by_one(hl.kernel) || hl.op == HwOp::None && hl.operands == 1 {
        oned |= 1 << 8;
    }
    if hl.operands > 1 {
        let op = node.eltwise.map_or(EltwiseOp::Add, |e| e.op);
        let op = if let Op::Eltwise(e) = node.op { e } else { op };
        oned |= 1 << 13 | eltwise_fn(op) << 14 | (hl.operands as u32 - 1) << 18;
        if hl.pooling && node.eltwise.is_some_and(|e| e.pool_first) {
            oned |= 1 << 16;
        }
        if hl.op.convolves() {
            oned |= 1 << 17;
        }
    }
    oned |= oned_sad << 4;
    put(LayerReg::Oned, oned);

    // TRAM pointer maximum.
    let tptr =
        if hl.op == HwOp::Conv1d || hl.op.one_by_one(hl.kernel) && (ll == 0 || !place.streaming) {
            if flatten_prod >= 16 {
                let f = flatten_prod as u32;
                f << 16 | (2 * f + 1)
            } else {
                0
            }
        } else {
            let mut v = hl.tram as u32 - 1;
            if ll > 0 && place.streaming {
                let prev: usize = net.layers[..ll].iter().map(|p| p.tram * p.in_exp).sum();
                v += prev as u32;
                v |= (prev as u32) << 16;
            }
            v
        };
    put(LayerReg::Tptr, tptr);

    // Post-processing.
    let mut post = match hl.quant {
        1 => 1 << 22,
        2 => 2 << 22,
        4 => 3 << 22,
        _ => 0,
    };
    let shift = crate::device::max78000::total_shift(&node.quant).unwrap_or(0);
    post |= if shift < 0 {
        ((-shift) as u32 | 0x10) << 13
    } else {
        (shift as u32) << 13
    };
    if let Some((bq, offs)) = net.bias[ll]
        && bq == g
    {
        post |= 1 << 12 | offs;
    }
    if hl.op == HwOp::None {
        post |= if hl.operands == 1 { 3 << 24 } else { 1 << 24 };
    }
    if node.activation == Activation::Abs {
        post |= 1 << 26;
    }
    if flatten_prod >= 16 {
        post |= 1 << 27 | ((flatten_prod >> 4) as u32) << 18;
    }
    if hl.op == HwOp::ConvTranspose2d {
        post |= 1 << 28;
    }
    put(LayerReg::Post, post);

    // Processor and mask enables.
    let mut ena = (place.processors.0 >> (16 * g) & 0xffff) as u32;
    if hl.op.convolves() {
        ena |= ena << 16;
    }
    put(LayerReg::Ena, ena);
    Ok(regs)
}
