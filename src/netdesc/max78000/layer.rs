//! One entry of the YAML `layers` list: every izer key, alias and per-operator default.
//!
//! Owns the per-layer schema, izer's keys plus the training keys qtool adds
//! ([`TRAINING_LAYER_KEYS`]). Cross-layer derivation (channels, dimensions, offsets) is done
//! in `derive.rs`; hardware limits are checked by `device::max78000`.

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

struct Entry<'a> {
    map: &'a Mapping,
}

impl<'a> Entry<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
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

    fn with<T>(
        &self,
        key: &'static str,
        f: impl FnOnce(&'a Value) -> Result<T, String>,
    ) -> Result<Option<T>, KeyError> {
        self.get(key).map(f).transpose().map_err(|m| (Some(key), m))
    }

    fn flag(
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

fn seq_ref(v: &Value) -> Result<SeqRef, String> {
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

/// Parse one `layers` entry with sequence number `seq`.
pub fn parse_layer(seq: usize, item: &Value) -> Result<LayerDesc, KeyError> {
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
    let e = Entry { map };
    let mut warnings = Vec::new();

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

    let (mut pool, mut pool_size) = (None, [1, 1]);
    if let Some(p) = e.with("max_pool", value::pair)? {
        (pool, pool_size) = (Some(PoolKind::Max), p);
    } else if let Some(p) = e.with("avg_pool", value::pair)? {
        (pool, pool_size) = (Some(PoolKind::Avg), p);
    }
    let pool_stride = e.with("pool_stride", value::pair)?;

    let quantization = e.with("quantization", |v| match v {
        Value::String(s) if matches!(s.to_ascii_lowercase().as_str(), "bin" | "binary") => {
            Ok(DescQuant::Binary)
        }
        other => match value::int(other) {
            Ok(b @ (1 | 2 | 4 | 8)) => Ok(DescQuant::Bits(b as u8)),
            _ => Err("`quantization` must be 1, 2, 4, 8 or bin/binary".into()),
        },
    })?;
    let output_shift = e.with("output_shift", value::int)?;
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

    let activation = match e.alias(&["activate", "activation"])? {
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
    };

    let mut op = DescOp::Conv2d;
    let mut eltwise = None;
    let mut pad = [1, 1];
    let mut kernel = [3, 3];
    let mut kernel_is_default = true;
    match e.alias(&["convolution", "operation", "operator", "op"])? {
        None => warnings.push("no `op`: defaulting to Conv2d".into()),
        Some((k, v)) => {
            let name = value::string(v)
                .map_err(|m| (Some(k), m))?
                .to_ascii_lowercase();
            match name.as_str() {
                "conv1d" => op = DescOp::Conv1d,
                "conv2d" => op = DescOp::Conv2d,
                "convtranspose2d" => op = DescOp::ConvTranspose2d,
                "none" | "passthrough" => (op, pad) = (DescOp::Passthrough, [0, 0]),
                "linear" | "fc" | "mlp" => {
                    (op, kernel, pad, kernel_is_default) = (DescOp::Linear, [1, 1], [0, 0], false)
                }
                other => match eltwise_name(other, true) {
                    Some(x) => (op, eltwise, pad) = (DescOp::Passthrough, Some(x), [0, 0]),
                    None => return Err((Some(k), format!("unknown operator `{other}`"))),
                },
            }
        }
    }
    let pad_explicit = e.get("pad").is_some();
    if let Some(p) = e.with("pad", value::count)? {
        pad = [p, p];
    }
    let mut dilation = e.with("dilation", value::pair)?.unwrap_or([1, 1]);
    if e.get("dilation").is_some() && op == DescOp::Passthrough {
        return Err((
            Some("dilation"),
            "`dilation` requires a convolution operator".into(),
        ));
    }
    if let Some(v) = e.get("eltwise") {
        let s = value::string(v).map_err(|m| (Some("eltwise"), m))?;
        eltwise = Some(eltwise_name(s, false).ok_or((
            Some("eltwise"),
            format!("unknown element-wise operation `{s}`"),
        ))?);
    }
    let pool_first = e.flag("pool_first", &mut warnings)?.unwrap_or(true);
    let mut operands = if eltwise.is_some() { 2 } else { 1 };
    if let Some(n) = e.with("operands", value::count)? {
        if eltwise.is_none() {
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
        operands = n;
    }
    let data_format = match e.with("data_format", |v| {
        value::string(v).map(str::to_ascii_lowercase)
    })? {
        None => DataFormat::Hwc,
        Some(s) if s == "chw" || s == "big" => DataFormat::Chw,
        Some(s) if s == "hwc" || s == "little" => DataFormat::Hwc,
        Some(s) => {
            return Err((
                Some("data_format"),
                format!("unknown data format `{s}` (use CHW or HWC)"),
            ));
        }
    };
    let output_width = match e.with("output_width", value::int)? {
        None | Some(8) => OutputWidth::Bits8,
        Some(32) => OutputWidth::Bits32,
        Some(w) => {
            return Err((
                Some("output_width"),
                format!("`output_width` must be 8 or 32, not {w}"),
            ));
        }
    };
    if let Some(v) = e.get("kernel_size") {
        if !kernel_is_default {
            return Err((
                Some("kernel_size"),
                "cannot configure `kernel_size` for fully connected layers".into(),
            ));
        }
        let text = match v {
            Value::String(s) => s.to_ascii_lowercase(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err((
                    Some("kernel_size"),
                    format!("expected `1x1`, `3x3` or an integer, found {}", kind(other)),
                ));
            }
        };
        kernel = match op {
            DescOp::Conv2d if text == "1x1" => [1, 1],
            DescOp::Conv2d | DescOp::ConvTranspose2d if text == "3x3" => [3, 3],
            DescOp::Conv2d | DescOp::ConvTranspose2d => {
                return Err((
                    Some("kernel_size"),
                    format!(
                        "unsupported kernel size `{text}` for {op:?} (MAX78000: 1x1 or 3x3 for Conv2d, 3x3 for ConvTranspose2d)"
                    ),
                ));
            }
            _ => match text.parse::<usize>() {
                Ok(k @ 1..=9) => [k, 1],
                _ => {
                    return Err((
                        Some("kernel_size"),
                        format!("unsupported kernel size `{text}` (expected 1 to 9)"),
                    ));
                }
            },
        };
    } else if op == DescOp::Conv1d {
        kernel = [9, 1];
    }
    let mut stride = [1, 1];
    if let Some(v) = e.get("stride") {
        let [a, b] = value::pair(v).map_err(|m| (Some("stride"), m))?;
        if a != b {
            return Err((
                Some("stride"),
                "`stride` values must be equal in both dimensions".into(),
            ));
        }
        if pool.is_some() {
            if a != 1 {
                return Err((
                    Some("stride"),
                    "cannot set `stride` other than 1 when pooling".into(),
                ));
            }
        } else {
            if op == DescOp::ConvTranspose2d && a != 2 {
                return Err((Some("stride"), "ConvTranspose2d requires `stride` 2".into()));
            }
            stride = [a, a];
        }
    }
    let streaming = e.flag("streaming", &mut warnings)?.unwrap_or(false);
    let flatten = e.flag("flatten", &mut warnings)?.unwrap_or(false);
    let in_sequences = e.with("in_sequences", |v| match v {
        Value::Sequence(items) => items.iter().map(seq_ref).collect(),
        other => seq_ref(other).map(|r| vec![r]),
    })?;
    let next_sequence = e.with("next_sequence", seq_ref_or_stop)?;
    let simulated_sequence = e.with("simulated_sequence", seq_ref_or_stop)?;
    let conv_groups = match e.alias(&["conv_groups", "groups"])? {
        Some((k, v)) => value::count(v).map_err(|m| (Some(k), m))?,
        None => 1,
    };
    let write_gap = e.with("write_gap", value::uint)?.unwrap_or(0);
    let bias_group = match e.alias(&["bias_group", "bias_quadrant"])? {
        Some((k, Value::Sequence(items))) => Some(
            items
                .iter()
                .map(value::uint)
                .collect::<Result<_, _>>()
                .map_err(|m| (Some(k), m))?,
        ),
        Some((k, v)) => Some(vec![value::uint(v).map_err(|m| (Some(k), m))?]),
        None => None,
    };
    let mut ai87_only = Vec::new();
    for key in ["bypass", "calcx4", "readahead", "tcalc"] {
        if e.flag(key, &mut warnings)? == Some(true) {
            ai87_only.push(key);
        }
    }
    if e.get("snoop_sequence").is_some() {
        ai87_only.push("snoop_sequence");
    }
    let pool_dilation = e.with("pool_dilation", value::pair)?.unwrap_or([1, 1]);
    if e.get("pool_dilation").is_some() && pool.is_none() {
        return Err((
            Some("pool_dilation"),
            "`pool_dilation` requires pooling".into(),
        ));
    }
    let output_pad = match e.with("output_pad", value::count)? {
        Some(p) => p,
        None if op == DescOp::ConvTranspose2d => 1,
        None => 0,
    };
    let output = e.flag("output", &mut warnings)?.unwrap_or(false);
    let weight_source = e.with("weight_source", seq_ref)?;
    let positive = |v: &Value| match value::int(v)? {
        n if n > 0 => u32::try_from(n).map_err(|e| e.to_string()),
        n => Err(format!("must be a positive integer, not {n}")),
    };
    let buffer_shift = e.with("buffer_shift", positive)?;
    if buffer_shift.is_some() && in_sequences.is_none() {
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
    let name = e.with("name", |v| value::string(v).map(str::to_string))?;
    let TrainingKeys {
        with_bias,
        batchnorm,
        dropout,
    } = training_keys(&e, op)?;

    // Per-operator fix-ups, as izer applies them at the end of each entry.
    let mut pool_stride = pool_stride;
    match op {
        DescOp::Conv1d => {
            pad[1] = 0;
            pool_size[1] = 1;
            if let Some(s) = pool_stride.as_mut() {
                s[1] = 1;
            }
            stride[1] = 1;
            dilation[1] = 1;
        }
        DescOp::Passthrough => kernel = [1, 1],
        DescOp::ConvTranspose2d => stride = [2, 2],
        _ => {}
    }
    let pool_stride = match pool_stride {
        Some(s) => s,
        None => {
            if pool.is_some() {
                warnings.push("no `pool_stride`: using the default pool stride of 1".into());
            }
            [1, 1]
        }
    };
    let mut pool_dilation = pool_dilation;
    if op == DescOp::Conv1d {
        pool_dilation[1] = 1;
    }
    if !pool_first && (operands == 1 || pool.is_none() || pool_size == [1, 1]) {
        return Err((
            Some("pool_first"),
            "`pool_first: false` requires both pooling and an element-wise operation".into(),
        ));
    }

    Ok(LayerDesc {
        seq,
        name,
        processors,
        output_processors,
        op,
        eltwise,
        operands,
        pool_first,
        pool,
        pool_size,
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
        in_channels,
        out_channels,
        in_dim,
        in_crop,
        in_offset,
        out_offset,
        read_gap,
        in_channel_skip,
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
        with_bias,
        batchnorm,
        dropout,
        refs: PendingRefs {
            in_sequences,
            next_sequence,
            simulated_sequence,
            weight_source,
        },
        warnings,
    })
}

/// A layer's training keys, as [`LayerDesc`] keeps them.
struct TrainingKeys {
    with_bias: Option<bool>,
    batchnorm: Option<DescBatchNorm>,
    dropout: Option<f32>,
}

/// The training keys `bias`, `batchnorm` and `dropout` of a layer whose operator is `op`.
fn training_keys(e: &Entry<'_>, op: DescOp) -> Result<TrainingKeys, KeyError> {
    let with_bias = e.with("bias", |v| match v {
        Value::Bool(b) => Ok(*b),
        other => Err(format!("expected true or false, found {}", kind(other))),
    })?;
    let batchnorm = e
        .with("batchnorm", |v| match v {
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
        })?
        .flatten();
    let dropout = e.with("dropout", |v| {
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
    })?;
    let convolution = matches!(
        op,
        DescOp::Conv1d | DescOp::Conv2d | DescOp::ConvTranspose2d
    );
    if batchnorm.is_some() && !convolution {
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
