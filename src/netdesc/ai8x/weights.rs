//! Assigning the tensors of a quantized PyTorch checkpoint to YAML layers, with izer's
//! rules: state-dict order, exact key matching, bias scaling and output-shift lookup.
//!
//! Owns the checkpoint ↔ layer mapping only. Must not derive shapes or check hardware limits.

use super::NetworkDesc;
use super::error::DescError;
use super::layer_desc::{DescOp, DescQuant, LayerDesc};
use crate::checkpoint::{RawTensor, TorchCheckpoint};
use crate::ir::WeightBits;

/// Options of the mapping that izer exposes on its command line.
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    /// Ignore the first N weight tensors (`--skip-checkpoint-layers`).
    pub skip_checkpoint_layers: usize,
    /// Layer indices whose bias is dropped (`--no-bias`).
    pub no_bias: Vec<usize>,
    /// The chip takes binary ±1 weights: `quantization: bin` is allowed, and weights that are
    /// all ±1 without a `quantization` key are read as binary (izer's rule).
    pub binary_weights: bool,
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
    /// The weights are ±1 (`weight_bits` is then 1).
    pub binary: bool,
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

/// Whether layer `l` reads the next weight tensor: it has an operator with weights, shares
/// none and is not bypassed.
fn takes_weights(l: &LayerDesc) -> bool {
    l.op != DescOp::Passthrough && l.weight_source.is_none() && !l.ai87_only.contains(&"bypass")
}

/// Map `ckpt` (read from `file`) onto the layers of `desc`.
pub fn map_checkpoint(
    desc: &NetworkDesc,
    ckpt: &TorchCheckpoint,
    file: &str,
    opts: &MapOptions,
) -> Result<CheckpointMap, DescError> {
    let m = Mapper {
        desc,
        ckpt,
        file,
        opts,
    };
    let mut warnings = Vec::new();
    m.check_header(&mut warnings)?;
    let n = desc.layers.len();
    let mut out: Vec<Option<LayerWeights>> = vec![None; n];
    let mut used: Vec<String> = Vec::new();
    let mut seq = 0usize;
    let mut consumed = 0usize;
    let mut skip = opts.skip_checkpoint_layers;
    for (key, tensor) in &ckpt.state_dict {
        while seq < n && !takes_weights(&desc.layers[seq]) {
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
        let weights = m.layer_weights(seq, key, tensor, (layer, op), &mut warnings)?;
        if let Some((bias_key, _)) = &weights.bias {
            used.push(bias_key.clone());
        }
        used.push(key.clone());
        out[seq] = Some(weights);
        consumed += 1;
        seq += 1;
    }
    m.share_weights(&mut out)?;
    m.check_layer_count(consumed)?;
    if let Some(w) = leftover_warning(ckpt, &used) {
        warnings.push(w);
    }
    Ok(CheckpointMap {
        layers: out,
        warnings,
    })
}

/// The inputs of one [`map_checkpoint`].
struct Mapper<'a> {
    desc: &'a NetworkDesc,
    ckpt: &'a TorchCheckpoint,
    file: &'a str,
    opts: &'a MapOptions,
}

