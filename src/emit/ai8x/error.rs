//! Why an ai8x project file cannot be written: one error type for every emitter.

use crate::device::ai8x::{KatError, LimitError};
use crate::ir::NodeId;
use thiserror::Error;

/// A placed graph (or its sample input) that a file cannot be generated for.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EmitError {
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// Where an output lies in data memory could not be worked out.
    #[error(transparent)]
    Output(#[from] KatError),
    /// izer's mlator unload would place channel `channel` of an output at a byte offset that
    /// is not a multiple of 4 (izer stops on an assertion there). `what` is izer's name of the
    /// output: `layer 4`, `unload sequence #0`.
    #[error(
        "{what}, channel {channel}: izer's mlator unload (`--mlator`) would write at byte offset {target}, not a whole word; leave out --mlator"
    )]
    MlatorMisaligned {
        what: String,
        channel: usize,
        target: usize,
    },
    #[error("layer {0}: no weights loaded (or weights of the wrong shape); pass a checkpoint")]
    NoWeights(NodeId),
    #[error(
        "layer {layer}: bias memory of quadrant {quadrant} exhausted ({fill} of {limit} bytes)"
    )]
    BiasOverflow {
        layer: NodeId,
        quadrant: usize,
        fill: u32,
        limit: u32,
    },

    #[error("the graph has no layers")]
    NoLayers,
    #[error("the {chip} has no \"{register}\" register")]
    MissingRegister {
        chip: &'static str,
        register: &'static str,
    },
    #[error("layer {layer}: not placed on an ai8x chip")]
    NotPlaced { layer: usize },
    #[error(
        "sample input has shape {actual:?}; layer 0 reads {channels} channel(s) x {operands} operand(s) of {rows}x{cols}"
    )]
    InputShape {
        actual: Vec<usize>,
        channels: usize,
        operands: usize,
        rows: usize,
        cols: usize,
    },
    #[error("multi-pass CHW input ({channels} channels) cannot be loaded by embedded code")]
    MultiPassChw { channels: usize },
    #[error("{what} input supports one operand only; layer 0 has {operands}")]
    Operands { what: &'static str, operands: usize },
    #[error("layer 0 processors {map:#018x} cannot take the {channels}-channel input: {why}")]
    ProcessorMap {
        map: u64,
        channels: usize,
        why: &'static str,
    },
    #[error("layer 0 input offset 0x{offset:x} puts the input past the 32-bit address space")]
    Address { offset: u32 },
    #[error("{option} is not supported by qtool's project generator")]
    Unsupported { option: &'static str },
}
