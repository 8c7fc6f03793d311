//! The per-layer registers of one layer in one quadrant (spec `cnn-c.md` §6): counts,
//! pointers, layer control, mask and TRAM bounds, output channels, post-processing and
//! enables.
//!
//! Owns the values of those registers; field offsets and widths are the chip's
//! [`RegisterLayout`](crate::device::ai8x::chip::RegisterLayout). Must not decide allocation (it reads the kernel
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

/// A row or column count holding `n − 1 + 2·pad` and the pad amount (MAX78000).
fn row_count(input: usize, pad: usize, pad_offset: u32) -> u32 {
    ((pad << pad_offset) + input - 1 + 2 * pad) as u32
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
    let layout = &net.chip.registers;
    let mut regs = Vec::with_capacity(21);
    if layout.has(LayerReg::NextLayer) {
        // Layers run in order: no link to another layer, no stop bit.
        regs.push((LayerReg::NextLayer, 0));
    }
    regs.extend(r.counts()?);
    regs.extend(r.pointers()?);
    regs.push((LayerReg::Lctl, r.lctl()));
    regs.push((LayerReg::Lctl2, r.lctl2()?));
    let oned_sad = r.masks(&mut regs);
    if layout.has(LayerReg::OutputChannels) {
        regs.push((LayerReg::OutputChannels, r.output_channels()));
    }
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
    fn counts(&self) -> Result<[(LayerReg, u32); 5], LimitError> {
        let hl = self.hl;
        let layout = &self.net.chip.registers;
        let (rows, cols) = if hl.node.flatten {
            (hl.pool[0], hl.pool[1])
        } else if hl.op == HwOp::ConvTranspose2d {
            (hl.stride[0] * hl.input[0], hl.stride[1] * hl.input[1])
        } else if hl.op == HwOp::None && hl.emulate_eltwise {
            (hl.input[0] * hl.in_exp, hl.input[1])
        } else {
            (hl.input[0], hl.input[1])
        };
        let (rcnt, ccnt) = match layout.count_stop {
            None => (
                row_count(rows, hl.pad[0], layout.pad_count_offset),
                row_count(cols, hl.pad[1], layout.pad_count_offset),
            ),
            Some(stop) => {
                // The pooling windows that fit: the stop position and the distance from the
                // last window's end to the next start.
                let rest = |n: usize, axis: usize| -> usize {
                    let (p, d, s) = (hl.pool[axis], hl.pool_dilation[axis], hl.pool_stride[axis]);
                    let span = (n as i64 - p as i64 - d as i64 + 1).div_euclid(s as i64);
                    (n as i64 - span * s as i64).max(0) as usize
                };
                let col_rest = rest(cols, 1);
                let row_rest = if hl.op == HwOp::Conv1d { 1 } else { col_rest };
                let row_next = (row_rest + (hl.pool_stride[0] - 1) * cols)
                    * (hl.place.read_gap as usize + 1)
                    * hl.operands
                    * hl.in_exp;
                let encode = |n: usize, next: usize, pad: usize| {
                    let mut v = (n as u32) | (next as u32) << stop.diff_offset;
                    if pad > 0 {
                        v |= 1 << stop.pad_enable_bit
                            | ((pad - 1) as u32) << layout.pad_count_offset;
                    }
                    v
                };
                (
                    encode(rows.saturating_sub(rest(rows, 0)), row_next, hl.pad[0]),
                    encode(cols.saturating_sub(col_rest), col_rest, hl.pad[1]),
                )
            }
        };
        for (v, what) in [(rcnt, "rows"), (ccnt, "columns")] {
            let count = v & ((1 << layout.pad_count_offset) - 1);
            if count >> layout.count_bits != 0 {
                return Err(self.err(
                    "in_dim",
                    format!(
                        "{what} count {count} exceeds the {}-bit register field",
                        layout.count_bits
                    ),
                ));
            }
        }
        let mut stride = if hl.op == HwOp::ConvTranspose2d {
            0
        } else if hl.pool_stride[0] > 1 {
            hl.pool_stride[0] - 1
        } else {
            hl.stride[0] - 1
        } as u32;
        if let Some(offset) = layout.multipass_stride_offset {
            let step =
                hl.pool_stride[0] * hl.operands * hl.in_exp * (hl.place.read_gap as usize + 1);
            stride |= (step as u32) << offset;
        }
        let pool_count = |axis: usize| {
            let mut v = ((hl.pool[axis] - 1) * hl.pool_dilation[axis]) as u32;
            if let Some(offset) = layout.pool_dilation_offset {
                v |= ((hl.pool_dilation[axis] - 1) as u32) << offset;
            }
            v
        };
        Ok([
            (LayerReg::Rcnt, rcnt),
            (LayerReg::Ccnt, ccnt),
            (LayerReg::Prcnt, pool_count(0)),
            (LayerReg::Pccnt, pool_count(1)),
            (LayerReg::Stride, stride),
        ])
    }

    /// Write pointer base and offsets, and the read pointer.
    fn pointers(&self) -> Result<Vec<(LayerReg, u32)>, LimitError> {
        let (hl, g) = (self.hl, self.g);
        let place = hl.place;
        let layout = &self.net.chip.registers;
        let words = layout.instance_words;
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
            wptr |= ((instance % 4) * words) | ((instance / 4) << layout.write_ptr_shift);
        } else {
            let instance = ffs(om >> (g * 4)) & !3;
            wptr |= (instance + g * 4) * words;
        }
        if wptr >> layout.pointer_bits != 0 {
            return Err(self.err(
                "out_offset",
                format!(
                    "write pointer 0x{wptr:x} exceeds the {}-bit register field",
                    layout.pointer_bits
                ),
            ));
        }
        let toffs = match hl.op {
            HwOp::Conv2d | HwOp::Linear if hl.kernel == [1, 1] => 1,
            HwOp::None if place.processors.count() > 4 || hl.operands > 1 && hl.in_exp > 1 => {
                4 * words
            }
            HwOp::None => words,
            _ => 0,
        };
        let mut regs = vec![(LayerReg::WptrBase, wptr), (LayerReg::WptrToffs, toffs)];
        if hl.op.convolves() {
            regs.push((LayerReg::WptrMoffs, 1 << layout.write_ptr_shift));
        }
        let choffs = if hl.out_exp > 1 {
            place.output_width.bits() / 8 * (place.write_gap + 1)
        } else {
            0
        };
        regs.push((LayerReg::WptrChoffs, choffs));
        regs.push((LayerReg::RptrBase, place.in_offset / 4));
        Ok(regs)
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
        if let Some((rows, cols)) = self.net.chip.registers.kernel_size_offsets
            && hl.op.convolves()
        {
            lctl |= (hl.kernel[0] as u32 - 1) << rows | (hl.kernel[1] as u32 - 1) << cols;
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
        let layout = &self.net.chip.registers;
        if skip >> layout.write_skip_bits != 0 {
            return Err(self.err(
                "write_gap",
                format!(
                    "write pointer increment {skip} exceeds the {}-bit register field",
                    layout.write_skip_bits
                ),
            ));
        }
        let om = place.output_processors.0;
        let span = fls(om) - (ffs(om) & !3);
        Ok((span * hl.quant) << layout.output_span_offset | skip << 4 | in_exp)
    }

    /// The kernel-memory registers (one combined register, or separate count and offset),
    /// appended to `regs`; returns the kernel's start within its 9-byte slot (for `ONED`).
    fn masks(&self, regs: &mut Vec<(LayerReg, u32)>) -> u32 {
        let hl = self.hl;
        let layout = &self.net.chip.registers;
        let k = (hl.kernel[0] * hl.kernel[1]) as u32;
        let passes = (hl.out_exp as u32 - 1) * 8;
        let split = layout.has(LayerReg::MaskCount);
        if hl.op.convolves() {
            let (offs, count) = self.net.kernels[self.ll].unwrap_or((0, 0));
            let kl = count.saturating_sub(1) * hl.quant;
            let koffs = 9 * offs / k * 8;
            if split {
                regs.push((LayerReg::MaskCount, kl + koffs));
                regs.push((LayerReg::MaskOffset, koffs));
            } else {
                regs.push((
                    LayerReg::Mcnt,
                    koffs << layout.mask_start_offset | (kl + koffs),
                ));
            }
            9 * offs % k
        } else {
            if split {
                regs.push((LayerReg::MaskOffset, passes));
            } else if hl.emulate_eltwise {
                regs.push((LayerReg::Mcnt, 0));
            } else {
                regs.push((LayerReg::Mcnt, passes));
            }
            0
        }
    }

    /// Output channels the layer computes, minus one: the kernels of a convolution, the time
    /// slots of a passthrough layer.
    fn output_channels(&self) -> u32 {
        let hl = self.hl;
        if hl.op.convolves() {
            let count = self.net.kernels[self.ll].map_or(0, |(_, c)| c);
            count.saturating_sub(1)
        } else {
            tscnt(self.net, hl)
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
