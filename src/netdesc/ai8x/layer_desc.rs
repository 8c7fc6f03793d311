//! What one entry of the YAML `layers` list says, as read: [`LayerDesc`] and its vocabulary
//! (operator, sequence references, quantization, batch norm), and the error of one key.
//!
//! Owns the types only; `layer.rs` reads a layer into them (with `layer_keys.rs` for each
//! key) and `derive.rs` turns them into IR nodes.

use crate::device::ai8x::{DataFormat, OutputWidth, ProcessorMask};
use crate::ir::{Activation, EltwiseOp, PoolKind};

/// Operator named by `op`/`operation`/`operator`/`convolution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescOp {
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    /// `None`/`Passthrough` and the element-wise operators `Add`/`Sub`/`Or`/`Xor`.
    Passthrough,
    Linear,
}

/// A layer reference in `in_sequences`, `next_sequence`, … before names are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeqRef {
    Index(i64),
    Name(String),
}

/// Weight quantization named in the YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescQuant {
    Bits(u8),
    /// `bin`/`binary` (MAX78002 only).
    Binary,
}

/// Batch normalisation after a layer's operator, as ai8x-training's `batchnorm` argument names
/// it (training only; folded into the weights before deployment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescBatchNorm {
    /// Learned scale and shift (`Affine`).
    Affine,
    /// Normalisation only, no learned scale or shift (`NoAffine`).
    NoAffine,
}

/// One YAML layer with izer's defaults applied. Resolved sequence numbers are `i64` with
/// izer's conventions: −1 = network input (or `stop`), −2 = the data buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerDesc {
    pub seq: usize,
    pub name: Option<String>,
    pub processors: ProcessorMask,
    pub output_processors: Option<ProcessorMask>,
    pub op: DescOp,
    pub eltwise: Option<EltwiseOp>,
    pub operands: usize,
    pub pool_first: bool,
    pub pool: Option<PoolKind>,
    pub pool_size: [usize; 2],
    pub pool_stride: [usize; 2],
    pub pool_dilation: [usize; 2],
    pub activation: Activation,
    pub quantization: Option<DescQuant>,
    pub output_shift: Option<i64>,
    pub kernel: [usize; 2],
    pub pad: [usize; 2],
    /// `pad` was written for this layer (izer's shared default is subject to aliasing).
    pub pad_explicit: bool,
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
    pub output_pad: usize,
    pub in_channels: Option<usize>,
    pub out_channels: Option<usize>,
    pub in_dim: Option<[usize; 2]>,
    pub in_crop: [u32; 2],
    pub in_offset: Option<u32>,
    pub out_offset: u32,
    pub read_gap: u32,
    pub in_channel_skip: u32,
    pub in_sequences: Option<Vec<i64>>,
    pub next_sequence: Option<i64>,
    pub simulated_sequence: Option<i64>,
    pub data_format: DataFormat,
    pub output_width: OutputWidth,
    pub streaming: bool,
    pub flatten: bool,
    pub write_gap: u32,
    pub conv_groups: usize,
    /// The key `conv_groups` was read from (`conv_groups` or its alias `groups`).
    pub conv_groups_key: &'static str,
    pub bias_group: Option<Vec<u32>>,
    pub output: bool,
    pub weight_source: Option<i64>,
    pub buffer_shift: Option<u32>,
    pub buffer_insert: Option<u32>,
    /// Keys set only by MAX78002-only features (`bypass`, `calcx4`, `readahead`, `tcalc`,
    /// `snoop_sequence`) that were enabled: rejected by the MAX78000 checks.
    pub ai87_only: Vec<&'static str>,
    /// Training only (`bias`): whether the operator has a bias term; `None` leaves it to the
    /// trainer. A `batchnorm` layer without `bias` has one (ai8x requires it). Creates no bias
    /// values.
    pub with_bias: Option<bool>,
    /// Training only (`batchnorm`): batch normalisation after a convolution.
    pub batchnorm: Option<DescBatchNorm>,
    /// Training only (`dropout`): dropout probability after the activation, in `[0, 1)`.
    pub dropout: Option<f32>,
    /// Unresolved references, kept until names are known.
    pub(super) refs: PendingRefs,
    /// Non-fatal remarks (izer's warnings) about this layer.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct PendingRefs {
    pub in_sequences: Option<Vec<SeqRef>>,
    pub next_sequence: Option<SeqRef>,
    pub simulated_sequence: Option<SeqRef>,
    pub weight_source: Option<SeqRef>,
}

/// Error while parsing one layer: the key (if any) and the message.
pub type KeyError = (Option<&'static str>, String);
