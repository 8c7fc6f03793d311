//! `qtool quantize --device gti`: a fused checkpoint (batch norm folded, every cap the chip's
//! full range, gti.md §3.3–3.4) → integer coefficients per chip sub-layer: the shift `s`
//! (§2.2), `Wq·2^s` and `Bq·2^s` from the same quantizers training used (§2.3–2.4), the mask
//! and widths, 5-bit activations (10-bit for a 10-bit last layer). Host layers stay float.
//! A layer whose sums could leave f32's exact integers (2^24) is named in a warning: the
//! integer engine stays exact, `eval --quantized` (f32) may then differ from it in rare ties. The result is a qtool quantized
//! checkpoint (clipping method `gti`) that `sim`, `eval --quantized` and `convert` read.

use super::fusion::full_range;
use super::rounding::{max_abs, shift};
use super::weights::{CodeRounding, quantize_bias, quantize_weights};
use crate::checkpoint::graph::layer_metas;
use crate::checkpoint::native::{NativeCheckpoint, NativeMeta};
use crate::device::gti::{Chip, chip_slot};
use crate::device::{Quantized, QuantizedLayer};
use crate::ir::{ActQuant, Activation, Graph, WeightBits, params};
use ndarray::{Array1, ArrayD};

/// The clipping method recorded in GTI quantized checkpoints.
pub const METHOD: &str = "gti";

/// Quantize the chip sub-layers of a fused `graph` in place (integers in the parameters,
/// shifts and widths in the attributes); one row per sub-layer. Errors name the layer that
/// is not fused.
pub fn quantize_graph(graph: &mut Graph, chip: Chip) -> Result<Vec<QuantizedLayer>, String> {
    let mut rows = Vec::new();
    for i in 0..graph.nodes.len() {
        let name = params::layer_key(graph, i);
        let node = &mut graph.nodes[i];
        let Some(slot) = chip_slot(node) else {
            continue;
        };
        let not_fused = |what: &str| {
            format!(
                "layer `{name}`: {what} (run `qtool fuse --device gti` on a quantization-aware checkpoint first)"
            )
        };
        if node.batchnorm.is_some() {
            return Err(not_fused("batch norm is not folded"));
        }
        let cap = node.quant.act.and_then(|a| a.cap);
        let relu = node.activation == Activation::Relu;
        let target = full_range(node);
        if relu && cap.is_none_or(|c| (c - target).abs() > 1e-4) {
            return Err(not_fused(&format!(
                "its ReLU cap is not the chip's {target}"
            )));
        }
        let Some(w) = node.weights.as_ref() else {
            continue;
        };
        let channels = node.out_shape.channels;
        let b = node.bias.clone().unwrap_or_else(|| Array1::zeros(channels));
        let widths = chip
            .widths(slot.mask)
            .ok_or_else(|| format!("layer `{name}`: the {chip} has no mask {}", slot.mask))?;
        let flat: Vec<f32> = w.iter().copied().collect();
        let s = shift(chip, slot.mask, max_abs(&flat), Some(max_abs(&b.to_vec())))
            .expect("the chip has the mask");
        let scale = (1u32 << s) as f32;
        let taps = w.shape()[2..].iter().product();
        let wq = quantize_weights(&flat, taps, slot.mask, s, CodeRounding::Round);
        let bq = quantize_bias(b.as_slice().unwrap_or(&b.to_vec()), s);
        let top = |bits: u8| ((1i64 << (bits - 1)) - 1) as f32;
        let (wt, bt) = (top(widths.weight_bits), top(widths.bias_bits));
        let saturated = wq.iter().filter(|v| (*v * scale).abs() > wt).count()
            + bq.iter().filter(|v| (*v * scale).abs() > bt).count();
        let ints: Vec<f32> = wq
            .iter()
            .map(|v| (v * scale).round().clamp(-wt, wt))
            .collect();
        node.weights =
            Some(ArrayD::from_shape_vec(w.raw_dim(), ints).expect("same number of weights"));
        node.bias = Some(
            bq.iter()
                .map(|v| (v * scale).round().clamp(-bt, bt))
                .collect(),
        );
        node.quant.output_shift = Some(i32::from(s));
        node.quant.weight_bits = WeightBits::try_from(slot.mask.bits()).ok();
        node.quant.bias_bits = Some(widths.bias_bits);
        node.quant.act = relu.then_some(ActQuant {
            bits: if slot.ten_bits { 10 } else { 5 },
            cap: Some(target),
        });
        rows.push(QuantizedLayer {
            layer: i,
            name,
            bits: WeightBits::try_from(slot.mask.bits()).expect("masks are 1 to 12 bits"),
            output_shift: i32::from(s),
            saturated,
        });
    }
    Ok(rows)
}

/// The largest `Σ|w|·31 + |b|` over a quantized layer's output channels: a bound on its sums
/// for 5-bit inputs.
fn largest_sum(node: &crate::ir::Node) -> f64 {
    let (Some(w), Some(b)) = (&node.weights, &node.bias) else {
        return 0.0;
    };
    let per_out = w.len() / b.len().max(1);
    w.iter()
        .copied()
        .collect::<Vec<f32>>()
        .chunks(per_out.max(1))
        .zip(b.iter())
        .map(|(w, b)| w.iter().map(|v| f64::from(v.abs())).sum::<f64>() * 31.0 + f64::from(b.abs()))
        .fold(0.0, f64::max)
}

/// The quantized checkpoint of a quantized `graph`, its rows and their table.
pub fn quantized_checkpoint(
    graph: &Graph,
    rows: Vec<QuantizedLayer>,
    epoch: Option<u64>,
) -> Quantized {
    let mut meta = NativeMeta::new(graph.arch.clone(), epoch, layer_metas(graph));
    meta.clipping_method = Some(METHOD.to_string());
    let mut table = String::from("layer            mask shift saturated\n");
    for r in &rows {
        table.push_str(&format!(
            "{:<16} {:>4} {:>5} {:>9}\n",
            r.name, r.bits, r.output_shift, r.saturated
        ));
    }
    let mut warnings: Vec<String> = rows
        .iter()
        .filter(|r| r.saturated > 0)
        .map(|r| {
            format!(
                "layer `{}`: {} coefficients hit the integer range at shift 0",
                r.name, r.saturated
            )
        })
        .collect();
    for r in &rows {
        if largest_sum(&graph.nodes[r.layer]) >= f64::from(1u32 << 24) {
            warnings.push(format!(
                "layer `{}`: its sums can exceed 2^24, beyond f32's exact integers: the \
                 engine stays exact, `eval --quantized` may differ from it in rare ties",
                r.name
            ));
        }
    }
    Quantized {
        checkpoint: NativeCheckpoint {
            meta,
            tensors: params::state_dict(graph),
        },
        layers: rows,
        table,
        warnings,
    }
}
