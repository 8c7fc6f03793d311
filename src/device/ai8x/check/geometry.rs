//! Checks of one layer's shapes: channels, dimensions, pooling, flatten and element-wise
//! operands; dispatches the convolution rules to `conv.rs`.
//!
//! Must not look at processor maps or memory offsets (`mapping.rs` does).

use super::{Checker, Layer};
use crate::ir::Op;

impl Checker<'_> {
    pub(super) fn geometry(&mut self, l: &Layer) {
        self.channels_and_dims(l);
        match l.node.op {
            Op::Conv2d(c) => self.conv2d(l, &c),
            Op::ConvTranspose2d(c) => self.transposed(l, &c),
            Op::Conv1d(c) => self.conv1d(l, &c),
            Op::Linear { .. } | Op::Passthrough | Op::Eltwise(_) => {}
        }
        if let Some(c) = l.node.op.conv() {
            self.pad_and_groups(l, c);
        }
        self.pooling_and_flatten(l);
        self.operands(l);
    }

    fn channels_and_dims(&mut self, l: &Layer) {
        let lim = self.limits;
        let (i, node) = (l.index, l.node);
        let before = if node.flatten {
            " (before flattening)"
        } else {
            ""
        };
        for (key, what, c) in [
            (
                "in_channels",
                format!("input channels{before}"),
                node.in_shape.channels,
            ),
            (
                "out_channels",
                "output channels".to_string(),
                node.out_shape.channels,
            ),
        ] {
            if c > lim.max_channels {
                self.push(
                    i,
                    key,
                    format!("{c} {what} exceed the maximum of {}", lim.max_channels),
                );
            }
        }
        for (what, shape) in [("input", node.in_shape), ("output", node.out_shape)] {
            let (h, w) = shape.dims.hw();
            if h.max(w) > lim.max_row_col {
                self.push(
                    i,
                    "in_dim",
                    format!(
                        "{what} dimension {h}x{w} exceeds the maximum of {}",
                        lim.max_row_col
                    ),
                );
            }
        }
        let frame = node.in_shape.dims.pixels() * l.input.passes;
        if frame >= lim.frame_size_max {
            let m = lim.frame_size_max;
            self.push(
                i,
                "in_dim",
                format!(
                    "input frame {} × {} passes = {frame} reaches the maximum of {m}",
                    node.in_shape, l.input.passes
                ),
            );
        }
    }

    fn pooling_and_flatten(&mut self, l: &Layer) {
        let lim = self.limits;
        let (i, node) = (l.index, l.node);
        if let Some(p) = node.pool {
            if p.dilation
                .iter()
                .any(|&d| d == 0 || d > lim.max_pool_dilation)
            {
                let [dh, dw] = p.dilation;
                let max = lim.max_pool_dilation;
                self.push(
                    i,
                    "pool_dilation",
                    format!("pool dilation {dh}x{dw} is not supported (1 to {max})"),
                );
            }
            let one_d = crate::ir::is_one_dimensional(node);
            if !one_d && p.stride[0] != p.stride[1] {
                let [sh, sw] = p.stride;
                self.push(
                    i,
                    "pool_stride",
                    format!("non-square pool stride {sh}/{sw} is not supported"),
                );
            }
        }
        let pooled_pixels = node.pooled_shape.dims.pixels();
        let multi_pass_pool = l.input.passes > lim.max_pool_passes && pooled_pixels > 1;
        if l.passthrough() && l.pooled() && multi_pass_pool {
            let passes = l.input.passes;
            self.push(
                i,
                l.pool_key(),
                format!(
                    "pooling in a passthrough layer needs {passes} passes (at most {})",
                    lim.max_pool_passes
                ),
            );
        }
        if !node.flatten {
            return;
        }
        if pooled_pixels > lim.max_flatten_pixels {
            let (h, w) = node.pooled_shape.dims.hw();
            let c = node.pooled_shape.channels;
            let (max, procs) = (lim.max_flatten_pixels, lim.processors as usize);
            self.push(
                i,
                "flatten",
                format!(
                    "flattened input {c}x{h}x{w} ({} values) has {pooled_pixels} pixels per channel, more than the {max} the device flattens (at most {} values on {procs} processors)",
                    c * pooled_pixels,
                    max * procs
                ),
            );
        }
        if l.passthrough() {
            self.push(
                i,
                "flatten",
                "flatten is not possible in a passthrough layer".into(),
            );
        }
        if l.pooled() {
            self.push(
                i,
                "flatten",
                "flatten cannot be combined with pooling".into(),
            );
        }
        if l.place.streaming {
            self.push(
                i,
                "flatten",
                "flatten cannot be combined with streaming".into(),
            );
        }
    }

    fn operands(&mut self, l: &Layer) {
        let lim = self.limits;
        let i = l.index;
        let Some(e) = l.node.eltwise else { return };
        let n = e.operands;
        if !(lim.min_operands..=lim.max_operands).contains(&n) {
            self.push(
                i,
                "operands",
                format!(
                    "{n} element-wise operands (must be {} to {})",
                    lim.min_operands, lim.max_operands
                ),
            );
        }
        if matches!(l.node.op, Op::Conv1d(_)) && n > 1 {
            self.push(
                i,
                "operands",
                "element-wise operands cannot be combined with Conv1d".into(),
            );
        }
        if !e.pool_first && l.pooled() && n > lim.max_pool_last_operands {
            let m = lim.max_pool_last_operands;
            self.push(
                i,
                "pool_first",
                format!(
                    "pooling after the element-wise operation allows at most {m} operands, not {n}"
                ),
            );
        }
        let passes = l.input.passes;
        let emulated = n > 1 && passes > 1 && n * passes != n + passes;
        let strided = l
            .node
            .pool
            .is_some_and(|p| p.stride[0] > 1 || p.stride[1] > 1);
        if emulated && (!l.passthrough() || l.pooled() || strided) {
            self.push(i, "operands", format!("{n} operands over {passes} passes only work in a passthrough layer without pooling"));
        }
    }
}
