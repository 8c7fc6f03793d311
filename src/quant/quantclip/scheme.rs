//! Quantclip as a training scheme (`train --scheme quantclip`): which layers it quantizes
//! (every node with an operator, in execution order), the formats it records in them (one
//! msb triple for all, or per layer from percentile limits calibrated on the float model),
//! and the per-layer stages of [`super::fake`].
//!
//! Must not build models or read data: the trainer runs the calibration and feeds it.

use super::fake::QuantclipLayer;
use super::format::{Resolution, operator_formats};
use super::range::{limits, msb_for};
use crate::ir::{Graph, QuantScheme, params::layer_names};
use crate::quant::settings::MsbChoice;
use crate::quant::{
    CalibrationSettings, Calibrator, FakeQuant, ModelQuant, PolicyError, QatParts, QatPolicy,
    QatScheme, Tap, TapPoint, operator_nodes,
};
use std::sync::Arc;

/// The scheme with its settings.
#[derive(Debug, Clone, Copy)]
pub struct QuantclipScheme {
    pub resolution: Resolution,
    pub msb: MsbChoice,
    pub calib_images: usize,
}

/// Every quantized node's stage, from the formats recorded in it.
fn stages(graph: &Graph) -> ModelQuant {
    let layers = graph
        .nodes
        .iter()
        .map(|n| {
            let f = n
                .quant
                .formats
                .filter(|_| n.quant.scheme == QuantScheme::Quantclip)?;
            let q = QuantclipLayer::of(f).ok()?;
            Some(Arc::new(q) as Arc<dyn FakeQuant>)
        })
        .collect();
    ModelQuant {
        layers,
        ..ModelQuant::default()
    }
}

impl QatScheme for QuantclipScheme {
    fn calibrator(
        &self,
        graph: &Graph,
        _settings: CalibrationSettings,
    ) -> Option<Box<dyn Calibrator>> {
        let MsbChoice::Percentile(percentile) = self.msb else {
            return None;
        };
        let nodes = operator_nodes(graph);
        let taps = nodes
            .iter()
            .flat_map(|&node| {
                [TapPoint::OperatorInput, TapPoint::RawSum].map(|point| Tap { node, point })
            })
            .collect::<Vec<_>>();
        Some(Box::new(PercentileCalibration {
            values: vec![Vec::new(); taps.len()],
            taps,
            percentile,
            resolution: self.resolution,
            images: self.calib_images,
        }))
    }

    fn check_policy(&self, _: &QatPolicy, _: &Graph, _: &str) -> Result<(), PolicyError> {
        Ok(())
    }

    /// Tag the quantized nodes; with one msb triple for all, record their formats now.
    fn apply_policy(&self, graph: &mut Graph, _policy: &QatPolicy) {
        for i in operator_nodes(graph) {
            let q = &mut graph.nodes[i].quant;
            q.scheme = QuantScheme::Quantclip;
            if let MsbChoice::Fixed(m) = self.msb {
                q.formats = operator_formats(m, self.resolution).ok();
            }
        }
    }

    fn qat(&self, graph: &Graph, _parts: QatParts, _policy: &QatPolicy) -> ModelQuant {
        stages(graph)
    }

    fn simulate(&self, graph: &Graph) -> ModelQuant {
        stages(graph)
    }
}

/// Per layer, the percentile limits of the kernel (from the graph), the operator's input and
/// its raw sum (from the calibration images) and the msb values covering them.
struct PercentileCalibration {
    taps: Vec<Tap>,
    values: Vec<Vec<f32>>,
    percentile: f64,
    resolution: Resolution,
    images: usize,
}

impl Calibrator for PercentileCalibration {
    fn taps(&self) -> &[Tap] {
        &self.taps
    }

    fn observe(&mut self, k: usize, values: &[f32]) {
        self.values[k].extend_from_slice(values);
    }

    fn images(&self) -> Option<usize> {
        Some(self.images)
    }

    fn on_float_model(&self) -> bool {
        true
    }

    fn finish(mut self: Box<Self>, graph: &mut Graph) {
        let names = layer_names(graph);
        let p = self.percentile;
        let msb_of = |values: &mut Vec<f32>, what: &str, layer: &str| {
            let (lo, hi) = limits(values, p).unwrap_or((0.0, 0.0));
            let m = msb_for(lo, hi);
            if m.degenerate {
                tracing::warn!("layer {layer}: the {what} limits at {p} % are both 0; msb 0");
            }
            m.msb.clamp(-100, 100)
        };
        for (k, pair) in self.taps.chunks(2).enumerate() {
            let i = pair[0].node;
            let layer = &names[i];
            let mut kernel: Vec<f32> = graph.nodes[i]
                .weights
                .as_ref()
                .map(|w| w.iter().copied().collect())
                .unwrap_or_default();
            let msb = super::MsbTriple {
                kernel: msb_of(&mut kernel, "kernel", layer),
                input: msb_of(&mut self.values[2 * k], "input", layer),
                output: msb_of(&mut self.values[2 * k + 1], "output", layer),
            };
            graph.nodes[i].quant.formats = operator_formats(msb, self.resolution).ok();
        }
    }
}
