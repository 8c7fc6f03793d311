//! The stage a graph is in, read off the graph itself (see the lifecycle in the [`super`]
//! module doc).
//!
//! Owns the rules that tell the stages apart. Must not change a graph.

use super::{Graph, QuantScheme};

/// Where a graph is in its life. The stages follow each other in this order; a graph only
/// moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Float parameters with at least one batch norm not folded yet (training).
    Float,
    /// Float parameters, nothing left to fold: ready for post-training quantization.
    Folded,
    /// Folded, with a quantization scheme's widths recorded but float parameters
    /// (quantization-aware training).
    Qat,
    /// Integer parameters with widths and output shifts: what simulators and emitters read.
    Quantized,
    /// Quantized, and every node placed on a device (its annex filled).
    Placed,
}

impl Graph {
    /// The stage of this graph:
    /// - a node with a batch norm → [`Stage::Float`];
    /// - otherwise, if some node with weights carries a scheme other than float: when every
    ///   such node has integer weights and biases and an output shift → [`Stage::Quantized`]
    ///   (→ [`Stage::Placed`] if every node's annex is filled), else [`Stage::Qat`];
    /// - otherwise [`Stage::Folded`] (also a graph without parameters or batch norm).
    ///
    /// Quantized and QAT graphs are told apart by their values: a QAT graph whose weights all
    /// happen to be whole numbers reads as quantized. Checkpoint files record their stage
    /// explicitly (`crate::checkpoint::native`), which is what commands check for files.
    pub fn stage(&self) -> Stage {
        if self.nodes.iter().any(|n| n.batchnorm.is_some()) {
            return Stage::Float;
        }
        let schemed: Vec<_> = self
            .nodes
            .iter()
            .filter(|n| n.weights.is_some() && n.quant.scheme != QuantScheme::Float)
            .collect();
        if schemed.is_empty() {
            return Stage::Folded;
        }
        let integral = |v: &f32| v.fract() == 0.0;
        let quantized = schemed.iter().all(|n| {
            n.quant.output_shift.is_some()
                && n.weights.iter().flatten().all(integral)
                && n.bias.iter().flatten().all(integral)
        });
        match quantized {
            false => Stage::Qat,
            true if self.nodes.iter().all(|n| !n.annex.is_empty()) => Stage::Placed,
            true => Stage::Quantized,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Annex, BatchNorm, Node, Op, Shape, Source};
    use ndarray::{Array1, ArrayD, IxDyn};

    /// One 1→1 linear layer whose only weight is `weight`.
    fn graph(weight: f32) -> Graph {
        let input = Shape::d2(1, 1, 1);
        let op = Op::Linear { out_features: 1 };
        let mut node = Node::new(op, vec![Source::Input], input);
        node.weights = Some(ArrayD::from_elem(IxDyn(&[1, 1]), weight));
        Graph::new("t", input, vec![node])
    }

    #[test]
    fn stages_follow_the_parameters() {
        let mut g = graph(0.25);
        assert_eq!(g.stage(), Stage::Folded);
        g.nodes[0].batchnorm = Some(BatchNorm {
            gamma: None,
            beta: None,
            running_mean: Array1::zeros(1),
            running_var: Array1::ones(1),
            eps: 1e-5,
        });
        assert_eq!(g.stage(), Stage::Float);
        g.nodes[0].batchnorm = None;
        g.nodes[0].quant.scheme = QuantScheme::Max78000;
        assert_eq!(g.stage(), Stage::Qat);
        let mut q = graph(-3.0);
        q.nodes[0].quant.scheme = QuantScheme::Max78000;
        q.nodes[0].quant.output_shift = Some(-1);
        assert_eq!(q.stage(), Stage::Quantized);
        q.nodes[0].annex = Annex::new(7u8);
        assert_eq!(q.stage(), Stage::Placed);
    }
}
