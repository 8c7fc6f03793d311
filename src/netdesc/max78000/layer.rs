//! One entry of the YAML `layers` list: every izer key, alias and per-operator default.
//!
//! Owns the per-layer schema, izer's keys plus the training keys qtool adds
//! ([`TRAINING_LAYER_KEYS`]), the order the keys are read in and the per-operator fix-ups;
//! what each key may hold is read by `layer_keys.rs`. Cross-layer derivation (channels,
//! dimensions, offsets) is done in `derive.rs`; hardware limits are checked by
//! `device::max78000`.

use super::layer_keys::{self as keys, Entry};
use super::value::{self, kind};
use crate::device::max78000::{DataFormat, OutputWidth, ProcessorMask};
use crate::ir::{Activation, EltwiseOp, PoolKind};
use serde_yaml::{Mapping, Value};

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

/// Every per-layer key izer accepts.
pub const LAYER_KEYS: &[&str] = &[
    "max_pool",
    "avg_pool",
    "convolution",
    "conv_groups",
    "dilation",
    "groups",
    "in_channels",
    "in_dim",
    "in_sequences",
    "in_skip",
    "in_channel_skip",
    "in_offset",
    "kernel_size",
    "pool_stride",
    "out_channels",
    "out_offset",
    "activate",
    "activation",
    "data_format",
    "eltwise",
    "flatten",
    "op",
    "operands",
    "operation",
    "operator",
    "output_processors",
    "output_width",
    "output_shift",
    "pool_first",
    "processors",
    "pad",
    "quantization",
    "next_sequence",
    "snoop_sequence",
    "simulated_sequence",
    "sequence",
    "streaming",
    "stride",
    "write_gap",
    "bypass",
    "bias_group",
    "bias_quadrant",
    "calcx4",
    "readahead",
    "name",
    "pool_dilation",
    "output_pad",
    "tcalc",
    "read_gap",
    "output",
    "weight_source",
    "buffer_shift",
    "buffer_insert",
    "in_crop",
];

/// Per-layer keys qtool reads for training (ai8x-training's model arguments). izer does not
/// know them; they change nothing it derives.
pub const TRAINING_LAYER_KEYS: &[&str] = &["bias", "batchnorm", "dropout"];

