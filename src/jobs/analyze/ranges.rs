//! The range table (`qtool analyze` without a mode flag, or `--ranges`): per quantized layer
//! and for all quantized layers together, the limits holding each percentile of the values of
//! the kernel (the layer's stored weights, after the scheme's batch-norm folding), of the
//! operator's input and of its raw output (the sum of products before the bias), with the msb
//! that covers them — the numbers quantclip's percentile calibration picks its msb from.
//!
//! Owns the value sets of each layer ([`LayerSets`], also drawn by the histograms) and the
//! report's types (their JSON form is documented in [`super::checkpoint`]). Must not run models.

use super::collect::{Collected, Values};
use super::quantiles::{Limit, Sorted, limits};
use crate::ir::{Graph, params::layer_names};
use serde::Serialize;

/// The sorted values of every quantized layer.
#[derive(Debug, Default)]
pub struct LayerSets {
    /// Graph node of each quantized layer.
    pub nodes: Vec<usize>,
    pub kernel: Vec<Sorted>,
    /// Empty when the operator inputs were not collected.
    pub input: Vec<Sorted>,
    pub output: Vec<Sorted>,
}

impl LayerSets {
    /// The sets of the quantized layers `nodes` of `graph`, taking the collected values.
    pub fn new(graph: &Graph, nodes: &[usize], collected: &mut Collected) -> Self {
        let sorted = |v: &mut Vec<Values>| -> Vec<Sorted> {
            std::mem::take(v)
                .into_iter()
                .map(|v| Sorted::new(v.data))
                .collect()
        };
        LayerSets {
            nodes: nodes.to_vec(),
            kernel: nodes
                .iter()
                .map(|&i| {
                    let w = graph.nodes[i].weights.as_ref();
                    Sorted::new(w.map(|w| w.iter().copied().collect()).unwrap_or_default())
                })
                .collect(),
            input: sorted(&mut collected.inputs),
            output: sorted(&mut collected.raw),
        }
    }
}

/// The ranges of one kind of values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TensorRanges {
    /// How many values.
    pub values: u64,
    /// Smallest and largest value (0 when there are none).
    pub min: f64,
    pub max: f64,
    /// One entry per requested percentile, in the requested order.
    pub limits: Vec<Limit>,
}

/// The ranges of the union of `sets`.
pub fn tensor_ranges(sets: &[&Sorted], percentiles: &[f64]) -> TensorRanges {
    let ends = |last: bool| -> f64 {
        let vals = sets.iter().filter_map(|s| {
            let v = s.values();
            if last { v.last() } else { v.first() }
        });
        let pick = if last { f32::max } else { f32::min };
        vals.copied().reduce(pick).map_or(0.0, f64::from)
    };
    TensorRanges {
        values: sets.iter().map(|s| s.len() as u64).sum(),
        min: ends(false),
        max: ends(true),
        limits: limits(sets, percentiles),
    }
}

/// Kernel, operator input and raw output of a layer (or of all of them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranges {
    pub kernel: TensorRanges,
    pub input: TensorRanges,
    /// The raw output: the sum of products after any raw-sum quantizer, before the bias.
    pub output: TensorRanges,
}

/// One quantized layer's ranges.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerRanges {
    /// Graph node index (execution order).
    pub index: usize,
    pub name: String,
    pub op: &'static str,
    #[serde(flatten)]
    pub ranges: Ranges,
}

/// The range table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RangeReport {
    pub percentiles: Vec<f64>,
    /// One entry per quantized layer, in execution order.
    pub layers: Vec<LayerRanges>,
    /// All quantized layers together.
    pub all: Ranges,
}

/// The range table of `sets` (operator inputs collected).
pub fn report(graph: &Graph, sets: &LayerSets, percentiles: &[f64]) -> RangeReport {
    let names = layer_names(graph);
    let ranges = |pick: &dyn Fn(&Vec<Sorted>) -> Vec<&Sorted>| Ranges {
        kernel: tensor_ranges(&pick(&sets.kernel), percentiles),
        input: tensor_ranges(&pick(&sets.input), percentiles),
        output: tensor_ranges(&pick(&sets.output), percentiles),
    };
    let layers = sets
        .nodes
        .iter()
        .enumerate()
        .map(|(j, &i)| LayerRanges {
            index: i,
            name: names[i].clone(),
            op: graph.nodes[i].op.name(),
            ranges: ranges(&|v: &Vec<Sorted>| v.get(j).into_iter().collect()),
        })
        .collect();
    RangeReport {
        percentiles: percentiles.to_vec(),
        layers,
        all: ranges(&|v: &Vec<Sorted>| v.iter().collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_one_and_several_sets() {
        let a = Sorted::new(vec![-4.0, 1.0, 2.0, 3.0]);
        let b = Sorted::new(vec![0.5, 7.5]);
        let one = tensor_ranges(&[&a], &[100.0]);
        assert_eq!((one.values, one.min, one.max), (4, -4.0, 3.0));
        assert_eq!(one.limits[0].lower, -4.0);
        assert_eq!(one.limits[0].upper, 3.0);
        assert_eq!(one.limits[0].msb, 2);
        let both = tensor_ranges(&[&a, &b], &[100.0, 50.0]);
        assert_eq!((both.values, both.min, both.max), (6, -4.0, 7.5));
        assert_eq!(both.limits[0].msb, 3);
        // numpy.quantile([-4, 0.5, 1, 2, 3, 7.5], [0.25, 0.75]) = [0.625, 2.75]
        assert_eq!((both.limits[1].lower, both.limits[1].upper), (0.625, 2.75));
        let none = tensor_ranges(&[], &[99.0]);
        assert_eq!((none.values, none.min, none.max), (0, 0.0, 0.0));
    }
}
