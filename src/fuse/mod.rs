//! Graph passes that fold training-only stages into the operators: batch-norm folding.
//!
//! Owns the folding arithmetic (ai8x's `fuse_bn_layers`, `qat.md` §6): per output channel
//! `s = γ·k / √(var + ε)`, `W' = W·s`, `B' = (B − mean)·s + β·k`, with `k` the node's batch-norm
//! output scale from its training rules (¼ on MAX78000 layers, where the forward pass divides
//! batch norm's output by 4; 1 elsewhere). Running statistics are used, never batch statistics; a missing γ/β counts
//! as 1/0. Must not quantize, and must not read or write files.

use crate::ir::{Graph, Node, Op};
use ndarray::{Array1, Axis};
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FuseError {
    #[error("layer {layer}: batch norm after an operator without weights cannot be folded")]
    NoWeights { layer: usize },
    #[error("layer {layer}: batch norm has {got} channels, the operator {expected} outputs")]
    Channels {
        layer: usize,
        got: usize,
        expected: usize,
    },
}

/// Multiply each output channel's weights by `s[channel]`: Conv/Linear weights are
/// `[out, …]`; ConvTranspose2d weights are `[in, out/groups, …]`, the output channel of
/// `[i, j, …]` being `group(i)·out/groups + j`.
fn scale_weights(node: &mut Node, s: &Array1<f32>) {
    let Some(w) = node.weights.as_mut() else {
        return;
    };
    match node.op {
        Op::ConvTranspose2d(c) => {
            let groups = c.groups.max(1);
            let in_per_group = w.shape()[0] / groups;
            let out_per_group = w.shape()[1];
            for (i, mut row) in w.axis_iter_mut(Axis(0)).enumerate() {
                let g = i / in_per_group.max(1);
                for (j, mut plane) in row.axis_iter_mut(Axis(0)).enumerate() {
                    plane *= s[g * out_per_group + j];
                }
            }
        }
        _ => {
            for (o, mut plane) in w.axis_iter_mut(Axis(0)).enumerate() {
                plane *= s[o];
            }
        }
    }
}

/// Fold every node's batch norm into its operator; returns how many were folded.
pub fn fold_batchnorm(graph: &mut Graph) -> Result<usize, FuseError> {
    let mut folded = 0;
    for (layer, node) in graph.nodes.iter_mut().enumerate() {
        let Some(bn) = node.batchnorm.take() else {
            continue;
        };
        let channels = node.out_shape.channels;
        if node.weights.is_none() {
            node.batchnorm = Some(bn);
            return Err(FuseError::NoWeights { layer });
        }
        if bn.running_mean.len() != channels || bn.running_var.len() != channels {
            let got = bn.running_mean.len();
            node.batchnorm = Some(bn);
            return Err(FuseError::Channels {
                layer,
                got,
                expected: channels,
            });
        }
        let k = node.training.bn_output_scale;
        let gamma = bn.gamma.clone().unwrap_or_else(|| Array1::ones(channels));
        let beta = bn.beta.clone().unwrap_or_else(|| Array1::zeros(channels));
        let s: Array1<f32> = (0..channels)
            .map(|c| gamma[c] * k / (bn.running_var[c] + bn.eps).sqrt())
            .collect();
        scale_weights(node, &s);
        let bias = node.bias.take().unwrap_or_else(|| Array1::zeros(channels));
        node.bias = Some(
            (0..channels)
                .map(|c| (bias[c] - bn.running_mean[c]) * s[c] + beta[c] * k)
                .collect(),
        );
        node.with_bias = Some(true);
        folded += 1;
    }
    Ok(folded)
}
