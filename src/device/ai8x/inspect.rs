//! The `inspect` report: per-layer shapes, operators, quantization and the chip's resources,
//! with totals against the device limits. Serialisable to JSON and printable as a table.
//!
//! Owns the report's content and layout; it computes nothing about the device itself (the
//! rest of this folder does).

use super::{self as dev, Placement};
use crate::ir::{Graph, Node, Op, PoolKind};
use serde::Serialize;
use std::fmt::Write as _;

/// Pooling of one layer, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct PoolReport {
    pub kind: &'static str,
    pub size: Vec<usize>,
    pub stride: Vec<usize>,
}

/// Device resources one layer uses.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceReport {
    /// Input processors enabled.
    pub processors: u32,
    pub output_processors: u32,
    /// Kernel memory words (72-bit) used per processor.
    pub kernel_words: u32,
    /// Kernel memory words over all processors.
    pub kernel_words_total: u32,
    /// Bias memory bytes.
    pub bias_bytes: u32,
}

/// One layer of the report. Shapes follow izer: `[C,L]` for Conv1d, `[C,H,W]` otherwise.
#[derive(Debug, Clone, Serialize)]
pub struct LayerReport {
    pub index: usize,
    pub name: Option<String>,
    pub op: &'static str,
    pub input_shape: Vec<usize>,
    pub output_shape: Vec<usize>,
    pub operands: usize,
    pub flatten: bool,
    pub kernel: Option<Vec<usize>>,
    pub stride: Option<Vec<usize>>,
    pub pad: Option<Vec<usize>>,
    pub pooling: Option<PoolReport>,
    pub activation: String,
    pub weight_bits: Option<u8>,
    /// Output shift as configured (without the implicit shift of narrow weights).
    pub output_shift: Option<i32>,
    /// Shift the hardware applies, including `8 − weight_bits`.
    pub total_shift: Option<i32>,
    pub params: usize,
    pub resources: ResourceReport,
    /// izer's one-line description of the layer.
    pub description: String,
}

/// Totals against the device limits.
#[derive(Debug, Clone, Serialize)]
pub struct TotalsReport {
    pub layers: usize,
    pub layers_limit: usize,
    pub params: usize,
    /// Kernel-memory use of the fullest processor (72-bit words) and its memory's size.
    pub kernel_words_max: u32,
    pub kernel_words_limit: u32,
    pub kernel_words_total: u32,
    /// Largest bias-memory use of any quadrant (bytes).
    pub bias_bytes_max: u32,
    pub bias_bytes_limit: u32,
    pub bias_bytes_total: u32,
    pub fits: bool,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    pub arch: String,
    pub device: &'static str,
    pub input_shape: Vec<usize>,
    pub layers: Vec<LayerReport>,
    pub totals: TotalsReport,
    pub warnings: Vec<String>,
}

fn layer_report(index: usize, node: &Node, res: &dev::LayerResources) -> LayerReport {
    let conv = node.op.conv();
    let c1 = matches!(node.op, Op::Conv1d(_));
    let axes = |v: [usize; 2]| if c1 { vec![v[0]] } else { v.to_vec() };
    LayerReport {
        index,
        name: node.name.clone(),
        op: node.op.name(),
        input_shape: dev::izer_shape(node, node.in_shape),
        output_shape: dev::izer_shape(node, node.out_shape),
        operands: node.operands(),
        flatten: node.flatten,
        kernel: conv.map(|c| axes(c.kernel)),
        stride: conv.map(|c| axes(c.stride)),
        pad: conv.map(|c| axes(c.pad)),
        pooling: node
            .pool
            .filter(|p| p.size != [1, 1] || p.stride != [1, 1])
            .map(|p| PoolReport {
                kind: if p.kind == PoolKind::Avg {
                    "avg"
                } else {
                    "max"
                },
                size: axes(p.size),
                stride: axes(p.stride),
            }),
        activation: node.activation.to_string(),
        weight_bits: node
            .op
            .has_weights()
            .then(|| node.quant.weight_bits.map(|b| b.bits()))
            .flatten(),
        output_shift: node.quant.output_shift,
        total_shift: dev::total_shift(&node.quant),
        params: node.param_count(),
        resources: ResourceReport {
            processors: res.processors,
            output_processors: node
                .annex
                .get::<Placement>()
                .map_or(0, |p| p.output_processors.count()),
            kernel_words: res.kernel_words,
            kernel_words_total: res.kernel_words_total,
            bias_bytes: res.bias_bytes,
        },
        description: dev::describe(index, node),
    }
}

