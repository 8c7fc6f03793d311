//! Reading the keys of one YAML layer: alias resolution, izer's truthy strings, and one
//! parser per key or group of related keys, with izer's defaults and per-key errors.
//!
//! Owns what each key may hold and what an absent key means. The list of accepted keys, the
//! order the keys are read in and the per-operator fix-ups are `layer.rs`'s.

use super::layer_desc::{DescBatchNorm, DescOp, DescQuant, KeyError, SeqRef};
use super::value::{self, kind};
use crate::device::ai8x::{DataFormat, OutputWidth, ProcessorMask};
use crate::ir::{Activation, EltwiseOp, PoolKind};
use serde_yaml::{Mapping, Value};

/// One layer's mapping of keys.
pub(super) struct Entry<'a> {
    pub map: &'a Mapping,
}

impl<'a> Entry<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// Value of the first present alias; error if more than one alias is present.
    fn alias(&self, keys: &[&'static str]) -> Result<Option<(&'static str, &'a Value)>, KeyError> {
        let present: Vec<_> = keys
            .iter()
            .filter_map(|k| self.get(k).map(|v| (*k, v)))
            .collect();
        match present.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            [a, b, ..] => Err((
                Some(a.0),
                format!(
                    "duplicate key: `{}` and `{}` are aliases; give only one",
                    a.0, b.0
                ),
            )),
        }
    }

    pub fn with<T>(
        &self,
        key: &'static str,
        f: impl FnOnce(&'a Value) -> Result<T, String>,
    ) -> Result<Option<T>, KeyError> {
        self.get(key).map(f).transpose().map_err(|m| (Some(key), m))
    }

    pub fn flag(
        &self,
        key: &'static str,
        warnings: &mut Vec<String>,
    ) -> Result<Option<bool>, KeyError> {
        self.with(key, value::truthy).map(|o| {
            o.map(|(b, from_string)| {
                if from_string {
                    warnings.push(format!(
                        "`{key}` is given as a string; izer treats any non-empty string as true"
                    ));
                }
                b
            })
        })
    }
}

pub(super) fn seq_ref(v: &Value) -> Result<SeqRef, String> {
    match v {
        Value::String(s) => Ok(SeqRef::Name(s.clone())),
        other => value::int(other).map(SeqRef::Index),
    }
}

fn seq_ref_or_stop(v: &Value) -> Result<SeqRef, String> {
    match v {
        Value::String(s) if s.eq_ignore_ascii_case("stop") => Ok(SeqRef::Index(-1)),
        other => seq_ref(other),
    }
}

fn eltwise_name(s: &str, aliases: bool) -> Option<EltwiseOp> {
    match s.to_ascii_lowercase().as_str() {
        "add" => Some(EltwiseOp::Add),
        "sub" => Some(EltwiseOp::Sub),
        "or" => Some(EltwiseOp::Or),
        "xor" => Some(EltwiseOp::Xor),
        "bitwiseor" | "bitwise_or" if aliases => Some(EltwiseOp::Or),
        "bitwisexor" | "bitwise_xor" if aliases => Some(EltwiseOp::Xor),
        _ => None,
    }
}

/// `processors` (required) and `output_processors`.
pub(super) fn processors(
    e: &Entry<'_>,
) -> Result<(ProcessorMask, Option<ProcessorMask>), KeyError> {
    let processors = match e.get("processors") {
        None => {
            return Err((
                Some("processors"),
                "`processors` must not be zero or missing".into(),
            ));
        }
        Some(v) => value::processor_mask(v).map_err(|m| (Some("processors"), m))?,
    };
    let output_processors = e.with("output_processors", value::processor_mask)?;
    Ok((processors, output_processors))
}

/// Pooling as `max_pool`/`avg_pool` and `pool_stride` give it.
pub(super) struct Pooling {
    pub kind: Option<PoolKind>,
    pub size: [usize; 2],
    /// `None` when `pool_stride` is absent.
    pub stride: Option<[usize; 2]>,
}

/// `max_pool` (which wins over `avg_pool`), `avg_pool` and `pool_stride`.
pub(super) fn pooling(e: &Entry<'_>) -> Result<Pooling, KeyError> {
    let (mut kind, mut size) = (None, [1, 1]);
    if let Some(p) = e.with("max_pool", value::pair)? {
        (kind, size) = (Some(PoolKind::Max), p);
    } else if let Some(p) = e.with("avg_pool", value::pair)? {
        (kind, size) = (Some(PoolKind::Avg), p);
    }
    let stride = e.with("pool_stride", value::pair)?;
    Ok(Pooling { kind, size, stride })
}

