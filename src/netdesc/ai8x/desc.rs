//! The whole YAML network description: global keys, the layer list, sequence numbers, name
//! resolution and izer's shared-default quirks, plus the global training key `input`.
//!
//! Owns turning YAML text into [`NetworkDesc`]. Must not read checkpoints or sample data.

use super::error::DescError;
use super::layer::parse_layer;
use super::layer_desc::{DescOp, LayerDesc, SeqRef};
use super::value;
use crate::device::ai8x::{DataBuffer, ProcessorMask, UnloadRegion};
use crate::ir::Shape;
use serde_yaml::{Mapping, Value};
use std::path::Path;

/// Top-level keys izer accepts.
pub const GLOBAL_KEYS: &[&str] = &[
    "arch",
    "dataset",
    "layers",
    "bias",
    "weights",
    "unload",
    "output_map",
    "snoop",
    "data_buffer",
];

/// Top-level keys qtool reads for training; izer does not know them.
pub const TRAINING_GLOBAL_KEYS: &[&str] = &["input"];

/// Most layers a MAX78000 network description may define.
/// Layers of a MAX78000 description (what [`parse`] and [`load`] allow).
const MAX78000_SEQUENCE: usize = 32;

/// A parsed MAX78000 network description.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkDesc {
    /// File the description came from (for messages).
    pub file: String,
    pub arch: String,
    pub dataset: String,
    /// Layers in sequence order, holes removed.
    pub layers: Vec<LayerDesc>,
    pub output_map: Option<ProcessorMask>,
    pub unload: Option<Vec<UnloadRegion>>,
    pub data_buffer: Option<Vec<DataBuffer>>,
    /// Training key `input`: the network's input shape, `[C, H, W]` or `[C, L]`. Used when no
    /// explicit shape or sample input is given (see [`super::load_max78000`]).
    pub input: Option<Shape>,
    /// Remarks that do not stop processing (izer's warnings).
    pub warnings: Vec<String>,
}

/// Read and parse a description file.
pub fn load(path: &Path) -> Result<NetworkDesc, DescError> {
    load_with_layers(path, MAX78000_SEQUENCE)
}

/// [`load`] for a device that runs up to `max_layers` layers.
pub fn load_with_layers(path: &Path, max_layers: usize) -> Result<NetworkDesc, DescError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| DescError::new(&file, None, None, format!("cannot read: {e}")))?;
    parse_with_layers(&text, &file, max_layers)
}

fn mapping_keys<'a>(m: &'a Mapping, file: &str, what: &str) -> Result<Vec<&'a str>, DescError> {
    m.keys()
        .map(|k| {
            k.as_str().ok_or_else(|| {
                DescError::new(
                    file,
                    None,
                    None,
                    format!("{what} keys must be strings, found {}", value::kind(k)),
                )
            })
        })
        .collect()
}

/// Parse description text for the MAX78000; `file` names it in messages.
pub fn parse(text: &str, file: &str) -> Result<NetworkDesc, DescError> {
    parse_with_layers(text, file, MAX78000_SEQUENCE)
}

