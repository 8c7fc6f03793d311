//! What the project writer (`src/emit/ai8x/`) cannot yet deploy although the simulator runs
//! it: depthwise convolution, binary weights and Conv2d dilation have no kernel-memory or
//! register support there, so `convert` refuses them instead of writing a wrong project.
//!
//! Owns this refusal only; the limits of the chip are `check.rs`'s. Must not look at
//! anything the writer handles.

use super::super::chip::Chip;
use super::super::limits::LimitError;
use crate::ir::{Graph, Node, Op};

/// The first layer of `graph` the `chip`'s project writer cannot write yet.
pub fn project_writer_gap(graph: &Graph, chip: &Chip) -> Result<(), LimitError> {
    for (layer, node) in graph.nodes.iter().enumerate() {
        if let Some((key, what)) = unwritable(node) {
            return Err(LimitError {
                layer,
                key,
                message: format!(
                    "{what} is not supported by the {} project writer yet (qtool sim runs it)",
                    chip.part
                ),
            });
        }
    }
    Ok(())
}

/// The key and name of a feature of `node` the writer lacks.
fn unwritable(node: &Node) -> Option<(&'static str, &'static str)> {
    if node.op.conv().is_some_and(|c| c.groups > 1) {
        return Some(("conv_groups", "depthwise convolution"));
    }
    if let Op::Conv2d(c) = node.op
        && c.dilation != [1, 1]
    {
        return Some(("dilation", "Conv2d dilation"));
    }
    if node.quant.binary {
        return Some(("quantization", "binary (±1) weights"));
    }
    None
}
