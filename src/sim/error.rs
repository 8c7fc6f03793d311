//! Errors of the integer simulator.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SimError {
    #[error("{0}")]
    Input(String),
    #[error("layer {layer}: {message}")]
    Layer { layer: usize, message: String },
}

impl SimError {
    pub fn layer(layer: usize, message: impl Into<String>) -> Self {
        SimError::Layer {
            layer,
            message: message.into(),
        }
    }
}