/// Parse description text for a device that runs up to `max_layers` layers.
pub fn parse_with_layers(
    text: &str,
    file: &str,
    max_layers: usize,
) -> Result<NetworkDesc, DescError> {
    let err = |layer: Option<usize>, key: Option<&str>, msg: String| {
        DescError::new(file, layer, key, msg)
    };
    let root: Value = serde_yaml::from_str(text).map_err(|e| yaml_error(&e, file))?;
    let top = root.as_mapping().ok_or_else(|| {
        err(
            None,
            None,
            format!(
                "expected a mapping at the top level, found {}",
                value::kind(&root)
            ),
        )
    })?;
    let keys = mapping_keys(top, file, "top-level")?;
    if let Some(k) = keys
        .iter()
        .find(|k| !GLOBAL_KEYS.contains(k) && !TRAINING_GLOBAL_KEYS.contains(k))
    {
        return Err(err(
            None,
            Some(k),
            format!(
                "unknown top-level key (allowed: {}; for training: {})",
                GLOBAL_KEYS.join(", "),
                TRAINING_GLOBAL_KEYS.join(", ")
            ),
        ));
    }
    for required in ["layers", "arch", "dataset"] {
        if !top.contains_key(required) {
            return Err(err(
                None,
                Some(required),
                "missing required top-level key".into(),
            ));
        }
    }
    let scalar = |key: &str| -> Result<String, DescError> {
        match &top[key] {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(err(
                None,
                Some(key),
                format!("expected a string, found {}", value::kind(other)),
            )),
        }
    };
    let arch = scalar("arch")?;
    let dataset = scalar("dataset")?;
    let output_map = top
        .get("output_map")
        .map(value::processor_mask)
        .transpose()
        .map_err(|m| err(None, Some("output_map"), m))?;
    let input = top
        .get("input")
        .map(parse_input)
        .transpose()
        .map_err(|m| err(None, Some("input"), m))?;
    let items = top["layers"].as_sequence().ok_or_else(|| {
        err(
            None,
            Some("layers"),
            format!(
                "expected a list of layers, found {}",
                value::kind(&top["layers"])
            ),
        )
    })?;

    let mut slots: Vec<Option<LayerDesc>> = vec![None; max_layers];
    let mut sequence: i64 = 0;
    for item in items {
        let explicit = item.as_mapping().and_then(|m| m.get("sequence"));
        if let Some(s) = explicit {
            sequence = value::int(s)
                .map_err(|m| err(usize::try_from(sequence).ok(), Some("sequence"), m))?;
        }
        let seq = usize::try_from(sequence).ok().filter(|s| *s < max_layers).ok_or_else(|| {
            let layer = usize::try_from(sequence).ok();
            if explicit.is_some() {
                err(layer, Some("sequence"), format!("layer sequence {sequence} is out of range (this device supports up to {max_layers} layers)"))
            } else {
                err(layer, Some("layers"), format!("the description lists {} layers, the device runs at most {max_layers}", items.len()))
            }
        })?;
        if slots[seq].is_some() {
            return Err(err(
                Some(seq),
                Some("sequence"),
                "layer was already specified".into(),
            ));
        }
        let layer = parse_layer(seq, item).map_err(|(k, m)| err(Some(seq), k, m))?;
        slots[seq] = Some(layer);
        sequence += 1;
    }
    let mut layers: Vec<LayerDesc> = slots.into_iter().flatten().collect();
    let mut warnings = Vec::new();
    if layers.is_empty() {
        return Err(err(
            None,
            Some("layers"),
            "the network has no layers".into(),
        ));
    }
    if layers.iter().enumerate().any(|(i, l)| l.seq != i) {
        warnings.push(
            "layer sequence numbers have holes; numeric references are not renumbered".into(),
        );
    }
    for (i, l) in layers.iter_mut().enumerate() {
        l.seq = i;
    }

    let data_buffer = top
        .get("data_buffer")
        .map(|v| parse_data_buffer(v))
        .transpose()
        .map_err(|(k, m)| err(None, k, m))?;
    let buffer_name = data_buffer
        .as_ref()
        .and_then(|b| b.last())
        .map(|b| b.name.clone());
    resolve_references(&mut layers, buffer_name.as_deref())
        .map_err(|(l, k, m)| err(Some(l), Some(k), m))?;
    apply_shared_pad_default(&mut layers, &mut warnings);
    let unload = top
        .get("unload")
        .map(parse_unload)
        .transpose()
        .map_err(|(k, m)| err(None, k, m))?;

    Ok(NetworkDesc {
        file: file.to_string(),
        arch,
        dataset,
        layers,
        output_map,
        unload,
        data_buffer,
        input,
        warnings,
    })
}

/// The training key `input`: `[C, H, W]` or `[C, L]`, every extent positive.
fn parse_input(v: &Value) -> Result<Shape, String> {
    let items = v
        .as_sequence()
        .ok_or_else(|| format!("expected [C, H, W] or [C, L], found {}", value::kind(v)))?;
    let n = items
        .iter()
        .map(value::count)
        .collect::<Result<Vec<usize>, String>>()?;
    if n.contains(&0) {
        return Err(format!("every extent must be positive, found {n:?}"));
    }
    match *n.as_slice() {
        [c, l] => Ok(Shape::d1(c, l)),
        [c, h, w] => Ok(Shape::d2(c, h, w)),
        _ => Err(format!(
            "expected [C, H, W] or [C, L], found a list of {}",
            n.len()
        )),
    }
}

