//! Hardware-limit checks of a placed graph against its ai8x chip's limits (izer's front-end and
//! back-end errors that are about the device, not about parsing).
//!
//! Owns the order in which checks run: whole-network rules here, shapes in
//! `check/geometry.rs`, convolution rules in `check/conv.rs`, processor maps and data memory in
//! `check/mapping.rs`, kernel and bias memory through `kernel_map` and `resources`. Must not
//! modify the graph or print anything.

mod conv;
mod geometry;
mod mapping;
mod writer;

pub use writer::project_writer_gap;

use super::chip::Chip;
use super::kernel_map::allocate_kernels;
use super::limits::{Expansion, LimitError, Limits};
use super::placement::{DataFormat, OutputWidth, Placement, ProcessorMask};
use super::resources::{allocate_bias, bias_len};
use crate::ir::{Activation, Graph, Node, Op, Source};

/// The first violation of the limits of the chip `graph` is placed on, if any.
pub fn check_graph(graph: &Graph) -> Result<(), LimitError> {
    violations(graph).into_iter().next().map_or(Ok(()), Err)
}

/// All violations of the limits of the chip `graph` is placed on, in layer order
/// (network-wide ones first).
pub fn violations(graph: &Graph) -> Vec<LimitError> {
    violations_with(graph, super::chip_of(graph))
}

/// All violations of `chip`'s limits.
pub fn violations_with(graph: &Graph, chip: &Chip) -> Vec<LimitError> {
    let limits = &chip.limits;
    let mut out = Checker {
        chip,
        limits,
        errors: Vec::new(),
    };
    out.network(graph);
    out.eltwise_sources(graph);
    let terminating = graph
        .nodes
        .iter()
        .position(|n| {
            n.annex
                .get::<Placement>()
                .is_some_and(|p| p.simulated_sequence == Some(-1))
        })
        .unwrap_or(graph.nodes.len().saturating_sub(1));
    for (index, node) in graph.nodes.iter().enumerate() {
        let Some(place) = node.annex.get::<Placement>() else {
            out.push(
                index,
                "processors",
                "the layer has no ai8x placement".into(),
            );
            continue;
        };
        let layer = Layer {
            index,
            node,
            place,
            input: limits.expansion(node.in_shape.channels),
            output: limits.expansion(node.out_shape.channels),
            terminating: index == terminating,
        };
        out.geometry(&layer);
        out.mapping(&layer);
    }
    if out.errors.is_empty() {
        // Memory allocation only makes sense for an otherwise valid network.
        if let Err(e) = allocate_kernels(graph, chip) {
            out.errors.push(e);
        }
        let bias = allocate_bias(graph, chip);
        if let Some(layer) = bias.overflow {
            let need = bias_len(graph, layer, chip);
            let (q, at) = bias.placement[layer].unwrap_or_default();
            let m = limits.bias_bytes_per_quadrant;
            out.push(layer, "bias_group", format!("bias memory exhausted: {need} bytes from byte {at} of quadrant {q} exceed its {m} bytes"));
        }
    }
    out.errors
}

/// One placed layer with the quantities most checks need.
struct Layer<'a> {
    index: usize,
    node: &'a Node,
    place: &'a Placement,
    input: Expansion,
    output: Expansion,
    /// Last layer the hardware runs (its output is unloaded, never streamed on).
    terminating: bool,
}

impl Layer<'_> {
    fn passthrough(&self) -> bool {
        matches!(self.node.op, Op::Passthrough | Op::Eltwise(_))
    }

    fn pooled(&self) -> bool {
        self.node.pool.is_some_and(|p| p.size != [1, 1])
    }

    /// YAML key of this layer's pooling.
    fn pool_key(&self) -> &'static str {
        match self.node.pool.map(|p| p.kind) {
            Some(crate::ir::PoolKind::Avg) => "avg_pool",
            _ => "max_pool",
        }
    }
}

struct Checker<'l> {
    chip: &'l Chip,
    limits: &'l Limits,
    errors: Vec<LimitError>,
}

