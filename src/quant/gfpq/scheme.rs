//! GFPQ as a training scheme (`train --scheme gfpq`): every node with an operator is
//! quantized; batch norm is not folded (it stays float and frozen); each quantized node
//! records its data coefficient, calibrated on the float model at the switch and then moved
//! by each training step's largest input magnitude as the mode says.
//!
//! Must not build models or read data: the trainer runs the calibration and the steps.

use super::GfpqMode;
use super::code::{LogBits, k_max};
use super::fake::GfpqLayer;
use crate::ir::{Graph, LogCoefficient, NodeId, QuantScheme, params::layer_names};
use crate::quant::{
    CalibrationSettings, Calibrator, FakeQuant, ModelQuant, PolicyError, QatParts, QatPolicy,
    QatScheme, Tap, TapPoint, operator_nodes,
};
use std::sync::Arc;

/// The scheme with its settings.
#[derive(Debug, Clone, Copy)]
pub struct GfpqScheme {
    pub bits: LogBits,
    pub mode: GfpqMode,
    pub calib_images: usize,
}

impl GfpqScheme {
    /// The stored coefficient of node `i`, if it is one of this width.
    fn stored(&self, graph: &Graph, i: NodeId) -> Option<i32> {
        let c = graph.nodes[i].quant.log_data?;
        (c.bits == self.bits.bits()).then_some(c.top).flatten()
    }

    fn set(&self, graph: &mut Graph, i: NodeId, top: Option<i32>) {
        graph.nodes[i].quant.log_data = Some(LogCoefficient {
            bits: self.bits.bits(),
            top,
        });
    }

    fn stages(&self, graph: &Graph) -> ModelQuant {
        let layers = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (n.quant.scheme == QuantScheme::Gfpq && n.op.has_weights()).then(|| {
                    Arc::new(GfpqLayer {
                        bits: self.bits,
                        data: self.stored(graph, i),
                    }) as Arc<dyn FakeQuant>
                })
            })
            .collect();
        ModelQuant {
            layers,
            frozen_batchnorm: true,
            ..ModelQuant::default()
        }
    }
}

impl QatScheme for GfpqScheme {
    fn calibrator(
        &self,
        graph: &Graph,
        _settings: CalibrationSettings,
    ) -> Option<Box<dyn Calibrator>> {
        if self.mode == GfpqMode::Apply {
            return None;
        }
        let taps: Vec<Tap> = self.step_taps(graph);
        Some(Box::new(DataCalibration {
            max: vec![0.0; taps.len()],
            taps,
            scheme: *self,
        }))
    }

    /// In `apply` mode every quantized layer needs a stored coefficient of this width.
    fn check_policy(&self, _: &QatPolicy, graph: &Graph, _: &str) -> Result<(), PolicyError> {
        if self.mode != GfpqMode::Apply {
            return Ok(());
        }
        let names = layer_names(graph);
        match operator_nodes(graph)
            .into_iter()
            .find(|&i| self.stored(graph, i).is_none())
        {
            None => Ok(()),
            Some(i) => Err(PolicyError::Value {
                file: "--gfpq-mode apply".into(),
                key: names[i].clone(),
                message: format!(
                    "has no stored {}-bit data coefficient (start --init-from a GFPQ checkpoint)",
                    self.bits
                ),
            }),
        }
    }

    /// Tag the quantized nodes, keeping stored coefficients of this width.
    fn apply_policy(&self, graph: &mut Graph, _policy: &QatPolicy) {
        for i in operator_nodes(graph) {
            let top = self.stored(graph, i);
            graph.nodes[i].quant.scheme = QuantScheme::Gfpq;
            self.set(graph, i, top);
        }
    }

    fn qat(&self, graph: &Graph, _parts: QatParts, _policy: &QatPolicy) -> ModelQuant {
        self.stages(graph)
    }

    fn simulate(&self, graph: &Graph) -> ModelQuant {
        self.stages(graph)
    }

    fn folds_batchnorm(&self) -> bool {
        false
    }

    fn step_taps(&self, graph: &Graph) -> Vec<Tap> {
        if self.mode == GfpqMode::Apply {
            return Vec::new();
        }
        operator_nodes(graph)
            .into_iter()
            .map(|node| Tap {
                node,
                point: TapPoint::LayerInput,
            })
            .collect()
    }

    fn after_step(&self, graph: &mut Graph, max_abs: &[f32]) -> bool {
        let mut changed = false;
        for (tap, &m) in self.step_taps(graph).iter().zip(max_abs) {
            let stored = self.stored(graph, tap.node);
            let next = self.mode.next(stored, k_max(self.bits, m));
            if next != stored {
                self.set(graph, tap.node, next);
                changed = true;
            }
        }
        changed
    }
}

/// The data coefficients at the switch: the largest input magnitude of each quantized layer
/// over the calibration images, through the mode.
struct DataCalibration {
    taps: Vec<Tap>,
    max: Vec<f32>,
    scheme: GfpqScheme,
}

impl Calibrator for DataCalibration {
    fn taps(&self) -> &[Tap] {
        &self.taps
    }

    fn observe(&mut self, k: usize, values: &[f32]) {
        self.max[k] = self.max[k].max(super::code::max_abs(values));
    }

    fn images(&self) -> Option<usize> {
        Some(self.scheme.calib_images)
    }

    fn on_float_model(&self) -> bool {
        true
    }

    fn finish(self: Box<Self>, graph: &mut Graph) {
        self.scheme.after_step(graph, &self.max);
    }
}