/// `quantization`: 1, 2, 4 or 8 bits, or `bin`/`binary`.
pub(super) fn quantization(e: &Entry<'_>) -> Result<Option<DescQuant>, KeyError> {
    e.with("quantization", |v| match v {
        Value::String(s) if matches!(s.to_ascii_lowercase().as_str(), "bin" | "binary") => {
            Ok(DescQuant::Binary)
        }
        other => match value::int(other) {
            Ok(b @ (1 | 2 | 4 | 8)) => Ok(DescQuant::Bits(b as u8)),
            _ => Err("`quantization` must be 1, 2, 4, 8 or bin/binary".into()),
        },
    })
}

/// The keys of a layer's input and output data: channel counts, dimensions, cropping, gaps
/// and data-memory offsets.
pub(super) struct DataKeys {
    pub in_channels: Option<usize>,
    pub in_dim: Option<[usize; 2]>,
    pub in_crop: [u32; 2],
    pub read_gap: u32,
    pub in_channel_skip: u32,
    pub in_offset: Option<u32>,
    pub out_channels: Option<usize>,
    pub out_offset: u32,
}

/// `in_channels`, `in_dim`, `in_crop`, `in_skip`/`read_gap`, `in_channel_skip`, `in_offset`,
/// `out_channels` and `out_offset` (0 with a warning when absent).
pub(super) fn data_keys(e: &Entry<'_>, warnings: &mut Vec<String>) -> Result<DataKeys, KeyError> {
    let in_channels = e.with("in_channels", value::count)?;
    let in_dim = e.with("in_dim", value::dim)?;
    let in_crop = e
        .with("in_crop", |v| {
            let [a, b] = value::pair(v)?;
            Ok([
                u32::try_from(a).map_err(|e| e.to_string())?,
                u32::try_from(b).map_err(|e| e.to_string())?,
            ])
        })?
        .unwrap_or([0, 0]);
    let read_gap = match e.alias(&["in_skip", "read_gap"])? {
        Some((k, v)) => value::uint(v).map_err(|m| (Some(k), m))?,
        None => 0,
    };
    let in_channel_skip = e.with("in_channel_skip", value::uint)?.unwrap_or(0);
    let in_offset = e.with("in_offset", value::uint)?;
    let out_channels = e.with("out_channels", value::count)?;
    let out_offset = match e.with("out_offset", value::uint)? {
        Some(o) => o,
        None => {
            warnings.push("no `out_offset`: defaulting to 0".into());
            0
        }
    };
    Ok(DataKeys {
        in_channels,
        in_dim,
        in_crop,
        read_gap,
        in_channel_skip,
        in_offset,
        out_channels,
        out_offset,
    })
}

/// `activate`/`activation`: ReLU, Abs or None.
pub(super) fn activation(e: &Entry<'_>) -> Result<Activation, KeyError> {
    Ok(match e.alias(&["activate", "activation"])? {
        None => Activation::None,
        Some((k, v)) => match value::string(v)
            .map_err(|m| (Some(k), m))?
            .to_ascii_lowercase()
            .as_str()
        {
            "relu" => Activation::Relu,
            "abs" => Activation::Abs,
            "none" => Activation::None,
            other => {
                return Err((
                    Some(k),
                    format!("unsupported activation `{other}` (use ReLU, Abs or None)"),
                ));
            }
        },
    })
}

/// `op` and its aliases: the operator (Conv2d with a warning when absent) and the
/// element-wise operation an element-wise operator name implies.
pub(super) fn operator(
    e: &Entry<'_>,
    warnings: &mut Vec<String>,
) -> Result<(DescOp, Option<EltwiseOp>), KeyError> {
    let Some((k, v)) = e.alias(&["convolution", "operation", "operator", "op"])? else {
        warnings.push("no `op`: defaulting to Conv2d".into());
        return Ok((DescOp::Conv2d, None));
    };
    let name = value::string(v)
        .map_err(|m| (Some(k), m))?
        .to_ascii_lowercase();
    Ok(match name.as_str() {
        "conv1d" => (DescOp::Conv1d, None),
        "conv2d" => (DescOp::Conv2d, None),
        "convtranspose2d" => (DescOp::ConvTranspose2d, None),
        "none" | "passthrough" => (DescOp::Passthrough, None),
        "linear" | "fc" | "mlp" => (DescOp::Linear, None),
        other => match eltwise_name(other, true) {
            Some(x) => (DescOp::Passthrough, Some(x)),
            None => return Err((Some(k), format!("unknown operator `{other}`"))),
        },
    })
}

