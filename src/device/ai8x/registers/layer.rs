//! The per-layer registers of one layer in one quadrant (spec `cnn-c.md` §6): counts,
//! pointers, layer control, mask and TRAM bounds, post-processing and enables.
//!
//! Owns the bit layout of those registers. Must not decide allocation (it reads the kernel
//! and bias maps) nor the streaming registers (`stream.rs`).

use super::hw::{HwLayer, HwOp};
use super::{LayerReg, Network};
use crate::device::ai8x::limits::LimitError;
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
    let r = LayerQuadrant {
        net,
        ll,
        g,
        hl,
        local: local_source(net, hl),
    };
    let mut regs = Vec::with_capacity(20);
    regs.extend(r.counts());
    regs.extend(r.pointers());
    regs.push((LayerReg::Lctl, r.lctl()));
    regs.push((LayerReg::Lctl2, r.lctl2()?));
    let (mcnt, oned_sad) = r.mask_count();
    regs.push((LayerReg::Mcnt, mcnt));
    regs.push((LayerReg::Oned, r.oned(oned_sad)));
    regs.push((LayerReg::Tptr, r.tptr()));
    regs.push((LayerReg::Post, r.post()));
    regs.push((LayerReg::Ena, r.ena()));
    Ok(regs)
}

/// One layer in one quadrant: what its register values are computed from.
struct LayerQuadrant<'a> {
    net: &'a Network<'a>,
    ll: usize,
    g: u32,
    hl: &'a HwLayer<'a>,
    /// izer's "local source" ([`local_source`]).
    local: bool,
}