/// Turn a YAML reader error into a message; values the reader cannot hold (integers beyond
/// 64 bits) come with a path such as `layers[3].processors`, which names layer and key.
fn yaml_error(e: &serde_yaml::Error, file: &str) -> DescError {
    let at = e
        .location()
        .map(|l| format!(" at line {} column {}", l.line(), l.column()))
        .unwrap_or_default();
    let msg = e.to_string();
    let first = msg.lines().next().unwrap_or("");
    let located = first.strip_prefix("layers[").and_then(|rest| {
        let (index, rest) = rest.split_once("].")?;
        let (key, detail) = rest.split_once(": ")?;
        let detail = detail.split(" at line ").next()?;
        Some((
            index.parse::<usize>().ok()?,
            key.to_string(),
            detail.to_string(),
        ))
    });
    match located {
        Some((layer, key, detail)) if detail.contains("integer") => DescError::new(
            file,
            Some(layer),
            Some(&key),
            format!("{detail} (values are limited to 64 bits; MAX78000 has 64 processors)"),
        ),
        _ => DescError::new(file, None, None, format!("YAML syntax error{at}: {first}")),
    }
}

/// Resolve layer names (case-insensitive; `input` = −1, the buffer name = −2).
fn resolve_references(
    layers: &mut [LayerDesc],
    buffer: Option<&str>,
) -> Result<(), (usize, &'static str, String)> {
    let names: Vec<Option<String>> = layers
        .iter()
        .map(|l| l.name.as_ref().map(|n| n.to_ascii_lowercase()))
        .collect();
    for (i, n) in names.iter().enumerate() {
        if let Some(n) = n {
            if n == "input" || n == "stop" {
                return Err((
                    i,
                    "name",
                    format!("`{n}` is reserved and cannot name a layer"),
                ));
            }
            if names[..i].iter().flatten().any(|m| m == n) {
                return Err((i, "name", format!("layer name `{n}` is used twice")));
            }
        }
    }
    let find = |layer: usize,
                key: &'static str,
                r: &SeqRef|
     -> Result<i64, (usize, &'static str, String)> {
        match r {
            SeqRef::Index(i) => Ok(*i),
            SeqRef::Name(n) => {
                let n = n.to_ascii_lowercase();
                if n == "input" {
                    return Ok(-1);
                }
                if let Some(i) = names.iter().position(|m| m.as_deref() == Some(n.as_str())) {
                    return Ok(i as i64);
                }
                if buffer.is_some_and(|b| b == n) {
                    return Ok(-2);
                }
                Err((layer, key, format!("no layer is named `{n}`")))
            }
        }
    };
    for (i, l) in layers.iter_mut().enumerate() {
        let refs = std::mem::take(&mut l.refs);
        l.in_sequences = refs
            .in_sequences
            .map(|v| v.iter().map(|r| find(i, "in_sequences", r)).collect())
            .transpose()?;
        l.next_sequence = refs
            .next_sequence
            .map(|r| find(i, "next_sequence", &r))
            .transpose()?;
        l.simulated_sequence = refs
            .simulated_sequence
            .map(|r| find(i, "simulated_sequence", &r))
            .transpose()?;
        l.weight_source = refs
            .weight_source
            .map(|r| find(i, "weight_source", &r))
            .transpose()?;
    }
    Ok(())
}