impl Mapper<'_> {
    fn err(&self, layer: Option<usize>, key: Option<&str>, msg: String) -> DescError {
        DescError::new(self.file, layer, key, msg)
    }

    /// The checkpoint's `arch` must match the description's (a warning when absent), and it
    /// must have an `epoch`.
    fn check_header(&self, warnings: &mut Vec<String>) -> Result<(), DescError> {
        let (desc, ckpt) = (self.desc, self.ckpt);
        match &ckpt.arch {
            Some(a) if !a.eq_ignore_ascii_case(&desc.arch) => {
                return Err(self.err(
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
            return Err(self.err(None, Some("epoch"), "no `epoch` in checkpoint".into()));
        }
        Ok(())
    }

    /// The weights of layer `seq` from `tensor` (state-dict `key`, split into its layer and
    /// operator prefix `name`), with the layer's bias and output shift.
    fn layer_weights(
        &self,
        seq: usize,
        key: &str,
        tensor: &RawTensor,
        name: (&str, Option<&str>),
        warnings: &mut Vec<String>,
    ) -> Result<LayerWeights, DescError> {
        let (layer, op) = name;
        let l = &self.desc.layers[seq];
        if tensor.shape.len() <= 1 {
            let hint = if op == Some("bn") {
                "; fold the BatchNorm layers first (qtool fuse)"
            } else {
                ""
            };
            return Err(self.err(
                Some(seq),
                Some(key),
                format!("1-dimensional weights {:?}{hint}", tensor.shape),
            ));
        }
        let ints: Vec<i64> = tensor.values.iter().map(|v| v.trunc() as i64).collect();
        let wb_key = format!("{layer}.weight_bits");
        let wb = lookup(self.ckpt, &wb_key)
            .and_then(RawTensor::scalar)
            .map_or(8, |v| v.trunc() as i64);
        let all_zero = ints.iter().all(|v| *v == 0);
        let all_unit = ints.iter().all(|v| v.abs() == 1);
        let binary = self.opts.binary_weights
            && (l.quantization == Some(DescQuant::Binary)
                || l.quantization.is_none() && all_unit && !ints.is_empty());
        let weight_bits = if binary {
            WeightBits::B1
        } else {
            self.weight_bits(seq, l, &wb_key, wb, all_zero)?
        };
        if binary && !all_unit {
            let bad = ints.iter().find(|v| v.abs() != 1).copied().unwrap_or(0);
            return Err(self.err(
                Some(seq),
                Some(key),
                format!("weight {bad} is not −1 or +1, as binary quantization needs"),
            ));
        }
        let (lo, hi) = weight_bits.range();
        if let Some(bad) = ints.iter().find(|v| !binary && (**v < lo || **v > hi)) {
            return Err(self.err(
                Some(seq),
                Some(key),
                format!(
                    "weight {bad} does not fit {weight_bits}-bit quantization [{lo}, {hi}]; is the checkpoint quantized?"
                ),
            ));
        }
        let (in_channels, out_channels) = self.channels(seq, l, key, &tensor.shape)?;
        let bias_key = match op {
            Some(o) => format!("{layer}.{o}.bias"),
            None => format!("{layer}.bias"),
        };
        let bias = self.bias(seq, bias_key, wb, warnings)?;
        let output_shift = self.output_shift(seq, l, layer)?;
        Ok(LayerWeights {
            key: key.to_string(),
            weights: tensor.clone(),
            bias,
            weight_bits,
            binary,
            output_shift,
            in_channels,
            out_channels,
        })
    }

    /// The weight width of layer `seq`: its `quantization`, else 1 bit for all-zero weights,
    /// else the checkpoint's `weight_bits` (`wb`, 0 meaning 8).
    fn weight_bits(
        &self,
        seq: usize,
        l: &LayerDesc,
        wb_key: &str,
        wb: i64,
        all_zero: bool,
    ) -> Result<WeightBits, DescError> {
        let bits = match l.quantization {
            Some(DescQuant::Binary) => {
                return Err(self.err(
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
        u8::try_from(bits)
            .ok()
            .and_then(|b| crate::device::ai8x::weight_bits(b).ok())
            .ok_or_else(|| {
                self.err(
                    Some(seq),
                    Some(wb_key),
                    format!("weight width {bits} is not 1, 2, 4 or 8 bits"),
                )
            })
    }

    /// Input and output channels of weights of `shape` (state-dict `key`), whose kernel must
    /// be layer `seq`'s `kernel_size`.
    fn channels(
        &self,
        seq: usize,
        l: &LayerDesc,
        key: &str,
        shape: &[usize],
    ) -> Result<(usize, usize), DescError> {
        let groups = l.conv_groups.max(1);
        let channels = if l.op == DescOp::ConvTranspose2d {
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
            return Err(self.err(
                Some(seq),
                Some("kernel_size"),
                format!(
                    "checkpoint `{key}` has shape {shape:?}, so `kernel_size` should be {}x{} instead of {}x{}",
                    expected[0], expected[1], l.kernel[0], l.kernel[1]
                ),
            ));
        }
        Ok(channels)
    }

    /// Layer `seq`'s bias from `bias_key`, unless absent or dropped by `--no-bias`: the
    /// checkpoint values divided by 2^(bits − 1) (`wb`, 0 meaning 8), which must fit 8 bits.
    fn bias(
        &self,
        seq: usize,
        bias_key: String,
        wb: i64,
        warnings: &mut Vec<String>,
    ) -> Result<Option<(String, Vec<i64>)>, DescError> {
        let b = match lookup(self.ckpt, &bias_key) {
            Some(b) if !self.opts.no_bias.contains(&seq) => b,
            _ => return Ok(None),
        };
        let div = 2f32.powi(if wb == 0 { 8 } else { wb as i32 } - 1);
        let beta: Vec<i64> = b
            .values
            .iter()
            .map(|v| (*v as f32 / div).floor() as i64)
            .collect();
        if let Some(bad) = beta.iter().find(|v| !(-128..=127).contains(*v)) {
            return Err(self.err(
                Some(seq),
                Some(&bias_key),
                format!("bias {bad} does not fit 8 bits"),
            ));
        }
        if beta.iter().all(|v| *v == 0) {
            warnings.push(format!("all bias values of `{bias_key}` are zero"));
        }
        Ok(Some((bias_key, beta)))
    }

    /// Layer `seq`'s output shift: its `output_shift`, else the checkpoint's
    /// `<layer>.output_shift`, else 0.
    fn output_shift(&self, seq: usize, l: &LayerDesc, layer: &str) -> Result<i64, DescError> {
        if let Some(s) = l.output_shift {
            return Ok(s);
        }
        let k = format!("{layer}.output_shift");
        match lookup(self.ckpt, &k) {
            Some(t) if t.numel() == 1 => Ok(t.values[0].trunc() as i64),
            Some(t) => Err(self.err(
                Some(seq),
                Some(&k),
                format!("expected one value, found {}", t.numel()),
            )),
            None => Ok(0),
        }
    }

    /// Layers with a `weight_source` get a copy of that layer's weights.
    fn share_weights(&self, out: &mut [Option<LayerWeights>]) -> Result<(), DescError> {
        for (i, l) in self.desc.layers.iter().enumerate() {
            if let Some(src) = l.weight_source {
                let copy = usize::try_from(src)
                    .ok()
                    .and_then(|s| out.get(s).cloned().flatten());
                out[i] = Some(copy.ok_or_else(|| {
                    self.err(
                        Some(i),
                        Some("weight_source"),
                        format!("layer {src} has no weights to share"),
                    )
                })?);
            }
        }
        Ok(())
    }

    /// The checkpoint must have had one weight tensor (`consumed` in all) per layer that
    /// takes weights.
    fn check_layer_count(&self, consumed: usize) -> Result<(), DescError> {
        let desc = self.desc;
        let n = desc.layers.len();
        let expected = desc.layers.iter().filter(|l| takes_weights(l)).count();
        if consumed != expected {
            return Err(self.err(
                None,
                None,
                format!(
                    "number of layers in the YAML configuration file {} ({n}) does not match the checkpoint file ({}): the YAML has {expected} layers with weights, the checkpoint {consumed} weight tensors",
                    desc.file,
                    n - expected + consumed
                ),
            ));
        }
        Ok(())
    }
}

/// The warning about weight and bias keys of `ckpt` not in `used`, if any.
fn leftover_warning(ckpt: &TorchCheckpoint, used: &[String]) -> Option<String> {
    let leftover: Vec<&str> = ckpt
        .state_dict
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| {
            split_key(k).is_some_and(|(_, _, p)| p == "weight" || p == "bias")
                && !used.iter().any(|u| u == k)
        })
        .collect();
    (!leftover.is_empty()).then(|| {
        format!(
            "checkpoint keys not used (izer ignores them too): {}",
            leftover.join(", ")
        )
    })
}
