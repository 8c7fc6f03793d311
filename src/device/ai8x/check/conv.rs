//! Checks of one convolution's kernel, stride, pad, output padding, dilation and groups.
//!
//! Must not look at pooling, flatten or placement beyond what dilation rules need.

use super::{Checker, Layer};
use crate::ir::{Conv, Op};

impl Checker<'_> {
    pub(super) fn conv2d(&mut self, l: &Layer, c: &Conv) {
        let sizes = self.limits.conv2d_kernel_sizes;
        if c.kernel[0] != c.kernel[1] || !sizes.contains(&c.kernel[0]) {
            let [kh, kw] = c.kernel;
            let [a, b] = sizes;
            self.push(
                l.index,
                "kernel_size",
                format!("Conv2d kernel {kh}x{kw} is not supported (only {a}x{a} and {b}x{b})"),
            );
        }
        self.unit_stride(l, c);
        if c.output_pad != 0 {
            self.push(
                l.index,
                "output_pad",
                format!(
                    "output padding {} is only allowed for ConvTranspose2d",
                    c.output_pad
                ),
            );
        }
        if !self.chip.features.conv2d_dilation {
            self.no_dilation(l, c);
        }
    }

    pub(super) fn transposed(&mut self, l: &Layer, c: &Conv) {
        let lim = self.limits;
        let k = lim.transposed_kernel_size;
        if c.kernel != [k, k] {
            let [kh, kw] = c.kernel;
            self.push(
                l.index,
                "kernel_size",
                format!("ConvTranspose2d kernel {kh}x{kw} is not supported (only {k}x{k})"),
            );
        }
        if c.stride != [lim.transposed_stride; 2] {
            let [sh, sw] = c.stride;
            self.push(
                l.index,
                "stride",
                format!(
                    "ConvTranspose2d stride {sh}/{sw} is not supported (only {})",
                    lim.transposed_stride
                ),
            );
        }
        if c.output_pad != lim.transposed_output_pad {
            let want = lim.transposed_output_pad;
            self.push(
                l.index,
                "output_pad",
                format!(
                    "ConvTranspose2d output padding {} is not supported (only {want})",
                    c.output_pad
                ),
            );
        }
        if c.pad.iter().any(|&p| p > lim.max_transposed_pad) {
            let [ph, pw] = c.pad;
            self.push(
                l.index,
                "pad",
                format!(
                    "ConvTranspose2d pad {ph}/{pw} is not supported (0 to {})",
                    lim.max_transposed_pad
                ),
            );
        }
        self.no_dilation(l, c);
    }

    /// Dilation is a Conv1d feature (and a Conv2d one where the chip has it).
    fn no_dilation(&mut self, l: &Layer, c: &Conv) {
        if c.dilation != [1, 1] {
            let [dh, dw] = c.dilation;
            self.push(
                l.index,
                "dilation",
                format!("dilation {dh}x{dw} is only supported for Conv1d"),
            );
        }
    }

    pub(super) fn conv1d(&mut self, l: &Layer, c: &Conv) {
        let lim = self.limits;
        let i = l.index;
        let (k, d) = (c.kernel[0], c.dilation[0]);
        if !(1..=lim.max_conv1d_kernel).contains(&k) || c.kernel[1] != 1 {
            self.push(
                i,
                "kernel_size",
                format!(
                    "Conv1d kernel length {k} is not supported (1 to {})",
                    lim.max_conv1d_kernel
                ),
            );
        }
        self.unit_stride(l, c);
        if c.output_pad != 0 {
            self.push(
                i,
                "output_pad",
                format!(
                    "output padding {} is only allowed for ConvTranspose2d",
                    c.output_pad
                ),
            );
        }
        if d <= 1 {
            return;
        }
        if k == 1 {
            self.push(
                i,
                "dilation",
                format!("dilation {d} needs a kernel length greater than 1"),
            );
            return;
        }
        if (k - 1) * d < lim.conv1d_stretch_span {
            return; // the kernel is stretched in place
        }
        if k > lim.max_dilation_1d_kernel {
            let m = lim.max_dilation_1d_kernel;
            self.push(
                i,
                "kernel_size",
                format!("dilation {d} needs a kernel length of {m} or smaller, not {k}"),
            );
            return;
        }
        if l.pooled() {
            self.push(
                i,
                "dilation",
                format!("dilation {d} cannot be combined with pooling"),
            );
        }
        if c.pad[0] > lim.max_dilation_1d_pad {
            let m = lim.max_dilation_1d_pad;
            self.push(
                i,
                "pad",
                format!("dilation {d} needs pad {m} or smaller, not {}", c.pad[0]),
            );
        }
        if l.node.operands() != 1 {
            self.push(
                i,
                "dilation",
                format!("dilation {d} cannot be combined with element-wise operands"),
            );
        }
        if l.node.flatten || l.place.streaming {
            self.push(
                i,
                "dilation",
                format!("dilation {d} cannot be combined with flatten or streaming"),
            );
        }
        if d > lim.max_dilation_1d {
            self.push(
                i,
                "dilation",
                format!(
                    "dilation {d} exceeds the maximum of {}",
                    lim.max_dilation_1d
                ),
            );
        }
        let min_offset = 4 * d * l.output.passes;
        if k == 3 && (l.place.out_offset as usize) < min_offset {
            let o = l.place.out_offset;
            self.push(
                i,
                "out_offset",
                format!(
                    "out_offset 0x{o:04x} with dilation {d} must be at least 0x{min_offset:04x}"
                ),
            );
        }
    }

    fn unit_stride(&mut self, l: &Layer, c: &Conv) {
        let one_d = matches!(l.node.op, Op::Conv1d(_));
        if c.stride[0] != 1 || (!one_d && c.stride[1] != 1) {
            let [sh, sw] = c.stride;
            self.push(
                l.index,
                "stride",
                format!("stride {sh}/{sw} is not supported (only 1)"),
            );
        }
    }

    pub(super) fn pad_and_groups(&mut self, l: &Layer, c: &Conv) {
        let lim = self.limits;
        let [ph, pw] = c.pad;
        let [kh, kw] = c.kernel;
        let transposed = matches!(l.node.op, Op::ConvTranspose2d(_));
        if !transposed && ph.max(pw) > lim.max_pad {
            self.push(
                l.index,
                "pad",
                format!("pad {ph}/{pw} is not supported (at most {})", lim.max_pad),
            );
        } else if !transposed && (ph >= kh || pw >= kw) {
            self.push(
                l.index,
                "pad",
                format!("pad {ph}/{pw} must be smaller than the kernel {kh}x{kw}"),
            );
        }
        let groups = c.groups.max(l.place.conv_groups);
        if groups > 1 {
            self.depthwise(l, groups);
        }
    }

    /// Convolution groups: only depthwise (groups = input = output channels), on a chip that
    /// has it, without flattening or a bias group.
    fn depthwise(&mut self, l: &Layer, groups: usize) {
        let i = l.index;
        if !self.chip.features.depthwise {
            let msg = format!("convolution groups {groups} are not supported (only 1)");
            self.push(i, "conv_groups", msg);
            return;
        }
        if matches!(l.node.op, Op::ConvTranspose2d(_)) {
            let msg =
                format!("convolution groups {groups} are only supported for Conv2d and Conv1d");
            self.push(i, "conv_groups", msg);
        }
        let (cin, cout) = (l.node.in_shape.channels, l.node.out_shape.channels);
        if groups != cin || groups != cout {
            self.push(
                i,
                "conv_groups",
                format!(
                    "convolution groups {groups} must equal the input channels ({cin}) and the output channels ({cout})"
                ),
            );
        }
        if l.node.flatten {
            let msg = format!("convolution groups {groups} cannot be combined with flatten");
            self.push(i, "conv_groups", msg);
        }
        if l.place.bias_group.is_some() {
            let msg = "`bias_group` is not supported for depthwise layers".to_string();
            self.push(i, "bias_group", msg);
        }
    }
}
