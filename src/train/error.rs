//! Why a graph cannot become a trainable model, or parameters do not fit it.

use crate::ir::NodeId;
use thiserror::Error;

/// A graph the training code cannot handle, or parameters that do not fit it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TrainError {
    #[error("layer {layer}: {message}")]
    Unsupported { layer: NodeId, message: String },
    #[error("layer {layer}: {message}")]
    Mismatch { layer: NodeId, message: String },
    #[error("the model has {model} layers, the graph {graph}")]
    LayerCount { model: usize, graph: usize },
    #[error("input batch has shape {got:?}, the network reads [N, {expected:?}]")]
    Input {
        got: Vec<usize>,
        expected: [usize; 3],
    },
}

/// A stage of layer `layer` the training code does not implement.
pub(super) fn unsupported(layer: NodeId, message: impl Into<String>) -> TrainError {
    TrainError::Unsupported {
        layer,
        message: message.into(),
    }
}
