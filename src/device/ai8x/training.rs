//! How MAX78000 layers behave in training (ai8x-training's conventions, `qat.md` §2–§6): the
//! output range a float layer is confined to, batch norm's output divisor and running-statistics
//! momentum, the fixed-point grids of quantization-aware training and simulate mode, and which
//! IR nodes follow these rules.
//!
//! Owns these numbers. The loader stamps them on every node as its [`TrainingRules`]
//! ([`stamp`]), which is how training (`crate::train`) and batch-norm folding (`crate::fuse`)
//! follow them without knowing this device. Must not build models or touch parameters.

use super::Placement;
use crate::ir::{Graph, Node, QuantScheme, TrainingRules, WeightInit};

/// Batch norm's output is divided by this in ai8x's forward pass (and folding reproduces it).
pub const BN_OUTPUT_DIVISOR: f32 = 4.0;
/// Momentum of batch norm's running statistics (PyTorch's default is 0.1).
pub const BN_MOMENTUM: f64 = 0.05;

/// Scale of 8-bit data: the integer `n ∈ [−128, 127]` means `n / 128`.
pub const DATA_SCALE: f32 = 128.0;
/// Grid of a wide (32-bit output) layer's output in quantization-aware training: `2^−14`.
pub const WIDE_QAT_SCALE: f32 = 16384.0;
/// Float limit of a wide layer's output: `±2^15`.
pub const WIDE_FLOAT_LIMIT: f32 = 32768.0;
/// Simulate-mode limits of a wide layer's accumulator: `[−2^29, 2^29 − 1]`.
pub const WIDE_SIM_RANGE: (f32, f32) = (-536_870_912.0, 536_870_911.0);
/// Quantization-aware training clamps the output shift to `±15`.
pub const QAT_SHIFT_LIMIT: i32 = 15;

/// Whether a node is a MAX78000 layer: placed on the device or carrying its quantization.
pub fn is_device_node(node: &Node) -> bool {
    node.annex.get::<Placement>().is_some() || node.quant.scheme == QuantScheme::Max78000
}

/// The float range of a MAX78000 node's output: 8-bit outputs `[−1, 127/128]`, 32-bit ("wide")
/// outputs `±2^15`; `None` for other nodes or when the output width is unknown.
pub fn float_range(node: &Node) -> Option<(f32, f32)> {
    let act = node.quant.act?;
    if !is_device_node(node) {
        return None;
    }
    Some(if act.bits >= 32 {
        (-WIDE_FLOAT_LIMIT, WIDE_FLOAT_LIMIT)
    } else {
        (-1.0, 127.0 / 128.0)
    })
}

/// The factor on a node's batch-norm output: `1/4` on MAX78000 layers, else 1.
pub fn bn_output_scale(node: &Node) -> f32 {
    if is_device_node(node) {
        1.0 / BN_OUTPUT_DIVISOR
    } else {
        1.0
    }
}

/// Whether a MAX78000 node writes 32-bit ("wide") outputs.
pub fn is_wide(node: &Node) -> bool {
    node.quant.act.is_some_and(|a| a.bits >= 32)
}

/// The float-training rules of one node: ai8x's conventions on MAX78000 layers, a plain
/// framework layer elsewhere.
pub fn rules(node: &Node) -> TrainingRules {
    if !is_device_node(node) {
        return TrainingRules::default();
    }
    TrainingRules {
        output_range: float_range(node),
        bn_output_scale: bn_output_scale(node),
        bn_momentum: BN_MOMENTUM,
        weight_init: WeightInit::HeNormalFanOut,
    }
}

/// Give every node of a graph built for this device its training rules.
pub fn stamp(graph: &mut Graph) {
    for node in &mut graph.nodes {
        node.training = rules(node);
    }
}
