//! `qtool analyze --compare`: a checkpoint's fake-quantized model against a reference on the
//! same images, end to end, every layer's output compared by its cosine similarity
//! `Σab / √(Σa²·Σb²)` in f64 (1 when both are all zero, 0 when only one is). The reference is
//! the checkpoint's own parameters in float, without fake quantization, or another checkpoint
//! of the network (`--reference`, run as `eval` runs it). Layers below [`FLAG_BELOW`] are
//! flagged; with `--fail-below T` the comparison fails when any layer is below `T`.
//!
//! Owns the verdict and the report's types (JSON form in [`super::checkpoint`]). Must not run
//! models.

use super::collect::CosineSums;
use super::layer_stats::cosine;
use crate::ir::{Graph, params::layer_names};
use serde::Serialize;

/// Layers whose cosine is below this are flagged.
pub const FLAG_BELOW: f64 = 0.98;

/// One layer's comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerCosine {
    /// Graph node index (execution order).
    pub index: usize,
    pub name: String,
    pub op: &'static str,
    /// One image's output, `[C, H, W]`.
    pub shape: [usize; 3],
    /// Values compared (images × C × H × W).
    pub values: u64,
    pub cosine: f64,
    /// `cosine < flag_below`.
    pub flagged: bool,
}

/// The comparison of every layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareReport {
    /// The reference checkpoint; `null`: the checkpoint's own parameters in float.
    pub reference: Option<String>,
    pub flag_below: f64,
    pub fail_below: Option<f64>,
    /// Every graph node, in execution order.
    pub layers: Vec<LayerCosine>,
    /// Names of the flagged layers.
    pub flagged: Vec<String>,
    /// The smallest cosine (1 without layers).
    pub min_cosine: f64,
    /// Some layer is below `fail_below`.
    pub failed: bool,
}

/// The comparison from the sums of every node of `graph`.
pub fn report(
    graph: &Graph,
    shapes: &[[usize; 3]],
    sums: &[CosineSums],
    reference: Option<String>,
    fail_below: Option<f64>,
) -> CompareReport {
    let names = layer_names(graph);
    let layers: Vec<LayerCosine> = sums
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let c = cosine(s.dot, s.a2, s.b2);
            LayerCosine {
                index: i,
                name: names.get(i).cloned().unwrap_or_else(|| format!("layer{i}")),
                op: graph.nodes.get(i).map_or("?", |n| n.op.name()),
                shape: shapes.get(i).copied().unwrap_or([0; 3]),
                values: s.values,
                cosine: c,
                flagged: c < FLAG_BELOW,
            }
        })
        .collect();
    verdict(layers, reference, fail_below)
}

/// The flagged layers and the verdict of `layers`.
fn verdict(
    layers: Vec<LayerCosine>,
    reference: Option<String>,
    fail_below: Option<f64>,
) -> CompareReport {
    let min_cosine = layers.iter().map(|l| l.cosine).fold(1.0, f64::min);
    CompareReport {
        reference,
        flag_below: FLAG_BELOW,
        fail_below,
        flagged: layers
            .iter()
            .filter(|l| l.flagged)
            .map(|l| l.name.clone())
            .collect(),
        failed: fail_below.is_some_and(|t| layers.iter().any(|l| l.cosine < t)),
        min_cosine,
        layers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(index: usize, s: CosineSums) -> LayerCosine {
        let c = cosine(s.dot, s.a2, s.b2);
        LayerCosine {
            index,
            name: format!("layer{index}"),
            op: "conv2d",
            shape: [1, 2, 2],
            values: s.values,
            cosine: c,
            flagged: c < FLAG_BELOW,
        }
    }

    #[test]
    fn flags_and_fails_by_threshold() {
        let sums = [
            CosineSums {
                values: 4,
                dot: 2.0,
                a2: 2.0,
                b2: 2.0,
            },
            CosineSums {
                values: 4,
                dot: 0.97,
                a2: 1.0,
                b2: 1.0,
            },
            CosineSums::default(),
        ];
        let layers: Vec<LayerCosine> = sums.iter().enumerate().map(|(i, &s)| layer(i, s)).collect();
        let r = verdict(layers.clone(), None, Some(0.9));
        assert_eq!(
            r.layers.iter().map(|l| l.cosine).collect::<Vec<_>>(),
            [1.0, 0.97, 1.0]
        );
        assert_eq!(r.flagged, ["layer1"]);
        assert_eq!(r.min_cosine, 0.97);
        assert!(!r.failed);
        assert!(verdict(layers.clone(), None, Some(0.975)).failed);
        assert!(!verdict(layers, None, None).failed);
    }
}
