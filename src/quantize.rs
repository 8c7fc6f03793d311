//! A whole `qtool quantize` job: network description + float (or QAT) checkpoint → quantized
//! MAX78000 checkpoint that `sim` and `convert` read, and the per-layer table.
//!
//! Owns the glue: which bit width each layer gets (the description's `quantization` key, then
//! `--config`'s per-layer override, then its default, then the width QAT trained, then 8), the
//! tensor names of the output (ai8x's: `<layer>.output_shift`, `.weight_bits`, `.bias_bits`,
//! `.op.weight`, `.op.bias`), and refusing to overwrite. The arithmetic is
//! [`crate::quant::max78000::quantize`].

use crate::checkpoint::native::{LayerMeta, NativeCheckpoint, NativeError, NativeMeta};
use crate::ir::{Graph, QuantScheme, WeightBits};
use crate::load::{LoadError, LoadRequest, load_max78000};
use crate::netdesc::max78000::{self as desc, DescError, DescQuant};
use crate::quant::max78000::setup::layer_names;
use crate::quant::max78000::{
    ClipMethod, PolicyError, QatPolicy, QuantizedParams, quantize_params,
};
use crate::train::checkpoint::{self, CheckpointError};
use ndarray::{ArrayD, IxDyn};
use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum QuantizeError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Desc(#[from] DescError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Native(#[from] NativeError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("{file}: exists (pass --overwrite to replace it)")]
    OutputExists { file: String },
    #[error("{file}: already quantized ({method}); quantize its float checkpoint instead")]
    AlreadyQuantized { file: String, method: String },
    #[error("{file}: layer {layer} (`{name}`): batch norm is not folded; run `qtool fuse` first")]
    NotFolded {
        file: String,
        layer: usize,
        name: String,
    },
    #[error("{file}: layer {layer} (`{name}`), key `quantization`: {message}")]
    Bits {
        file: String,
        layer: usize,
        name: String,
        message: String,
    },
}

/// What to quantize.
#[derive(Debug, Clone)]
pub struct QuantizeJob {
    pub network: PathBuf,
    pub checkpoint: PathBuf,
    pub out: PathBuf,
    pub overwrite: bool,
    pub method: ClipMethod,
    /// Bit widths: a QAT-policy-style file (`weight_bits`, `overrides`).
    pub config: Option<PathBuf>,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerRow {
    pub layer: usize,
    pub name: String,
    pub params: QuantizedParams,
}

/// The result of a job.
#[derive(Debug, Clone)]
pub struct QuantizeReport {
    pub rows: Vec<LayerRow>,
    pub warnings: Vec<String>,
}

impl QuantizeReport {
    /// The per-layer table: width, largest |w|, clipping magnitude, factor, output shift,
    /// saturated values.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<4} {:<16} {:>4} {:>10} {:>10} {:>10} {:>6} {:>9}\n",
            "#", "layer", "bits", "max |w|", "clip", "factor", "shift", "saturated"
        );
        for r in &self.rows {
            let p = &r.params;
            s += &format!(
                "{:<4} {:<16} {:>4} {:>10.6} {:>10.6} {:>10} {:>6} {:>9}\n",
                r.layer, r.name, p.bits, p.max_abs, p.clip, p.factor, p.output_shift, p.saturated
            );
        }
        s
    }
}

fn one(v: f32) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(&[1]), vec![v]).expect("one value")
}