/// Error while parsing one layer: the key (if any) and the message.
pub type KeyError = (Option<&'static str>, String);

/// The layer mapping of `item`, with every key known.
fn layer_mapping(item: &Value) -> Result<&Mapping, KeyError> {
    let map = item.as_mapping().ok_or((
        None,
        format!("a layer must be a mapping of keys, found {}", kind(item)),
    ))?;
    for k in map.keys() {
        let name = k.as_str().ok_or((
            None,
            format!("layer keys must be strings, found {}", kind(k)),
        ))?;
        if !LAYER_KEYS.contains(&name) && !TRAINING_LAYER_KEYS.contains(&name) {
            return Err((None, format!("unknown key `{name}`")));
        }
    }
    Ok(map)
}

/// Parse one `layers` entry with sequence number `seq`.
///
/// The keys are read in izer's order, so that the first error and the order of the warnings
/// are izer's; the per-operator fix-ups come last, as izer applies them at the end of each
/// entry.
pub fn parse_layer(seq: usize, item: &Value) -> Result<LayerDesc, KeyError> {
    let e = Entry {
        map: layer_mapping(item)?,
    };
    let mut warnings = Vec::new();
    let (processors, output_processors) = keys::processors(&e)?;
    let pooling = keys::pooling(&e)?;
    let quantization = keys::quantization(&e)?;
    let output_shift = e.with("output_shift", value::int)?;
    let data = keys::data_keys(&e, &mut warnings)?;
    let activation = keys::activation(&e)?;
    let (op, implied_eltwise) = keys::operator(&e, &mut warnings)?;
    let (pad, pad_explicit) = keys::pad(&e, op)?;
    let dilation = keys::dilation(&e, op)?;
    let eltwise = keys::eltwise(&e, implied_eltwise)?;
    let pool_first = e.flag("pool_first", &mut warnings)?.unwrap_or(true);
    let operands = keys::operands(&e, eltwise.is_some())?;
    let data_format = keys::data_format(&e)?;
    let output_width = keys::output_width(&e)?;
    let kernel = keys::kernel(&e, op)?;
    let stride = keys::stride(&e, op, pooling.kind.is_some())?;
    let streaming = e.flag("streaming", &mut warnings)?.unwrap_or(false);
    let flatten = e.flag("flatten", &mut warnings)?.unwrap_or(false);
    let (in_sequences, next_sequence, simulated_sequence) = keys::sequences(&e)?;
    let conv_groups = keys::conv_groups(&e)?;
    let write_gap = e.with("write_gap", value::uint)?.unwrap_or(0);
    let bias_group = keys::bias_group(&e)?;
    let ai87_only = keys::ai87_only(&e, &mut warnings)?;
    let pool_dilation = keys::pool_dilation(&e, pooling.kind.is_some())?;
    let output_pad = keys::output_pad(&e, op)?;
    let output = e.flag("output", &mut warnings)?.unwrap_or(false);
    let weight_source = e.with("weight_source", keys::seq_ref)?;
    let (buffer_shift, buffer_insert) = keys::buffer_keys(&e, in_sequences.is_some())?;
    let name = e.with("name", |v| value::string(v).map(str::to_string))?;
    let training = keys::training_keys(&e, op)?;
    let pool_stride = pooling.stride.unwrap_or_else(|| {
        if pooling.kind.is_some() {
            warnings.push("no `pool_stride`: using the default pool stride of 1".into());
        }
        [1, 1]
    });

    let mut layer = LayerDesc {
        seq,
        name,
        processors,
        output_processors,
        op,
        eltwise,
        operands,
        pool_first,
        pool: pooling.kind,
        pool_size: pooling.size,
        pool_stride,
        pool_dilation,
        activation,
        quantization,
        output_shift,
        kernel,
        pad,
        pad_explicit,
        stride,
        dilation,
        output_pad,
        in_channels: data.in_channels,
        out_channels: data.out_channels,
        in_dim: data.in_dim,
        in_crop: data.in_crop,
        in_offset: data.in_offset,
        out_offset: data.out_offset,
        read_gap: data.read_gap,
        in_channel_skip: data.in_channel_skip,
        in_sequences: None,
        next_sequence: None,
        simulated_sequence: None,
        data_format,
        output_width,
        streaming,
        flatten,
        write_gap,
        conv_groups,
        bias_group,
        output,
        weight_source: None,
        buffer_shift,
        buffer_insert,
        ai87_only,
        with_bias: training.with_bias,
        batchnorm: training.batchnorm,
        dropout: training.dropout,
        refs: PendingRefs {
            in_sequences,
            next_sequence,
            simulated_sequence,
            weight_source,
        },
        warnings,
    };
    apply_operator_fixups(&mut layer);
    check_pool_first(&layer)?;
    Ok(layer)
}

/// izer's per-operator fix-ups: Conv1d has no second dimension, a passthrough no kernel, and
/// ConvTranspose2d always strides by 2.
fn apply_operator_fixups(l: &mut LayerDesc) {
    match l.op {
        DescOp::Conv1d => {
            l.pad[1] = 0;
            l.pool_size[1] = 1;
            l.pool_stride[1] = 1;
            l.stride[1] = 1;
            l.dilation[1] = 1;
            l.pool_dilation[1] = 1;
        }
        DescOp::Passthrough => l.kernel = [1, 1],
        DescOp::ConvTranspose2d => l.stride = [2, 2],
        _ => {}
    }
}

/// `pool_first: false` only makes sense with both pooling and an element-wise operation.
fn check_pool_first(l: &LayerDesc) -> Result<(), KeyError> {
    if !l.pool_first && (l.operands == 1 || l.pool.is_none() || l.pool_size == [1, 1]) {
        return Err((
            Some("pool_first"),
            "`pool_first: false` requires both pooling and an element-wise operation".into(),
        ));
    }
    Ok(())
}