/// Build the report of a graph placed on an ai8x chip.
pub fn inspect_ai8x(graph: &Graph, warnings: Vec<String>) -> InspectReport {
    let chip = dev::chip_of(graph);
    let res = dev::graph_resources(graph, chip);
    let t = dev::totals(graph, chip);
    let layers: Vec<LayerReport> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| layer_report(i, n, &res[i]))
        .collect();
    let (kernel_words_max, kernel_words_limit) = fullest(&t.kernel_words, &t.kernel_words_limit);
    let totals = TotalsReport {
        layers: t.layers,
        layers_limit: t.max_layers,
        params: graph.param_count(),
        kernel_words_max,
        kernel_words_limit,
        kernel_words_total: t.kernel_words.iter().sum(),
        bias_bytes_max: t.bias_bytes.iter().copied().max().unwrap_or(0),
        bias_bytes_limit: t.bias_bytes_limit,
        bias_bytes_total: t.bias_bytes.iter().sum(),
        fits: t.fits(),
    };
    InspectReport {
        arch: graph.arch.clone(),
        device: chip.name,
        input_shape: graph.input.to_vec(),
        layers,
        totals,
        warnings,
    }
}

/// Use and size of the processor whose kernel memory is the fullest (the first on ties).
fn fullest(used: &[u32], limit: &[u32]) -> (u32, u32) {
    used.iter()
        .zip(limit)
        .map(|(&u, &l)| (u, l))
        .reduce(|best, x| {
            if u64::from(x.0) * u64::from(best.1) > u64::from(best.0) * u64::from(x.1) {
                x
            } else {
                best
            }
        })
        .unwrap_or((0, 0))
}

fn dims(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join("x")
}

/// The report as a text table.
pub fn render_text(r: &InspectReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} on {}, input {}",
        r.arch,
        r.device,
        dims(&r.input_shape)
    );
    let _ = writeln!(
        s,
        "{:>3}  {:<15} {:>11} {:>11}  {:>6} {:>6} {:>9} {:<6} {:>4} {:>5} {:>8} {:>5} {:>6} {:>5}",
        "#",
        "op",
        "input",
        "output",
        "kernel",
        "pad",
        "pool",
        "act",
        "bits",
        "shift",
        "params",
        "procs",
        "kwords",
        "bias"
    );
    for l in &r.layers {
        let pool = l.pooling.as_ref().map_or("-".to_string(), |p| {
            format!("{}{}/{}", p.kind, dims(&p.size), p.stride[0])
        });
        let op = if l.flatten {
            format!("flatten+{}", l.op)
        } else {
            l.op.to_string()
        };
        let _ = writeln!(
            s,
            "{:>3}  {:<15} {:>11} {:>11}  {:>6} {:>6} {:>9} {:<6} {:>4} {:>5} {:>8} {:>5} {:>6} {:>5}",
            l.index,
            op,
            dims(&l.input_shape),
            dims(&l.output_shape),
            l.kernel.as_deref().map_or("-".into(), dims),
            l.pad.as_deref().map_or("-".into(), dims),
            pool,
            l.activation,
            l.weight_bits.map_or("-".into(), |b| b.to_string()),
            l.output_shift.map_or("-".into(), |v| v.to_string()),
            l.params,
            l.resources.processors,
            l.resources.kernel_words,
            l.resources.bias_bytes,
        );
    }
    let t = &r.totals;
    let _ = writeln!(
        s,
        "totals: {} / {} layers, {} parameters, kernel memory {} / {} words on the fullest processor, bias memory {} / {} bytes in the fullest quadrant: {}",
        t.layers,
        t.layers_limit,
        t.params,
        t.kernel_words_max,
        t.kernel_words_limit,
        t.bias_bytes_max,
        t.bias_bytes_limit,
        if t.fits { "fits" } else { "DOES NOT FIT" }
    );
    s
}
