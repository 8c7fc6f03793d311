//! Assigning the tensors of a quantized PyTorch checkpoint to YAML layers, with izer's
//! rules: state-dict order, exact key matching, bias scaling and output-shift lookup.
//!
//! Owns the checkpoint ↔ layer mapping only. Must not derive shapes or check hardware limits.

use super::NetworkDesc;
use super::error::DescError;
use super::layer::{DescOp, DescQuant};
use crate::checkpoint::{RawTensor, TorchCheckpoint};
use crate::ir::WeightBits;

/// Options of the mapping that izer exposes on its command line.
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    /// Ignore the first N weight tensors (`--skip-checkpoint-layers`).
    pub skip_checkpoint_layers: usize,
    /// Layer indices whose bias is dropped (`--no-bias`).
    pub no_bias: Vec<usize>,
}

/// The integer data of one weighted layer, as izer reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    /// State-dict key of the weights.
    pub key: String,
    /// Weights as stored (framework layout), integer-valued.
    pub weights: RawTensor,
    /// Bias key and integer bias values β, if the layer has a bias.
    pub bias: Option<(String, Vec<i64>)>,
    pub weight_bits: WeightBits,
    /// Output shift without the implicit `8 − bits`.
    pub output_shift: i64,
    pub in_channels: usize,
    pub out_channels: usize,
}

/// Result of mapping a checkpoint onto a description.
#[derive(Debug, Clone)]
pub struct CheckpointMap {
    /// Per YAML layer: its weights, or `None` for a layer without weights.
    pub layers: Vec<Option<LayerWeights>>,
    pub warnings: Vec<String>,
}

/// Split a key at its last two dots: (layer, op, parameter).
fn split_key(k: &str) -> Option<(&str, Option<&str>, &str)> {
    let (head, param) = k.rsplit_once('.')?;
    Some(match head.rsplit_once('.') {
        Some((layer, op)) => (layer, Some(op), param),
        None => (head, None, param),
    })
}

fn lookup<'a>(ckpt: &'a TorchCheckpoint, key: &str) -> Option<&'a RawTensor> {
    ckpt.state_dict
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, t)| t)
}

fn takes_weights(op: DescOp, weight_source: Option<i64>, bypass: bool) -> bool {
    op != DescOp::Passthrough && weight_source.is_none() && !bypass
}

