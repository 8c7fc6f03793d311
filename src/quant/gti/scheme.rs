//! The GTI scheme as training and `eval --quantized` use it ([`QatScheme`]): every chip
//! sub-layer of the graph (nodes with a `crate::device::gti::ChipSlot`) gets a
//! [`LayerQuant`] at its major layer's mask; host layers stay float. ReLU caps are calibrated
//! from data (gti.md §3.2) before quantized activations start; a residual addition and the
//! layer its shortcut comes from share one cap ([`tie_residual_caps`]).
//!
//! A QAT policy's `weight_bits` do not apply: GTI's widths are the chip network's
//! `coef_bits` (its overrides must still name layers).

use super::activation::CODES_5BIT;
use super::calibrate::CapTracker;
use super::fake::LayerQuant;
use crate::device::gti::{Chip, chip_slot};
use crate::ir::{ActQuant, Activation, Graph, NodeId, Op, Source, params::layer_names};
use crate::quant::{
    CalibrationSettings, Calibrator, FakeQuant, ModelQuant, PolicyError, QatParts, QatPolicy,
    QatScheme, Tap, TapPoint,
};
use std::sync::Arc;

/// The fake-quantization of one chip.
#[derive(Debug, Clone, Copy)]
pub struct GtiScheme {
    pub chip: Chip,
}

/// A cap for a layer whose calibration saw only zeros (any positive cap gives its zeros).
const DEAD_LAYER_CAP: f32 = 1.0;

fn per_chip_node(
    graph: &Graph,
    f: impl Fn(&crate::ir::Node, crate::device::gti::ChipSlot) -> LayerQuant,
) -> Vec<Option<Arc<dyn FakeQuant>>> {
    graph
        .nodes
        .iter()
        .map(|n| chip_slot(n).map(|slot| Arc::new(f(n, slot)) as Arc<dyn FakeQuant>))
        .collect()
}

impl QatScheme for GtiScheme {
    fn calibrator(
        &self,
        graph: &Graph,
        settings: CalibrationSettings,
    ) -> Option<Box<dyn Calibrator>> {
        let nodes: Vec<NodeId> = (0..graph.nodes.len())
            .filter(|&i| {
                let n = &graph.nodes[i];
                chip_slot(n).is_some()
                    && n.activation == Activation::Relu
                    && n.quant.act.and_then(|a| a.cap).is_none()
            })
            .collect();
        if nodes.is_empty() {
            return None;
        }
        let trackers = vec![CapTracker::default(); nodes.len()];
        let taps = nodes
            .into_iter()
            .map(|node| Tap {
                node,
                point: TapPoint::Output,
            })
            .collect();
        Some(Box::new(CapCalibration {
            taps,
            trackers,
            percentile: settings.percentile,
        }))
    }

    fn check_policy(
        &self,
        policy: &QatPolicy,
        graph: &Graph,
        file: &str,
    ) -> Result<(), PolicyError> {
        policy.check_layers(&layer_names(graph), file)
    }

    fn apply_policy(&self, _graph: &mut Graph, _policy: &QatPolicy) {}

    fn qat(&self, graph: &Graph, parts: QatParts, _policy: &QatPolicy) -> ModelQuant {
        ModelQuant {
            layers: per_chip_node(graph, |n, slot| {
                let cap = n.quant.act.and_then(|a| a.cap);
                let cap = if parts.activations { cap } else { None };
                let q = LayerQuant::qat(self.chip, slot.mask, parts.weights, cap);
                if slot.ten_bits { q.ten_bits() } else { q }
            }),
            input_scale: None,
            output_scale: None,
            frozen_batchnorm: false,
        }
    }

    fn simulate(&self, graph: &Graph) -> ModelQuant {
        ModelQuant {
            layers: per_chip_node(graph, |n, slot| {
                let s = n.quant.output_shift.unwrap_or(0).clamp(0, 31) as u8;
                let q = LayerQuant::simulate(self.chip, slot.mask, s);
                if slot.ten_bits { q.ten_bits() } else { q }
            }),
            input_scale: None,
            output_scale: None,
            frozen_batchnorm: false,
        }
    }
}

/// ReLU-cap calibration: per node, the largest batch percentile.
struct CapCalibration {
    taps: Vec<Tap>,
    trackers: Vec<CapTracker>,
    percentile: f64,
}

impl Calibrator for CapCalibration {
    fn taps(&self) -> &[Tap] {
        &self.taps
    }

    fn observe(&mut self, k: usize, outputs: &[f32]) {
        self.trackers[k].observe(outputs, self.percentile);
    }

    fn finish(self: Box<Self>, graph: &mut Graph) {
        for (tap, t) in self.taps.iter().zip(&self.trackers) {
            let i = tap.node;
            let cap = if t.cap > 0.0 { t.cap } else { DEAD_LAYER_CAP };
            let ten = chip_slot(&graph.nodes[i]).is_some_and(|s| s.ten_bits);
            graph.nodes[i].quant.act = Some(ActQuant {
                bits: if ten { 10 } else { 5 },
                cap: Some(cap),
            });
        }
        tie_residual_caps(graph);
    }
}

/// The node whose codes a residual addition's shortcut carries (through a pooling node), or
/// `None` for the network input.
pub fn shortcut_source(graph: &Graph, add: NodeId) -> Option<NodeId> {
    let mut src = match graph.nodes[add].inputs.get(1)? {
        Source::Node(j) => *j,
        _ => return None,
    };
    while graph.nodes[src].op == Op::Passthrough && graph.nodes[src].eltwise.is_none() {
        src = match graph.nodes[src].inputs.first()? {
            Source::Node(j) => *j,
            _ => return None,
        };
    }
    Some(src)
}

/// Give each residual addition and the layer its shortcut comes from one cap, the larger of
/// the two (an addition whose shortcut is the network input takes 31, the input's own range),
/// so that gain editing scales both operands of the addition alike (gti.md §3.3's residual
/// caveat, resolved by tying the caps).
pub fn tie_residual_caps(graph: &mut Graph) {
    let cap = |g: &Graph, i: Option<NodeId>| match i {
        Some(i) => g.nodes[i].quant.act.and_then(|a| a.cap),
        None => Some(CODES_5BIT),
    };
    let adds: Vec<NodeId> = (0..graph.nodes.len())
        .filter(|&i| chip_slot(&graph.nodes[i]).is_some_and(|s| s.residual_add))
        .collect();
    loop {
        let mut changed = false;
        for &a in &adds {
            let src = shortcut_source(graph, a);
            let (Some(ca), Some(cs)) = (cap(graph, Some(a)), cap(graph, src)) else {
                continue;
            };
            // The network input's codes cannot be rescaled: an addition reading it keeps 31.
            let tied = if src.is_none() { cs } else { ca.max(cs) };
            for i in [Some(a), src].into_iter().flatten() {
                if let Some(act) = graph.nodes[i]
                    .quant
                    .act
                    .as_mut()
                    .filter(|x| x.cap != Some(tied))
                {
                    act.cap = Some(tied);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}
