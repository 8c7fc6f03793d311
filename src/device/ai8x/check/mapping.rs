//! Checks of one layer's placement: processor maps, data-memory instance sizes, offsets,
//! output shift, bias count, and the passthrough restrictions.
//!
//! Must not look at kernel shapes (`geometry.rs`) or allocate memory (`resources`).

use super::{Checker, Layer};
use crate::device::ai8x::placement::{DataFormat, OutputWidth, ProcessorMask};
use crate::device::ai8x::resources::data_bytes;
use crate::device::ai8x::{implicit_shift, supports};
use crate::ir::{Activation, WeightBits};

impl Checker<'_> {
    pub(super) fn mapping(&mut self, l: &Layer) {
        self.processor_counts(l);
        self.data_memory(l);
        self.output_shift(l);
        self.bias_count(l);
        if l.passthrough() {
            self.passthrough(l);
        }
    }

    fn processor_counts(&mut self, l: &Layer) {
        let lim = self.limits;
        let (i, p) = (l.index, l.place);
        let shared = lim.processors_per_data_instance;
        for (key, mask, channels, e) in [
            (
                "processors",
                p.processors,
                l.node.in_shape.channels,
                l.input,
            ),
            (
                "output_processors",
                p.output_processors,
                l.node.out_shape.channels,
                l.output,
            ),
        ] {
            let what = if key == "processors" {
                "input"
            } else {
                "output"
            };
            if mask.0 == 0 {
                self.push(i, key, format!("the {what} processor map must not be zero"));
            } else if mask.count() as usize != e.per_pass {
                let (n, passes, want) = (mask.count(), e.passes, e.per_pass);
                self.push(
                    i,
                    key,
                    format!("{channels} {what} channels in {passes} pass(es) need {want} processors, but {mask} has {n}"),
                );
            }
        }
        if p.data_format == DataFormat::Chw {
            let group = (1u64 << shared) - 1;
            let base = p.processors.first().unwrap_or(0) & !(shared - 1);
            let mut rest = p.processors.0 >> base;
            while rest != 0 {
                if (rest & group).count_ones() > 1 {
                    self.push(
                        i,
                        "processors",
                        format!(
                            "CHW input, but two channels of {} share a data memory instance",
                            p.processors
                        ),
                    );
                    break;
                }
                rest >>= shared;
            }
        }
    }

    fn data_memory(&mut self, l: &Layer) {
        let lim = self.limits;
        let (i, node, p) = (l.index, l.node, l.place);
        let cap = lim.data_instance_bytes as usize;
        let (in_size, out_size) = data_bytes(node, p, self.chip);
        if !p.streaming && in_size + p.in_offset as usize > cap {
            let o = p.in_offset;
            self.push(i, "in_offset", format!("input of {in_size} bytes at in_offset 0x{o:04x} exceeds the {cap}-byte data memory instance"));
        }
        if (!p.streaming || l.terminating) && out_size + p.out_offset as usize > cap {
            let o = p.out_offset;
            self.push(i, "out_offset", format!("output of {out_size} bytes at out_offset 0x{o:04x} exceeds the {cap}-byte data memory instance"));
        }
        if p.out_offset >= lim.out_offset_end {
            let (o, end) = (p.out_offset, lim.out_offset_end);
            self.push(
                i,
                "out_offset",
                format!("out_offset 0x{o:04x} is outside 0 to 0x{end:04x}"),
            );
        }
        if p.read_gap != 0 {
            self.push(
                i,
                "read_gap",
                format!("read_gap {} is not supported (only 0)", p.read_gap),
            );
        }
    }

    fn output_shift(&mut self, l: &Layer) {
        let lim = self.limits;
        let q = &l.node.quant;
        if l.passthrough() || !l.node.op.has_weights() {
            return;
        }
        let bits = q.weight_bits.unwrap_or(WeightBits::B8);
        if !supports(bits) {
            self.push(
                l.index,
                "weight_bits",
                format!("{bits}-bit weights are not supported (1, 2, 4 or 8 bits)"),
            );
            return;
        }
        let shift = q.output_shift.unwrap_or(0);
        if (shift + implicit_shift(bits)).abs() > lim.max_output_shift {
            let (m, imp) = (lim.max_output_shift, implicit_shift(bits));
            self.push(
                l.index,
                "output_shift",
                format!(
                    "output_shift {shift} with {bits}-bit weights is outside [{}, {}]",
                    -m - imp,
                    m - imp
                ),
            );
        }
    }

    fn bias_count(&mut self, l: &Layer) {
        let (out, bias) = (
            l.node.out_shape.channels,
            l.node.bias.as_ref().map(|b| b.len()),
        );
        if let Some(n) = bias.filter(|&n| n != out) {
            self.push(
                l.index,
                "out_channels",
                format!("{n} bias values for {out} output channels"),
            );
        }
    }

    fn passthrough(&mut self, l: &Layer) {
        let lim = self.limits;
        let (i, node, p) = (l.index, l.node, l.place);
        if node.activation != Activation::None {
            self.push(
                i,
                "activate",
                format!(
                    "a passthrough layer cannot use activation {}",
                    node.activation
                ),
            );
        }
        if node.quant.output_shift.is_some_and(|s| s != 0) {
            self.push(
                i,
                "output_shift",
                "a passthrough layer must use output_shift 0".into(),
            );
        }
        if p.output_width != OutputWidth::Bits8 {
            self.push(
                i,
                "output_width",
                "a passthrough layer must use output width 8".into(),
            );
        }
        for q in 0..lim.quadrants {
            let width = lim.processors_per_quadrant;
            let bits = lim.quadrant_bits(q);
            let inputs = ProcessorMask(p.processors.0 & bits).count();
            let packed = (1u64 << inputs) - 1;
            let out = (p.output_processors.0 & bits) >> (q * width);
            let out = if out == 0 {
                0
            } else {
                out >> out.trailing_zeros()
            };
            if out != packed {
                let (pi, po) = (p.processors, p.output_processors);
                self.push(i, "output_processors", format!("passthrough outputs {po} are not a packed copy of inputs {pi} in quadrant {q}"));
                break;
            }
        }
    }
}