/// Map `ckpt` (read from `file`) onto the layers of `desc`.
pub fn map_checkpoint(
    desc: &NetworkDesc,
    ckpt: &TorchCheckpoint,
    file: &str,
    opts: &MapOptions,
) -> Result<CheckpointMap, DescError> {
    let err = |layer: Option<usize>, key: Option<&str>, msg: String| {
        DescError::new(file, layer, key, msg)
    };
    let mut warnings = Vec::new();
    match &ckpt.arch {
        Some(a) if !a.eq_ignore_ascii_case(&desc.arch) => {
            return Err(err(
                None,
                Some("arch"),
                format!(
                    "checkpoint architecture `{a}` does not match `{}` of {}",
                    desc.arch, desc.file
                ),
            ));
        }
        None => warnings.push("checkpoint has no `arch`".into()),
        _ => {}
    }
    if ckpt.epoch.is_none() {
        return Err(err(None, Some("epoch"), "no `epoch` in checkpoint".into()));
    }
    let n = desc.layers.len();
    let mut out: Vec<Option<LayerWeights>> = vec![None; n];
    let mut used: Vec<String> = Vec::new();
    let mut seq = 0usize;
    let mut consumed = 0usize;
    let mut skip = opts.skip_checkpoint_layers;
    let bypass = |l: &super::LayerDesc| l.ai87_only.contains(&"bypass");
    for (key, tensor) in &ckpt.state_dict {
        while seq < n
            && !takes_weights(
                desc.layers[seq].op,
                desc.layers[seq].weight_source,
                bypass(&desc.layers[seq]),
            )
        {
            seq += 1;
        }
        let Some((layer, op, param)) = split_key(key) else {
            continue;
        };
        if param != "weight" || consumed >= n || seq >= n {
            continue;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let l = &desc.layers[seq];
        if tensor.shape.len() <= 1 {
            let hint = if op == Some("bn") {
                "; fold the BatchNorm layers first (qtool fuse)"
            } else {
                ""
            };
            return Err(err(
                Some(seq),
                Some(key),
                format!("1-dimensional weights {:?}{hint}", tensor.shape),
            ));
        }
        let ints: Vec<i64> = tensor.values.iter().map(|v| v.trunc() as i64).collect();
        let all_zero = ints.iter().all(|v| *v == 0);
        let wb_key = format!("{layer}.weight_bits");
        let wb = lookup(ckpt, &wb_key)
            .and_then(RawTensor::scalar)
            .map_or(8, |v| v.trunc() as i64);
        let bits = match l.quantization {
            Some(DescQuant::Binary) => {
                return Err(err(
                    Some(seq),
                    Some("quantization"),
                    "binary weights are a MAX78002 feature".into(),
                ));
            }
            Some(DescQuant::Bits(b)) => i64::from(b),
            None if all_zero => 1,
            None if wb == 0 => 8,
            None => wb,
        };
        let weight_bits = u8::try_from(bits)
            .ok()
            .and_then(|b| crate::device::max78000::weight_bits(b).ok())
            .ok_or_else(|| {
                err(
                    Some(seq),
                    Some(&wb_key),
                    format!("weight width {bits} is not 1, 2, 4 or 8 bits"),
                )
            })?;
        let (lo, hi) = weight_bits.range();
        if let Some(bad) = ints.iter().find(|v| **v < lo || **v > hi) {
            return Err(err(
                Some(seq),
                Some(key),
                format!(
                    "weight {bad} does not fit {weight_bits}-bit quantization [{lo}, {hi}]; is the checkpoint quantized?"
                ),
            ));
        }
        let shape = &tensor.shape;
        let groups = l.conv_groups.max(1);
        let (in_ch, out_ch) = if l.op == DescOp::ConvTranspose2d {
            (shape[0], shape[1] * groups)
        } else {
            (shape[1] * groups, shape[0])
        };
        let expected = match shape.len() {
            2 => [1, 1],
            3 => [shape[2], 1],
            _ => [shape[2], shape[3]],
        };
        if shape.len() > 4 || l.kernel != expected {
            return Err(err(
                Some(seq),
                Some("kernel_size"),
                format!(
                    "checkpoint `{key}` has shape {shape:?}, so `kernel_size` should be {}x{} instead of {}x{}",
                    expected[0], expected[1], l.kernel[0], l.kernel[1]
                ),
            ));
        }
        let bias_key = match op {
            Some(o) => format!("{layer}.{o}.bias"),
            None => format!("{layer}.bias"),
        };
        let bias = match lookup(ckpt, &bias_key) {
            Some(b) if !opts.no_bias.contains(&seq) => {
                let div = 2f32.powi(if wb == 0 { 8 } else { wb as i32 } - 1);
                let beta: Vec<i64> = b
                    .values
                    .iter()
                    .map(|v| (*v as f32 / div).floor() as i64)
                    .collect();
                if let Some(bad) = beta.iter().find(|v| !(-128..=127).contains(*v)) {
                    return Err(err(
                        Some(seq),
                        Some(&bias_key),
                        format!("bias {bad} does not fit 8 bits"),
                    ));
                }
                if beta.iter().all(|v| *v == 0) {
                    warnings.push(format!("all bias values of `{bias_key}` are zero"));
                }
                used.push(bias_key.clone());
                Some((bias_key.clone(), beta))
            }
            _ => None,
        };
        let output_shift = match l.output_shift {
            Some(s) => s,
            None => {
                let k = format!("{layer}.output_shift");
                match lookup(ckpt, &k) {
                    Some(t) if t.numel() == 1 => t.values[0].trunc() as i64,
                    Some(t) => {
                        return Err(err(
                            Some(seq),
                            Some(&k),
                            format!("expected one value, found {}", t.numel()),
                        ));
                    }
                    None => 0,
                }
            }
        };
        used.push(key.clone());
        out[seq] = Some(LayerWeights {
            key: key.clone(),
            weights: tensor.clone(),
            bias,
            weight_bits,
            output_shift,
            in_channels: in_ch,
            out_channels: out_ch,
        });
        consumed += 1;
        seq += 1;
    }
    for (i, l) in desc.layers.iter().enumerate() {
        if let Some(src) = l.weight_source {
            let copy = usize::try_from(src)
                .ok()
                .and_then(|s| out.get(s).cloned().flatten());
            out[i] = Some(copy.ok_or_else(|| {
                err(
                    Some(i),
                    Some("weight_source"),
                    format!("layer {src} has no weights to share"),
                )
            })?);
        }
    }
    let expected = desc
        .layers
        .iter()
        .filter(|l| takes_weights(l.op, l.weight_source, bypass(l)))
        .count();
    if consumed != expected {
        return Err(err(
            None,
            None,
            format!(
                "number of layers in the YAML configuration file {} ({n}) does not match the checkpoint file ({}): the YAML has {expected} layers with weights, the checkpoint {consumed} weight tensors",
                desc.file,
                n - expected + consumed
            ),
        ));
    }
    let leftover: Vec<&str> = ckpt
        .state_dict
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| {
            split_key(k).is_some_and(|(_, _, p)| p == "weight" || p == "bias")
                && !used.iter().any(|u| u == k)
        })
        .collect();
    if !leftover.is_empty() {
        warnings.push(format!(
            "checkpoint keys not used (izer ignores them too): {}",
            leftover.join(", ")
        ));
    }
    Ok(CheckpointMap {
        layers: out,
        warnings,
    })
}
