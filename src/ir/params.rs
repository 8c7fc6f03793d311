//! A graph's float parameters as a named state dict, and back.
//!
//! Owns the parameter names of training checkpoints, in ai8x-training's spelling so the files
//! read naturally next to its checkpoints: `<layer>.op.weight`, `<layer>.op.bias` for the
//! operator and `<layer>.bn.{weight,bias,running_mean,running_var}` for batch norm, where
//! `<layer>` is the node's name or `layer<i>`; quantized checkpoints add ai8x's
//! `<layer>.output_shift`, `.weight_bits`, `.bias_bits`. Tensors are in the framework layout of
//! [`Node::weights`]. Must not quantize or interpret values; file formats live in
//! `crate::checkpoint`.

use super::{Graph, Node};
use ndarray::{Array1, ArrayD};
use thiserror::Error;

/// A state-dict entry that does not fit the graph. Messages name the layer and key; the
/// caller adds the file.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParamsError {
    #[error("layer {layer}, key `{key}`: missing")]
    Missing { layer: usize, key: String },
    #[error("layer {layer}, key `{key}`: shape {got:?}, the network needs {expected:?}")]
    Shape {
        layer: usize,
        key: String,
        got: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("key `{key}`: no such parameter in the network")]
    Unexpected { key: String },
}

/// The name a node's parameters are stored under.
pub fn layer_key(graph: &Graph, i: usize) -> String {
    graph.nodes[i]
        .name
        .clone()
        .unwrap_or_else(|| format!("layer{i}"))
}

/// The names of `graph`'s layers as policies and checkpoints spell them ([`layer_key`] of each
/// node, in execution order).
pub fn layer_names(graph: &Graph) -> Vec<String> {
    (0..graph.nodes.len())
        .map(|i| layer_key(graph, i))
        .collect()
}

fn vector(a: &Array1<f32>) -> ArrayD<f32> {
    a.clone().into_dyn()
}

/// Every float parameter of `graph` that has a value, in node order.
pub fn state_dict(graph: &Graph) -> Vec<(String, ArrayD<f32>)> {
    let mut out = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        let k = layer_key(graph, i);
        if let Some(w) = &node.weights {
            out.push((format!("{k}.op.weight"), w.clone()));
        }
        if let Some(b) = &node.bias {
            out.push((format!("{k}.op.bias"), vector(b)));
        }
        if let Some(bn) = &node.batchnorm {
            if let Some(g) = &bn.gamma {
                out.push((format!("{k}.bn.weight"), vector(g)));
            }
            if let Some(b) = &bn.beta {
                out.push((format!("{k}.bn.bias"), vector(b)));
            }
            out.push((format!("{k}.bn.running_mean"), vector(&bn.running_mean)));
            out.push((format!("{k}.bn.running_var"), vector(&bn.running_var)));
        }
    }
    out
}

/// The parameters of a quantized graph in ai8x's quantized-checkpoint spelling: per node with
/// weights `<layer>.output_shift`, `.weight_bits`, `.bias_bits` (one-element tensors; bias bits
/// are the node's `bias_bits`, else its weight width), `.op.weight` and `.op.bias` (the values
/// as the node holds them). Nodes without a decided width or shift are left out.
pub fn quantized_state_dict(graph: &Graph) -> Vec<(String, ArrayD<f32>)> {
    let one = |v: f32| ArrayD::from_elem(ndarray::IxDyn(&[1]), v);
    let mut out = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        let (Some(w), Some(bits), Some(shift)) = (
            &node.weights,
            node.quant.weight_bits,
            node.quant.output_shift,
        ) else {
            continue;
        };
        let k = layer_key(graph, i);
        let bias_bits = node.quant.bias_bits.unwrap_or(bits.bits());
        out.push((format!("{k}.output_shift"), one(shift as f32)));
        out.push((format!("{k}.weight_bits"), one(f32::from(bits.bits()))));
        out.push((format!("{k}.bias_bits"), one(f32::from(bias_bits))));
        out.push((format!("{k}.op.weight"), w.clone()));
        if let Some(b) = &node.bias {
            out.push((format!("{k}.op.bias"), vector(b)));
        }
    }
    out
}

/// Sets the parameters of `graph` from `tensors` (names as [`state_dict`] writes them).
/// Operator weights are required for every node with an operator; a bias, batch-norm affine
/// parameters and statistics are taken when present and must match the node's batch norm
/// otherwise. Keys that name nothing in the graph are refused.
pub fn load_state_dict(
    graph: &mut Graph,
    tensors: &[(String, ArrayD<f32>)],
) -> Result<(), ParamsError> {
    let mut used = vec![false; tensors.len()];
    let keys: Vec<String> = (0..graph.nodes.len())
        .map(|i| layer_key(graph, i))
        .collect();
    for (i, node) in graph.nodes.iter_mut().enumerate() {
        let mut take = |key: String,
                        expected: Option<Vec<usize>>|
         -> Result<Option<ArrayD<f32>>, ParamsError> {
            let Some(pos) = tensors.iter().position(|(n, _)| *n == key) else {
                return Ok(None);
            };
            used[pos] = true;
            let t = &tensors[pos].1;
            if let Some(expected) = expected
                && t.shape() != expected.as_slice()
            {
                return Err(ParamsError::Shape {
                    layer: i,
                    key,
                    got: t.shape().to_vec(),
                    expected,
                });
            }
            Ok(Some(t.clone()))
        };
        let k = &keys[i];
        let out = node.out_shape.channels;
        if let Some(shape) = node.weight_shape() {
            let key = format!("{k}.op.weight");
            let w = take(key.clone(), Some(shape))?;
            node.weights = Some(w.ok_or(ParamsError::Missing { layer: i, key })?);
            node.bias = take(format!("{k}.op.bias"), Some(vec![out]))?.map(flat);
        }
        load_batchnorm(i, node, k, out, &mut take)?;
    }
    if let Some(pos) = used.iter().position(|u| !u) {
        return Err(ParamsError::Unexpected {
            key: tensors[pos].0.clone(),
        });
    }
    Ok(())
}