impl LayerQuadrant<'_> {
    fn err(&self, key: &'static str, message: String) -> LimitError {
        LimitError {
            layer: self.ll,
            key,
            message,
        }
    }

    /// Row and column counts, pooling counts and stride.
    fn counts(&self) -> [(LayerReg, u32); 5] {
        let hl = self.hl;
        let (rows, cols) = if hl.node.flatten {
            (hl.pool[0], hl.pool[1])
        } else if hl.op == HwOp::ConvTranspose2d {
            (hl.stride[0] * hl.input[0], hl.stride[1] * hl.input[1])
        } else if hl.op == HwOp::None && hl.emulate_eltwise {
            (hl.input[0] * hl.in_exp, hl.input[1])
        } else {
            (hl.input[0], hl.input[1])
        };
        let stride = if hl.op == HwOp::ConvTranspose2d {
            0
        } else if hl.pool_stride[0] > 1 {
            hl.pool_stride[0] - 1
        } else {
            hl.stride[0] - 1
        };
        [
            (LayerReg::Rcnt, row_count(rows, hl.pad[0])),
            (LayerReg::Ccnt, row_count(cols, hl.pad[1])),
            (
                LayerReg::Prcnt,
                ((hl.pool[0] - 1) * hl.pool_dilation[0]) as u32,
            ),
            (
                LayerReg::Pccnt,
                ((hl.pool[1] - 1) * hl.pool_dilation[1]) as u32,
            ),
            (LayerReg::Stride, stride as u32),
        ]
    }

    /// Write pointer base and offsets, and the read pointer.
    fn pointers(&self) -> Vec<(LayerReg, u32)> {
        let (hl, g) = (self.hl, self.g);
        let place = hl.place;
        let om = place.output_processors.0;
        let mut wptr = (place.out_offset - hl.out_ignore) / 4;
        if !self.local {
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
        let toffs = match hl.op {
            HwOp::Conv2d | HwOp::Linear if hl.kernel == [1, 1] => 1,
            HwOp::None if place.processors.count() > 4 || hl.operands > 1 && hl.in_exp > 1 => 8192,
            HwOp::None => 2048,
            _ => 0,
        };
        let mut regs = vec![(LayerReg::WptrBase, wptr), (LayerReg::WptrToffs, toffs)];
        if hl.op.convolves() {
            regs.push((LayerReg::WptrMoffs, 1 << 13));
        }
        let choffs = if hl.out_exp > 1 {
            place.output_width.bits() / 8 * (place.write_gap + 1)
        } else {
            0
        };
        regs.push((LayerReg::WptrChoffs, choffs));
        regs.push((LayerReg::RptrBase, place.in_offset / 4));
        regs
    }

    /// Layer control.
    fn lctl(&self) -> u32 {
        let (net, hl, g) = (self.net, self.hl, self.g);
        let place = hl.place;
        let first_quadrant = net.quadrants[0];
        let mut lctl = 0x20;
        if hl.node.activation == Activation::Relu {
            lctl |= 0x200;
        }
        if !hl.avg_pool {
            lctl |= 0x100;
        }
        if hl.pooling {
            lctl |= 0x80;
        }
        if self.ll == 0 && net.chw_input {
            lctl |= 0x40;
        }
        if !self.local {
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
            if let Some((bq, _)) = net.bias[self.ll].filter(|(bq, _)| *bq != g) {
                sources |= 1 << bq;
            }
            lctl |= sources << 12;
        }
        lctl
    }

    /// Layer control 2: output span, write skip, input passes.
    fn lctl2(&self) -> Result<u32, LimitError> {
        let hl = self.hl;
        let place = hl.place;
        let in_exp = if hl.node.flatten {
            (hl.flatten_prod() & 0xf) as u32
        } else if hl.op == HwOp::None && hl.emulate_eltwise {
            0
        } else {
            hl.in_exp as u32 - 1
        };
        if !hl.node.flatten && in_exp >= 16 {
            return Err(self.err(
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
            return Err(self.err(
                "write_gap",
                format!("write pointer increment {skip} exceeds the 4-bit register field"),
            ));
        }
        let om = place.output_processors.0;
        let span = fls(om) - (ffs(om) & !3);
        Ok((span * hl.quant) << 8 | skip << 4 | in_exp)
    }

    /// Mask offset and count, and the kernel's start within its 9-byte slot (for `ONED`).
    fn mask_count(&self) -> (u32, u32) {
        let hl = self.hl;
        let k = (hl.kernel[0] * hl.kernel[1]) as u32;
        if hl.op.convolves() {
            let (offs, count) = self.net.kernels[self.ll].unwrap_or((0, 0));
            let kl = count.saturating_sub(1) * hl.quant;
            let koffs = 9 * offs / k * 8;
            (koffs << 16 | (kl + koffs), 9 * offs % k)
        } else if hl.emulate_eltwise {
            (0, 0)
        } else {
            ((hl.out_exp as u32 - 1) * 8, 0)
        }
    }

    /// 1D / element-wise control.
    fn oned(&self, oned_sad: u32) -> u32 {
        let hl = self.hl;
        let node = hl.node;
        let mut oned = tscnt(self.net, hl);
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
        oned | oned_sad << 4
    }

    /// TRAM pointer maximum.
    fn tptr(&self) -> u32 {
        let (hl, ll) = (self.hl, self.ll);
        let streaming = hl.place.streaming;
        if hl.op == HwOp::Conv1d || hl.op.one_by_one(hl.kernel) && (ll == 0 || !streaming) {
            let flatten_prod = hl.flatten_prod();
            if flatten_prod >= 16 {
                let f = flatten_prod as u32;
                f << 16 | (2 * f + 1)
            } else {
                0
            }
        } else {
            let mut v = hl.tram as u32 - 1;
            if ll > 0 && streaming {
                let prev: usize = self.net.layers[..ll]
                    .iter()
                    .map(|p| p.tram * p.in_exp)
                    .sum();
                v += prev as u32;
                v |= (prev as u32) << 16;
            }
            v
        }
    }

    /// Post-processing: weight width, output shift, bias, passthrough, Abs, flattening and
    /// transposed convolution.
    fn post(&self) -> u32 {
        let hl = self.hl;
        let node = hl.node;
        let mut post = match hl.quant {
            1 => 1 << 22,
            2 => 2 << 22,
            4 => 3 << 22,
            _ => 0,
        };
        let shift = crate::device::ai8x::total_shift(&node.quant).unwrap_or(0);
        post |= if shift < 0 {
            ((-shift) as u32 | 0x10) << 13
        } else {
            (shift as u32) << 13
        };
        if let Some((bq, offs)) = self.net.bias[self.ll]
            && bq == self.g
        {
            post |= 1 << 12 | offs;
        }
        if hl.op == HwOp::None {
            post |= if hl.operands == 1 { 3 << 24 } else { 1 << 24 };
        }
        if node.activation == Activation::Abs {
            post |= 1 << 26;
        }
        let flatten_prod = hl.flatten_prod();
        if flatten_prod >= 16 {
            post |= 1 << 27 | ((flatten_prod >> 4) as u32) << 18;
        }
        if hl.op == HwOp::ConvTranspose2d {
            post |= 1 << 28;
        }
        post
    }

    /// Processor and mask enables.
    fn ena(&self) -> u32 {
        let hl = self.hl;
        let mut ena = (hl.place.processors.0 >> (16 * self.g) & 0xffff) as u32;
        if hl.op.convolves() {
            ena |= ena << 16;
        }
        ena
    }
}