fn is_convolution(op: DescOp) -> bool {
    matches!(
        op,
        DescOp::Conv1d | DescOp::Conv2d | DescOp::ConvTranspose2d
    )
}

/// `pad` and whether it was written: 1 for convolutions and 0 otherwise when absent.
pub(super) fn pad(e: &Entry<'_>, op: DescOp) -> Result<([usize; 2], bool), KeyError> {
    let explicit = e.get("pad").is_some();
    let pad = match e.with("pad", value::count)? {
        Some(p) => [p, p],
        None if is_convolution(op) => [1, 1],
        None => [0, 0],
    };
    Ok((pad, explicit))
}

/// `dilation`, only with a convolution or linear operator.
pub(super) fn dilation(e: &Entry<'_>, op: DescOp) -> Result<[usize; 2], KeyError> {
    let dilation = e.with("dilation", value::pair)?.unwrap_or([1, 1]);
    if e.get("dilation").is_some() && op == DescOp::Passthrough {
        return Err((
            Some("dilation"),
            "`dilation` requires a convolution operator".into(),
        ));
    }
    Ok(dilation)
}

/// `eltwise`, which overrides the operation the operator's name implied.
pub(super) fn eltwise(
    e: &Entry<'_>,
    implied: Option<EltwiseOp>,
) -> Result<Option<EltwiseOp>, KeyError> {
    let Some(v) = e.get("eltwise") else {
        return Ok(implied);
    };
    let s = value::string(v).map_err(|m| (Some("eltwise"), m))?;
    Ok(Some(eltwise_name(s, false).ok_or((
        Some("eltwise"),
        format!("unknown element-wise operation `{s}`"),
    ))?))
}

/// `operands`: 2 to 16 for element-wise operations (2 by default), otherwise 1.
pub(super) fn operands(e: &Entry<'_>, eltwise: bool) -> Result<usize, KeyError> {
    let Some(n) = e.with("operands", value::count)? else {
        return Ok(if eltwise { 2 } else { 1 });
    };
    if !eltwise {
        return Err((
            Some("operands"),
            "`operands` can only be used with element-wise operations".into(),
        ));
    }
    if !(2..=16).contains(&n) {
        return Err((
            Some("operands"),
            format!("`operands` must be 2..16, not {n}"),
        ));
    }
    Ok(n)
}

/// `data_format`: CHW (`big`) or HWC (`little`, the default).
pub(super) fn data_format(e: &Entry<'_>) -> Result<DataFormat, KeyError> {
    match e.with("data_format", |v| {
        value::string(v).map(str::to_ascii_lowercase)
    })? {
        None => Ok(DataFormat::Hwc),
        Some(s) if s == "chw" || s == "big" => Ok(DataFormat::Chw),
        Some(s) if s == "hwc" || s == "little" => Ok(DataFormat::Hwc),
        Some(s) => Err((
            Some("data_format"),
            format!("unknown data format `{s}` (use CHW or HWC)"),
        )),
    }
}

/// `output_width`: 8 (the default) or 32 bits.
pub(super) fn output_width(e: &Entry<'_>) -> Result<OutputWidth, KeyError> {
    match e.with("output_width", value::int)? {
        None | Some(8) => Ok(OutputWidth::Bits8),
        Some(32) => Ok(OutputWidth::Bits32),
        Some(w) => Err((
            Some("output_width"),
            format!("`output_width` must be 8 or 32, not {w}"),
        )),
    }
}

