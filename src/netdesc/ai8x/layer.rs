//! One entry of the YAML `layers` list: every izer key, alias and per-operator default.
//!
//! Owns the per-layer schema, izer's keys plus the training keys qtool adds
//! ([`TRAINING_LAYER_KEYS`]), the order the keys are read in and the per-operator fix-ups;
//! what each key may hold is read by `layer_keys.rs`. Cross-layer derivation (channels,
//! dimensions, offsets) is done in `derive.rs`; hardware limits are checked by
//! `device::ai8x`.

use super::layer_desc::{DescOp, KeyError, LayerDesc, PendingRefs};
use super::layer_keys::{self as keys, Entry};
use super::value::{self, kind};
use serde_yaml::{Mapping, Value};

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
    let (conv_groups, conv_groups_key) = keys::conv_groups(&e)?;
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
        conv_groups_key,
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