/// izer keeps one shared list as the default `pad` of every layer; a Conv1d layer without
/// its own `pad` sets that list's second entry to 0, which every other layer using the default
/// then sees. Reproduced here for bit-compatibility, with a warning.
fn apply_shared_pad_default(layers: &mut [LayerDesc], warnings: &mut Vec<String>) {
    let uses_default = |l: &LayerDesc| {
        !l.pad_explicit
            && matches!(
                l.op,
                DescOp::Conv1d | DescOp::Conv2d | DescOp::ConvTranspose2d
            )
    };
    let Some(culprit) = layers
        .iter()
        .find(|l| uses_default(l) && l.op == DescOp::Conv1d)
        .map(|l| l.seq)
    else {
        return;
    };
    for l in layers
        .iter_mut()
        .filter(|l| uses_default(l) && l.op != DescOp::Conv1d)
    {
        l.pad = [1, 0];
        warnings.push(format!(
            "layer {}: default `pad` becomes [1, 0] because Conv1d layer {culprit} has no `pad` (izer's shared default); set `pad` explicitly",
            l.seq
        ));
    }
}

type KeyErr = (Option<&'static str>, String);

fn entries<'a>(v: &'a Value, key: &'static str) -> Result<Vec<&'a Mapping>, KeyErr> {
    let items = v.as_sequence().ok_or((
        Some(key),
        format!("expected a list, found {}", value::kind(v)),
    ))?;
    items
        .iter()
        .map(|i| {
            i.as_mapping().ok_or((
                Some(key),
                format!("expected a list of mappings, found {}", value::kind(i)),
            ))
        })
        .collect()
}

fn need<'a>(m: &'a Mapping, key: &'static str, section: &'static str) -> Result<&'a Value, KeyErr> {
    m.get(key)
        .ok_or((Some(section), format!("every entry needs `{key}`")))
}

fn check_keys(m: &Mapping, allowed: &[&str], section: &'static str) -> Result<(), KeyErr> {
    for k in m.keys() {
        match k.as_str() {
            Some(s) if allowed.contains(&s) => {}
            _ => {
                return Err((
                    Some(section),
                    format!("unknown key {:?} (allowed: {})", k, allowed.join(", ")),
                ));
            }
        }
    }
    Ok(())
}

/// izer reads `width` only when a key spelled `with` exists, so the width is always 8.
fn quirky_width(_m: &Mapping) -> u32 {
    8
}

fn parse_unload(v: &Value) -> Result<Vec<UnloadRegion>, KeyErr> {
    const S: &str = "unload";
    entries(v, S)?
        .into_iter()
        .map(|m| {
            check_keys(
                m,
                &[
                    "processors",
                    "dim",
                    "offset",
                    "width",
                    "write_gap",
                    "channels",
                ],
                S,
            )?;
            let k = |key| move |msg: String| (Some(S), format!("`{key}`: {msg}"));
            Ok(UnloadRegion {
                processors: value::processor_mask(need(m, "processors", S)?)
                    .map_err(k("processors"))?,
                channels: value::count(need(m, "channels", S)?).map_err(k("channels"))?,
                dim: value::dim(need(m, "dim", S)?).map_err(k("dim"))?,
                offset: value::uint(need(m, "offset", S)?).map_err(k("offset"))?,
                width: quirky_width(m),
                write_gap: m
                    .get("write_gap")
                    .map(value::uint)
                    .transpose()
                    .map_err(k("write_gap"))?
                    .unwrap_or(0),
            })
        })
        .collect()
}

fn parse_data_buffer(v: &Value) -> Result<Vec<DataBuffer>, KeyErr> {
    const S: &str = "data_buffer";
    entries(v, S)?
        .into_iter()
        .map(|m| {
            check_keys(
                m,
                &["processors", "dim", "offset", "width", "channels", "name"],
                S,
            )?;
            let k = |key| move |msg: String| (Some(S), format!("`{key}`: {msg}"));
            Ok(DataBuffer {
                name: value::string(need(m, "name", S)?)
                    .map_err(k("name"))?
                    .to_ascii_lowercase(),
                processors: value::processor_mask(need(m, "processors", S)?)
                    .map_err(k("processors"))?,
                dim: value::dim(need(m, "dim", S)?).map_err(k("dim"))?,
                channels: value::count(need(m, "channels", S)?).map_err(k("channels"))?,
                offset: value::uint(need(m, "offset", S)?).map_err(k("offset"))?,
                width: quirky_width(m),
            })
        })
        .collect()
}