/// Quantize the checkpoint of `job` and write it.
pub fn quantize(job: &QuantizeJob) -> Result<QuantizeReport, QuantizeError> {
    let file = job.checkpoint.display().to_string();
    if job.out.exists() && !job.overwrite {
        return Err(QuantizeError::OutputExists {
            file: job.out.display().to_string(),
        });
    }
    let native = NativeCheckpoint::read(&job.checkpoint)?;
    if let Some(method) = native.meta.clipping_method {
        return Err(QuantizeError::AlreadyQuantized { file, method });
    }
    let d = desc::load(&job.network)?;
    let mut graph: Graph = load_max78000(&LoadRequest {
        network: job.network.clone(),
        ..Default::default()
    })?
    .graph;
    let epoch = native.meta.epoch;
    let loaded = checkpoint::load_native(native, &job.checkpoint, &mut graph)?;
    let qat = loaded
        .meta
        .as_ref()
        .and_then(|m| m.qat.clone())
        .filter(|q| q.active);
    let config = job.config.as_deref().map(QatPolicy::read).transpose()?;
    let names = layer_names(&graph);
    if let (Some(c), Some(p)) = (&config, &job.config) {
        c.check_layers(&names, &p.display().to_string())?;
    }
    let shift_quantile = config
        .as_ref()
        .or(qat.as_ref().map(|q| &q.policy))
        .map_or(1.0, |p| p.shift_quantile);

    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    let mut tensors = Vec::new();
    let mut layers = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        let name = names[i].clone();
        let mut quant = node.quant;
        if node.batchnorm.is_some() {
            return Err(QuantizeError::NotFolded {
                file,
                layer: i,
                name,
            });
        }
        let Some(w) = &node.weights else {
            layers.push(LayerMeta { name, quant });
            continue;
        };
        let from_desc = match d.layers.get(i).and_then(|l| l.quantization) {
            Some(DescQuant::Bits(b)) => {
                Some(
                    WeightBits::try_from(b).map_err(|message| QuantizeError::Bits {
                        file: d.file.clone(),
                        layer: i,
                        name: name.clone(),
                        message,
                    })?,
                )
            }
            Some(DescQuant::Binary) => {
                return Err(QuantizeError::Bits {
                    file: d.file.clone(),
                    layer: i,
                    name,
                    message: "binary weights are a MAX78002 feature".into(),
                });
            }
            None => None,
        };
        let bits = from_desc
            .or_else(|| config.as_ref().map(|c| c.bits_for(&name)))
            .or_else(|| qat.as_ref().map(|q| q.policy.bits_for(&name)))
            .unwrap_or(WeightBits::B8);
        if let Some(q) = &qat {
            let trained = q.policy.bits_for(&name);
            if trained != bits {
                warnings.push(format!(
                    "layer {i} (`{name}`): trained with {trained}-bit weights, quantized to {bits} bits"
                ));
            }
        }
        if d.layers.get(i).and_then(|l| l.output_shift).is_some() {
            warnings.push(format!(
                "layer {i} (`{name}`): the description's `output_shift` replaces the computed one in sim and convert"
            ));
        }
        let p = quantize_params(w, node.bias.as_ref(), bits, job.method, shift_quantile);
        tensors.push((format!("{name}.output_shift"), one(p.output_shift as f32)));
        tensors.push((format!("{name}.weight_bits"), one(f32::from(bits.bits()))));
        tensors.push((format!("{name}.bias_bits"), one(f32::from(bits.bits()))));
        tensors.push((format!("{name}.op.weight"), p.weights.clone()));
        if let Some(b) = &p.bias {
            tensors.push((format!("{name}.op.bias"), b.clone().into_dyn()));
        }
        quant.scheme = QuantScheme::Max78000;
        quant.weight_bits = Some(bits);
        quant.bias_bits = p.bias.as_ref().map(|_| bits.bits());
        quant.output_shift = Some(p.output_shift);
        layers.push(LayerMeta {
            name: name.clone(),
            quant,
        });
        rows.push(LayerRow {
            layer: i,
            name,
            params: p,
        });
    }
    let mut meta = NativeMeta::new(graph.arch.clone(), Some(epoch.unwrap_or(0)), layers);
    meta.clipping_method = Some(job.method.to_string());
    NativeCheckpoint { meta, tensors }.write(&job.out)?;
    Ok(QuantizeReport { rows, warnings })
}
