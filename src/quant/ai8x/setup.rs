//! Which fake-quantization each node of a MAX78000 graph gets: QAT bit widths from a policy,
//! or simulate mode from a quantized graph's own attributes.
//!
//! Owns the mapping graph → [`ModelQuant`]. Only MAX78000 nodes are quantized; others stay
//! float. Must not change parameters.

use super::fake::LayerQuant;
use crate::device::ai8x::training::{DATA_SCALE, is_device_node, is_wide};
use crate::device::ai8x::weight_bits;
use crate::ir::{Graph, QuantScheme, WeightBits, params::layer_names};
use crate::quant::{FakeQuant, ModelQuant, PolicyError, QatParts, QatPolicy, QatScheme};
use std::sync::Arc;

/// MAX78000's fake-quantization scheme (ai8x-training's QAT and simulate mode).
#[derive(Debug, Clone, Copy, Default)]
pub struct Max78000Scheme;

impl QatScheme for Max78000Scheme {
    fn check_policy(
        &self,
        policy: &QatPolicy,
        graph: &Graph,
        file: &str,
    ) -> Result<(), PolicyError> {
        check_widths(policy, file)?;
        policy.check_layers(&layer_names(graph), file)
    }

    fn apply_policy(&self, graph: &mut Graph, policy: &QatPolicy) {
        apply_policy(graph, policy);
    }

    fn qat(&self, graph: &Graph, parts: QatParts, policy: &QatPolicy) -> ModelQuant {
        qat(graph, parts, policy.shift_quantile)
    }

    fn simulate(&self, graph: &Graph) -> ModelQuant {
        simulate(graph)
    }

    fn dequantize(&self, graph: &Graph) -> Option<Graph> {
        Some(super::dequantize::dequantize(graph))
    }
}

/// Refuse widths the device cannot hold (1, 2, 4 or 8 bits).
pub fn check_widths(policy: &QatPolicy, file: &str) -> Result<(), PolicyError> {
    for (key, bits) in policy.widths() {
        weight_bits(bits.bits()).map_err(|message| PolicyError::Value {
            file: file.to_string(),
            key,
            message,
        })?;
    }
    Ok(())
}

/// Record the policy's widths in the MAX78000 nodes of `graph` that have an operator
/// (`weight_bits`; `bias_bits` equal to it where there is a bias).
pub fn apply_policy(graph: &mut Graph, policy: &QatPolicy) {
    let names = layer_names(graph);
    for (node, name) in graph.nodes.iter_mut().zip(&names) {
        if !is_device_node(node) || !node.op.has_weights() {
            continue;
        }
        // Binary layers keep their ±1 weights (1 bit) whatever the policy's width.
        let bits = if node.quant.binary {
            WeightBits::B1
        } else {
            policy.bits_for(name)
        };
        node.quant.scheme = QuantScheme::Max78000;
        node.quant.weight_bits = Some(bits);
        node.quant.bias_bits = node
            .with_bias
            .unwrap_or(node.bias.is_some())
            .then_some(bits.bits());
    }
}

fn per_node(
    graph: &Graph,
    f: impl Fn(&crate::ir::Node) -> LayerQuant,
) -> Vec<Option<Arc<dyn FakeQuant>>> {
    graph
        .nodes
        .iter()
        .map(|n| is_device_node(n).then(|| Arc::new(f(n)) as Arc<dyn FakeQuant>))
        .collect()
}

/// Quantization-aware training of `graph` with the widths its nodes carry (8 bits where none),
/// `shift_quantile` for every layer.
pub fn qat(graph: &Graph, parts: QatParts, shift_quantile: f32) -> ModelQuant {
    ModelQuant {
        layers: per_node(graph, |n| LayerQuant {
            weights: parts.weights,
            activations: parts.activations,
            shift_quantile,
            binary: n.quant.binary,
            ..LayerQuant::qat(n.quant.weight_bits.unwrap_or(WeightBits::B8), is_wide(n))
        }),
        input_scale: None,
        output_scale: None,
        frozen_batchnorm: false,
    }
}

/// Simulate-mode evaluation of a quantized graph (integer weights, `β` biases, output shifts
/// and widths in its nodes, as the simulator reads them); the input is integer data, the logits
/// are divided by 128 (and by 256 more when the output layer is wide) like ai8x's `-8` loss.
pub fn simulate(graph: &Graph) -> ModelQuant {
    let output = graph
        .outputs
        .last()
        .copied()
        .or(graph.nodes.len().checked_sub(1));
    let wide = output.and_then(|o| graph.nodes.get(o)).is_some_and(is_wide);
    ModelQuant {
        layers: per_node(graph, |n| {
            LayerQuant::simulate(
                n.quant.weight_bits.unwrap_or(WeightBits::B8),
                is_wide(n),
                n.quant.output_shift.unwrap_or(0),
            )
        }),
        input_scale: Some(DATA_SCALE),
        output_scale: Some(if wide {
            1.0 / (DATA_SCALE * 256.0)
        } else {
            1.0 / DATA_SCALE
        }),
        frozen_batchnorm: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::policy::parse;

    #[test]
    fn policy_widths_are_the_devices() {
        let p = parse("start_epoch: 3\nweight_bits: 3\n", "p.yaml").unwrap();
        let e = check_widths(&p, "p.yaml").unwrap_err();
        assert!(e.to_string().starts_with("p.yaml: "), "{e}");
        assert!(e.to_string().contains("1, 2, 4 or 8"), "{e}");
        let p = parse(
            "weight_bits: 8\noverrides: {fc: {weight_bits: 5}}\n",
            "p.yaml",
        )
        .unwrap();
        let e = check_widths(&p, "p.yaml").unwrap_err();
        assert!(e.to_string().contains("overrides.fc.weight_bits"), "{e}");
        assert!(check_widths(&QatPolicy::default_policy(), "built in").is_ok());
    }
}