fn flat(a: ArrayD<f32>) -> Array1<f32> {
    Array1::from_iter(a.iter().copied())
}

type Take<'a> =
    dyn FnMut(String, Option<Vec<usize>>) -> Result<Option<ArrayD<f32>>, ParamsError> + 'a;

fn load_batchnorm(
    i: usize,
    node: &mut Node,
    k: &str,
    channels: usize,
    take: &mut Take<'_>,
) -> Result<(), ParamsError> {
    let shape = Some(vec![channels]);
    let gamma = take(format!("{k}.bn.weight"), shape.clone())?.map(flat);
    let beta = take(format!("{k}.bn.bias"), shape.clone())?.map(flat);
    let mean = take(format!("{k}.bn.running_mean"), shape.clone())?.map(flat);
    let var = take(format!("{k}.bn.running_var"), shape)?.map(flat);
    match (&mut node.batchnorm, mean, var) {
        (_, None, None) if gamma.is_none() && beta.is_none() => {
            // No batch-norm tensors: a folded network (`qtool fuse`), whatever the description
            // asked for.
            node.batchnorm = None;
            Ok(())
        }
        (Some(bn), Some(mean), Some(var)) => {
            if bn.gamma.is_some() || gamma.is_some() {
                bn.gamma = Some(gamma.ok_or(ParamsError::Missing {
                    layer: i,
                    key: format!("{k}.bn.weight"),
                })?);
                bn.beta = Some(beta.ok_or(ParamsError::Missing {
                    layer: i,
                    key: format!("{k}.bn.bias"),
                })?);
            }
            bn.running_mean = mean;
            bn.running_var = var;
            Ok(())
        }
        (None, mean, _) => {
            // A folded network has no batch norm: its statistics have nowhere to go.
            let what = if mean.is_some() {
                "running_mean"
            } else {
                "running_var"
            };
            let what = if gamma.is_some() { "weight" } else { what };
            Err(ParamsError::Unexpected {
                key: format!("{k}.bn.{what}"),
            })
        }
        (Some(_), mean, _) => Err(ParamsError::Missing {
            layer: i,
            key: format!(
                "{k}.bn.{}",
                if mean.is_none() {
                    "running_mean"
                } else {
                    "running_var"
                }
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BatchNorm, Conv, Dims, Op, Shape, Source, infer_node};
    use ndarray::IxDyn;

    fn graph() -> Graph {
        let input = Shape {
            channels: 1,
            dims: Dims::D2(4, 4),
        };
        let conv = Conv {
            pad: [1, 1],
            ..Conv::plain(2, [3, 3])
        };
        let mut node = Node::new(Op::Conv2d(conv), vec![Source::Input], input);
        node.name = Some("conv1".into());
        node.batchnorm = Some(BatchNorm {
            gamma: None,
            beta: None,
            running_mean: Array1::zeros(2),
            running_var: Array1::ones(2),
            eps: 1e-5,
        });
        infer_node(0, &mut node).unwrap();
        Graph::new("t", input, vec![node])
    }

    #[test]
    fn round_trip_and_errors() {
        let mut g = graph();
        g.nodes[0].weights = Some(ArrayD::from_elem(IxDyn(&[2, 1, 3, 3]), 0.5));
        g.nodes[0].bias = Some(Array1::from_vec(vec![1.0, 2.0]));
        let sd = state_dict(&g);
        let names: Vec<&str> = sd.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "conv1.op.weight",
                "conv1.op.bias",
                "conv1.bn.running_mean",
                "conv1.bn.running_var"
            ]
        );
        let mut fresh = graph();
        load_state_dict(&mut fresh, &sd).unwrap();
        assert_eq!(state_dict(&fresh), sd);

        let mut bad = sd.clone();
        bad[0].1 = ArrayD::zeros(IxDyn(&[2, 1, 5, 5]));
        let e = load_state_dict(&mut graph(), &bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "layer 0, key `conv1.op.weight`: shape [2, 1, 5, 5], the network needs [2, 1, 3, 3]"
        );
        let mut extra = sd.clone();
        extra.push(("fc.op.weight".into(), ArrayD::zeros(IxDyn(&[1]))));
        let e = load_state_dict(&mut graph(), &extra).unwrap_err();
        assert_eq!(
            e.to_string(),
            "key `fc.op.weight`: no such parameter in the network"
        );
        let e = load_state_dict(&mut graph(), &sd[1..]).unwrap_err();
        assert_eq!(e.to_string(), "layer 0, key `conv1.op.weight`: missing");
    }
}
