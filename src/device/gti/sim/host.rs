//! The host's layers after the chip: FC layers in f32 on the chip's output flattened in
//! C, H, W order (gti.md §1.2), with their ReLU. The chip's last pooling, which the graph
//! puts on the first host layer, is the engine's chip part.

use crate::device::gti::chip_slot;
use crate::ir::{Activation, Graph, Node, Op, params::layer_key};
use crate::sim::SimError;
use ndarray::{Array2, ArrayView2};

/// One FC layer.
#[derive(Debug)]
pub struct HostLayer {
    /// `[out][in]`.
    weights: Array2<f32>,
    bias: Vec<f32>,
    relu: bool,
}

impl HostLayer {
    /// The host layer of node `i`, or `None` when it runs on the chip.
    pub fn of(graph: &Graph, i: usize, node: &Node) -> Result<Option<Self>, SimError> {
        if chip_slot(node).is_some() || node.op == Op::Passthrough {
            return Ok(None);
        }
        let name = layer_key(graph, i);
        let Op::Linear { out_features } = node.op else {
            return Err(SimError::Input(format!(
                "layer `{name}`: a {} layer cannot run on the host",
                node.op.name()
            )));
        };
        let w = node
            .weights
            .as_ref()
            .ok_or_else(|| SimError::Input(format!("layer `{name}`: no weights")))?;
        let inputs = node.op_in_channels();
        let weights = w
            .clone()
            .into_shape_with_order((out_features, inputs))
            .map_err(|_| SimError::Input(format!("layer `{name}`: weights are not [out][in]")))?;
        let bias = node
            .bias
            .as_ref()
            .map_or_else(|| vec![0.0; out_features], |b| b.to_vec());
        Ok(Some(HostLayer {
            weights,
            bias,
            relu: node.activation == Activation::Relu,
        }))
    }

    /// This layer on a batch `[B][in]`.
    pub fn run(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let mut y = x.dot(&self.weights.t());
        for mut row in y.rows_mut() {
            for (v, b) in row.iter_mut().zip(&self.bias) {
                *v += b;
                if self.relu && *v < 0.0 {
                    *v = 0.0;
                }
            }
        }
        y
    }
}