/// `kernel_size` for operator `op`; without it 3×3, 9 for Conv1d and 1×1 for Linear (which
/// refuses the key).
pub(super) fn kernel(e: &Entry<'_>, op: DescOp) -> Result<[usize; 2], KeyError> {
    let Some(v) = e.get("kernel_size") else {
        return Ok(match op {
            DescOp::Linear => [1, 1],
            DescOp::Conv1d => [9, 1],
            _ => [3, 3],
        });
    };
    let key = Some("kernel_size");
    if op == DescOp::Linear {
        return Err((
            key,
            "cannot configure `kernel_size` for fully connected layers".into(),
        ));
    }
    let text = match v {
        Value::String(s) => s.to_ascii_lowercase(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err((
                key,
                format!("expected `1x1`, `3x3` or an integer, found {}", kind(other)),
            ));
        }
    };
    match op {
        DescOp::Conv2d if text == "1x1" => Ok([1, 1]),
        DescOp::Conv2d | DescOp::ConvTranspose2d if text == "3x3" => Ok([3, 3]),
        DescOp::Conv2d | DescOp::ConvTranspose2d => Err((
            key,
            format!(
                "unsupported kernel size `{text}` for {op:?} (MAX78000: 1x1 or 3x3 for Conv2d, 3x3 for ConvTranspose2d)"
            ),
        )),
        _ => match text.parse::<usize>() {
            Ok(k @ 1..=9) => Ok([k, 1]),
            _ => Err((
                key,
                format!("unsupported kernel size `{text}` (expected 1 to 9)"),
            )),
        },
    }
}

/// `stride`: equal in both dimensions, 1 when pooling (and then left at its default), 2 for
/// ConvTranspose2d.
pub(super) fn stride(e: &Entry<'_>, op: DescOp, pooling: bool) -> Result<[usize; 2], KeyError> {
    let Some(v) = e.get("stride") else {
        return Ok([1, 1]);
    };
    let [a, b] = value::pair(v).map_err(|m| (Some("stride"), m))?;
    if a != b {
        return Err((
            Some("stride"),
            "`stride` values must be equal in both dimensions".into(),
        ));
    }
    if pooling {
        if a != 1 {
            return Err((
                Some("stride"),
                "cannot set `stride` other than 1 when pooling".into(),
            ));
        }
        return Ok([1, 1]);
    }
    if op == DescOp::ConvTranspose2d && a != 2 {
        return Err((Some("stride"), "ConvTranspose2d requires `stride` 2".into()));
    }
    Ok([a, a])
}

/// `in_sequences` (one reference or a list), `next_sequence` and `simulated_sequence` (both
/// also `stop`), unresolved.
pub(super) type SequenceRefs = (Option<Vec<SeqRef>>, Option<SeqRef>, Option<SeqRef>);

/// The sequence keys of [`SequenceRefs`].
pub(super) fn sequences(e: &Entry<'_>) -> Result<SequenceRefs, KeyError> {
    let in_sequences = e.with("in_sequences", |v| match v {
        Value::Sequence(items) => items.iter().map(seq_ref).collect(),
        other => seq_ref(other).map(|r| vec![r]),
    })?;
    let next_sequence = e.with("next_sequence", seq_ref_or_stop)?;
    let simulated_sequence = e.with("simulated_sequence", seq_ref_or_stop)?;
    Ok((in_sequences, next_sequence, simulated_sequence))
}

/// `conv_groups`/`groups`, 1 by default, and the key it was read from.
pub(super) fn conv_groups(e: &Entry<'_>) -> Result<(usize, &'static str), KeyError> {
    match e.alias(&["conv_groups", "groups"])? {
        Some((k, v)) => value::count(v).map(|n| (n, k)).map_err(|m| (Some(k), m)),
        None => Ok((1, "conv_groups")),
    }
}

/// `bias_group`/`bias_quadrant`: one group or a list.
pub(super) fn bias_group(e: &Entry<'_>) -> Result<Option<Vec<u32>>, KeyError> {
    match e.alias(&["bias_group", "bias_quadrant"])? {
        Some((k, Value::Sequence(items))) => Ok(Some(
            items
                .iter()
                .map(value::uint)
                .collect::<Result<_, _>>()
                .map_err(|m| (Some(k), m))?,
        )),
        Some((k, v)) => Ok(Some(vec![value::uint(v).map_err(|m| (Some(k), m))?])),
        None => Ok(None),
    }
}

/// The MAX78002-only keys that are enabled: `bypass`, `calcx4`, `readahead`, `tcalc` when
/// true and `snoop_sequence` when present.
pub(super) fn ai87_only(
    e: &Entry<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<&'static str>, KeyError> {
    let mut keys = Vec::new();
    for key in ["bypass", "calcx4", "readahead", "tcalc"] {
        if e.flag(key, warnings)? == Some(true) {
            keys.push(key);
        }
    }
    if e.get("snoop_sequence").is_some() {
        keys.push("snoop_sequence");
    }
    Ok(keys)
}

