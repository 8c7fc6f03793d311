//! Post-training quantization of a whole MAX78000 network (`qtool quantize`): float (or QAT)
//! parameters → the quantized checkpoint `sim` and `convert` read, and the per-layer table.
//!
//! Owns which bit width each layer gets (the description's `quantization` key, then the
//! `--config` policy's per-layer override, then its default, then the width QAT trained, then
//! 8), refusing an unfolded batch norm, and the output's metadata; tensor names are
//! [`crate::ir::params::quantized_state_dict`]'s, the arithmetic is [`super::quantize`]'s.
//! Reads the network description (its per-layer `quantization` and `output_shift` keys and
//! the graph); must not read checkpoints or write files (the job does).

use super::quantize::{QuantizedParams, binary_params, quantize_params};
use crate::checkpoint::native::{LayerMeta, NativeCheckpoint, NativeMeta};
use crate::device::ai8x::ChipId;
use crate::device::{QuantizeRequest, Quantized, QuantizedLayer};
use crate::ir::{Graph, QuantScheme, Stage, WeightBits, params};
use crate::netdesc::ai8x::{self as desc, DescError, DescQuant, LoadError};
use crate::quant::PolicyError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum QuantizeError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Desc(#[from] DescError),
    #[error("{file}: {source}")]
    Params {
        file: String,
        source: params::ParamsError,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
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

/// Quantize the float (or QAT) parameters of `req` for the ai8x chip `chip`.
pub fn quantize(req: &QuantizeRequest, chip: ChipId) -> Result<Quantized, QuantizeError> {
    let file = req.checkpoint.display().to_string();
    let load = desc::LoadRequest {
        network: req.network.clone(),
        ..Default::default()
    };
    let d = desc::load_desc(&load, chip)?;
    let mut graph: Graph = desc::build(&load, &d, chip)?.graph;
    params::load_state_dict(&mut graph, &req.params).map_err(|source| QuantizeError::Params {
        file: file.clone(),
        source,
    })?;
    let names = params::layer_names(&graph);
    if let Some((c, f)) = &req.config {
        super::setup::check_widths(c, f)?;
        c.check_layers(&names, f)?;
    }
    if let Some(trained) = &req.trained {
        super::setup::check_widths(trained, &file)?;
    }
    if graph.stage() == Stage::Float {
        let layer = graph
            .nodes
            .iter()
            .position(|n| n.batchnorm.is_some())
            .unwrap_or(0);
        return Err(QuantizeError::NotFolded {
            file,
            layer,
            name: names[layer].clone(),
        });
    }
    let config = req.config.as_ref().map(|(c, _)| c);
    let trained = req.trained.as_ref();
    let shift_quantile = config.or(trained).map_or(1.0, |p| p.shift_quantile);
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    let mut quantized = graph.clone();
    for (i, node) in graph.nodes.iter().enumerate() {
        let name = names[i].clone();
        let Some(w) = &node.weights else {
            continue;
        };
        let layer = d.layers.get(i);
        let binary = node.quant.binary;
        let bits = match layer.and_then(|l| l.quantization) {
            Some(_) if binary => WeightBits::B1,
            Some(q) => description_bits(q, &d.file, i, &name)?,
            None => config
                .map(|c| c.bits_for(&name))
                .or_else(|| trained.map(|p| p.bits_for(&name)))
                .unwrap_or(WeightBits::B8),
        };
        if let Some(trained) = trained.map(|p| p.bits_for(&name))
            && trained != bits
            && !binary
        {
            warnings.push(format!(
                "layer {i} (`{name}`): trained with {trained}-bit weights, quantized to {bits} bits"
            ));
        }
        if layer.and_then(|l| l.output_shift).is_some() {
            warnings.push(format!(
                "layer {i} (`{name}`): the description's `output_shift` replaces the computed one in sim and convert"
            ));
        }
        let p = if binary {
            binary_params(w, node.bias.as_ref(), req.method, shift_quantile)
        } else {
            quantize_params(w, node.bias.as_ref(), bits, req.method, shift_quantile)
        };
        let q = &mut quantized.nodes[i];
        q.weights = Some(p.weights.clone());
        q.bias = p.bias.clone();
        q.quant.scheme = QuantScheme::Max78000;
        q.quant.weight_bits = Some(bits);
        q.quant.bias_bits = p.bias.as_ref().map(|_| bits.bits());
        q.quant.output_shift = Some(p.output_shift);
        rows.push(LayerRow {
            layer: i,
            name,
            params: p,
        });
    }
    let layers = quantized
        .nodes
        .iter()
        .zip(&names)
        .map(|(n, name)| LayerMeta {
            name: name.clone(),
            quant: n.quant,
        })
        .collect();
    let mut meta = NativeMeta::new(graph.arch.clone(), Some(req.epoch.unwrap_or(0)), layers);
    meta.clipping_method = Some(req.method.to_string());
    let report = QuantizeReport { rows, warnings };
    Ok(Quantized {
        checkpoint: NativeCheckpoint {
            meta,
            tensors: params::quantized_state_dict(&quantized),
        },
        layers: report
            .rows
            .iter()
            .map(|r| QuantizedLayer {
                layer: r.layer,
                name: r.name.clone(),
                bits: r.params.bits,
                output_shift: r.params.output_shift,
                saturated: r.params.saturated,
            })
            .collect(),
        table: report.table(),
        warnings: report.warnings,
    })
}

/// The width a description's `quantization` key asks for.
fn description_bits(
    q: DescQuant,
    file: &str,
    layer: usize,
    name: &str,
) -> Result<WeightBits, QuantizeError> {
    let message = match q {
        DescQuant::Bits(b) => match crate::device::ai8x::weight_bits(b) {
            Ok(bits) => return Ok(bits),
            Err(message) => message,
        },
        DescQuant::Binary => "binary weights are a MAX78002 feature".into(),
    };
    Err(QuantizeError::Bits {
        file: file.to_string(),
        layer,
        name: name.to_string(),
        message,
    })
}
