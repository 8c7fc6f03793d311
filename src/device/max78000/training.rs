//! How MAX78000 layers behave in float training (ai8x-training's conventions, `qat.md` §2, §5,
//! §6): the output range a float layer is confined to, batch norm's output divisor and
//! running-statistics momentum, and which IR nodes follow these rules.
//!
//! Owns these numbers so training (`crate::train`) and batch-norm folding (`crate::fuse`)
//! agree. Must not build models or touch parameters.

use crate::ir::{Node, QuantScheme};

/// Batch norm's output is divided by this in ai8x's forward pass (and folding reproduces it).
pub const BN_OUTPUT_DIVISOR: f32 = 4.0;
/// Momentum of batch norm's running statistics (PyTorch's default is 0.1).
pub const BN_MOMENTUM: f64 = 0.05;

/// Whether a node is a MAX78000 layer: placed on the device or carrying its quantization.
pub fn is_device_node(node: &Node) -> bool {
    node.annex.max78000().is_some() || node.quant.scheme == QuantScheme::Max78000
}

/// The float range of a MAX78000 node's output: 8-bit outputs `[−1, 127/128]`, 32-bit ("wide")
/// outputs `±2^15`; `None` for other nodes or when the output width is unknown.
pub fn float_range(node: &Node) -> Option<(f32, f32)> {
    let act = node.quant.act?;
    if !is_device_node(node) {
        return None;
    }
    Some(if act.bits >= 32 {
        (-32768.0, 32768.0)
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