/// `pool_dilation`, only with pooling.
pub(super) fn pool_dilation(e: &Entry<'_>, pooling: bool) -> Result<[usize; 2], KeyError> {
    let pool_dilation = e.with("pool_dilation", value::pair)?.unwrap_or([1, 1]);
    if e.get("pool_dilation").is_some() && !pooling {
        return Err((
            Some("pool_dilation"),
            "`pool_dilation` requires pooling".into(),
        ));
    }
    Ok(pool_dilation)
}

/// `output_pad`: 1 for ConvTranspose2d and 0 otherwise by default.
pub(super) fn output_pad(e: &Entry<'_>, op: DescOp) -> Result<usize, KeyError> {
    Ok(match e.with("output_pad", value::count)? {
        Some(p) => p,
        None if op == DescOp::ConvTranspose2d => 1,
        None => 0,
    })
}

/// `buffer_shift` (needs `in_sequences`) and `buffer_insert` (needs `out_offset`), positive.
pub(super) fn buffer_keys(
    e: &Entry<'_>,
    has_in_sequences: bool,
) -> Result<(Option<u32>, Option<u32>), KeyError> {
    let positive = |v: &Value| match value::int(v)? {
        n if n > 0 => u32::try_from(n).map_err(|e| e.to_string()),
        n => Err(format!("must be a positive integer, not {n}")),
    };
    let buffer_shift = e.with("buffer_shift", positive)?;
    if buffer_shift.is_some() && !has_in_sequences {
        return Err((
            Some("buffer_shift"),
            "`buffer_shift` requires the buffer name in `in_sequences`".into(),
        ));
    }
    let buffer_insert = e.with("buffer_insert", positive)?;
    if buffer_insert.is_some() && e.get("out_offset").is_none() {
        return Err((
            Some("buffer_insert"),
            "`buffer_insert` requires `out_offset`".into(),
        ));
    }
    Ok((buffer_shift, buffer_insert))
}

/// A layer's training keys, as [`super::LayerDesc`] keeps them.
pub(super) struct TrainingKeys {
    pub with_bias: Option<bool>,
    pub batchnorm: Option<DescBatchNorm>,
    pub dropout: Option<f32>,
}

/// The training keys `bias`, `batchnorm` and `dropout` of a layer whose operator is `op`.
pub(super) fn training_keys(e: &Entry<'_>, op: DescOp) -> Result<TrainingKeys, KeyError> {
    let with_bias = e.with("bias", |v| match v {
        Value::Bool(b) => Ok(*b),
        other => Err(format!("expected true or false, found {}", kind(other))),
    })?;
    let batchnorm = e.with("batchnorm", batchnorm)?.flatten();
    let dropout = e.with("dropout", dropout)?;
    if batchnorm.is_some() && !is_convolution(op) {
        return Err((
            Some("batchnorm"),
            format!("batch norm needs a convolution; ai8x has none after a {op:?} operator"),
        ));
    }
    if with_bias.is_some() && op == DescOp::Passthrough {
        return Err((
            Some("bias"),
            "a layer without weights (no convolution or linear operator) has no bias".into(),
        ));
    }
    let with_bias = match (batchnorm, with_bias) {
        (Some(_), Some(false)) => {
            return Err((
                Some("bias"),
                "a batch-norm layer needs a bias (ai8x requires `bias` with `batchnorm`)".into(),
            ));
        }
        (Some(_), None) => Some(true),
        (_, b) => b,
    };
    Ok(TrainingKeys {
        with_bias,
        batchnorm,
        dropout,
    })
}

/// The value of `batchnorm`: Affine (or true), NoAffine, or None (or false, or null).
fn batchnorm(v: &Value) -> Result<Option<DescBatchNorm>, String> {
    match v {
        Value::Bool(true) => Ok(Some(DescBatchNorm::Affine)),
        Value::Bool(false) | Value::Null => Ok(None),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "affine" => Ok(Some(DescBatchNorm::Affine)),
            "noaffine" => Ok(Some(DescBatchNorm::NoAffine)),
            "none" => Ok(None),
            _ => Err(format!(
                "unknown batch norm `{s}` (use Affine, NoAffine or None)"
            )),
        },
        other => Err(format!(
            "expected Affine, NoAffine or None, found {}",
            kind(other)
        )),
    }
}

/// The value of `dropout`: a probability in `[0, 1)`.
fn dropout(v: &Value) -> Result<f32, String> {
    let p = match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        other => return Err(format!("expected a probability, found {}", kind(other))),
    };
    if (0.0..1.0).contains(&p) {
        Ok(p as f32)
    } else {
        Err(format!(
            "the probability must be at least 0 and below 1, not {p}"
        ))
    }
}