impl Checker<'_> {
    fn push(&mut self, layer: usize, key: &'static str, message: String) {
        self.errors.push(LimitError {
            layer,
            key,
            message,
        });
    }

    /// Rules about the network as a whole.
    fn network(&mut self, graph: &Graph) {
        let lim = self.limits;
        let n = graph.nodes.len();
        if n > lim.max_layers {
            self.push(
                lim.max_layers,
                "layers",
                format!(
                    "the network has {n} layers, the {} runs at most {}",
                    self.chip.part, lim.max_layers
                ),
            );
        }
        let places: Vec<_> = graph
            .nodes
            .iter()
            .map(|n| n.annex.get::<Placement>())
            .collect();
        let mut used = places
            .iter()
            .flatten()
            .fold(0u64, |acc, p| acc | p.processors.0);
        if let Some(last) = places.last().copied().flatten() {
            used |= last.output_processors.0;
        }
        if n > 0 && used & lim.quadrant_bits(0) == 0 {
            self.push(
                0,
                "processors",
                "no layer uses quadrant 0 (processors 0–15), which the device requires".into(),
            );
        }
        for (i, p) in places.iter().enumerate() {
            let Some(p) = p else { continue };
            let streams = |j: usize| {
                places
                    .get(j)
                    .copied()
                    .flatten()
                    .is_some_and(|q| q.streaming)
            };
            if i > 0 && p.data_format == DataFormat::Chw {
                self.push(
                    i,
                    "data_format",
                    "CHW input is only possible in the first layer".into(),
                );
            }
            if p.streaming && i > 0 && !streams(i - 1) {
                self.push(
                    i,
                    "streaming",
                    format!("streaming layer follows non-streaming layer {}", i - 1),
                );
            }
            if p.streaming && i >= lim.max_stream_layers {
                self.push(
                    i,
                    "streaming",
                    format!("only the first {} layers can stream", lim.max_stream_layers),
                );
            }
            if p.streaming
                && !streams(i + 1)
                && i <= lim.max_stream_layers
                && !has_padding_both_axes(&graph.nodes[i])
            {
                self.push(
                    i,
                    "pad",
                    "the last streaming layer needs non-zero padding in both axes".into(),
                );
            }
            if let Some(groups) = &p.bias_group {
                for &q in groups {
                    if q >= lim.quadrants || used & lim.quadrant_bits(q) == 0 {
                        self.push(
                            i,
                            "bias_group",
                            format!("quadrant {q} is not used by the network"),
                        );
                    }
                }
            }
        }
        if let (Some(node), Some(Some(p))) = (graph.nodes.last(), places.last())
            && p.output_width == OutputWidth::Bits32
            && node.activation != Activation::None
        {
            self.push(
                n - 1,
                "output_width",
                "the final layer must use output width 8 when it has an activation".into(),
            );
        }
    }
}

impl Checker<'_> {
    /// Element-wise operands must come from layers with the same output processor map.
    fn eltwise_sources(&mut self, graph: &Graph) {
        let out_map = |src: &Source| match src {
            Source::Input => graph
                .nodes
                .first()?
                .annex
                .get::<Placement>()
                .map(|p| p.processors),
            Source::Node(j) => graph
                .nodes
                .get(*j)?
                .annex
                .get::<Placement>()
                .map(|p| p.output_processors),
            Source::Buffer(_) => None,
        };
        for (i, node) in graph.nodes.iter().enumerate() {
            if node.operands() < 2 {
                continue;
            }
            let maps: Vec<ProcessorMask> = node.inputs.iter().filter_map(out_map).collect();
            if let Some(other) = maps.iter().find(|m| **m != maps[0]) {
                let first = maps[0];
                self.push(
                    i,
                    "in_sequences",
                    format!("element-wise operands come from output maps {first} and {other}, which must be equal"),
                );
            }
        }
    }
}

/// Padding of a streaming layer as the hardware runs it (1×1 convolutions become 3×3, pad 1).
fn has_padding_both_axes(node: &Node) -> bool {
    match node.op {
        Op::Conv2d(c) | Op::ConvTranspose2d(c) if c.kernel == [1, 1] => true,
        Op::Conv1d(c) | Op::Conv2d(c) | Op::ConvTranspose2d(c) => c.pad[0] > 0 && c.pad[1] > 0,
        Op::Linear { .. } | Op::Passthrough | Op::Eltwise(_) => false,
    }
}

#[cfg(test)]
mod tests;
