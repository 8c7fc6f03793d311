//! Training: trainable burn models built from the graph IR, one optimizer step at a time.
//!
//! Owns the float (training-time) view of a [`crate::ir::Graph`]: [`model`] turns a graph into
//! a burn module whose forward pass follows the hardware's fused layer order (operand
//! combination → pooling → operator → bias → batch norm → activation), [`step`] runs SGD steps
//! on it, and [`model::TrainModel::export_to_graph`] writes the trained parameters back into the
//! graph's nodes in the framework layout, and [`qat`] switches a run to quantization-aware
//! training (the fake-quantization arithmetic itself is `crate::quant`'s). Data loading lives
//! elsewhere; nothing here knows about a device's memory or registers.
//!
//! The code is backend-agnostic: burn 0.22 tensors carry no backend type and dispatch at run
//! time on their [`Device`]. [`default_device`] picks the pure-Rust `flex` CPU backend (on ai85net5
//! ≈ 480 training images/s against ≈ 12 for the deprecated `ndarray` backend, `benches/train.rs`); a GPU backend is a matter of
//! enabling burn's `cuda`/`wgpu` feature and passing `Device::cuda(0)` (or similar) instead.

pub mod allocator;
pub mod curves;
mod error;
mod layer;
pub mod metrics;
pub mod model;
pub mod optim;
pub mod progress;
pub mod progressive;
pub mod qat;
mod quantized;
pub mod recipe;
pub mod run;
pub mod step;
pub mod taps;

pub use burn::tensor::Device;
pub use model::{ModelOptions, TrainError, TrainModel};
pub use optim::{Optimizer, OptimizerConfig, OptimizerKind};
pub use recipe::Recipe;
pub use step::{StepStats, Stepper, images_tensor, labels_tensor};

/// The CPU device training runs on by default: burn's `flex` backend, with autodiff enabled.
pub fn default_device() -> Device {
    Device::flex().autodiff()
}

/// burn's deprecated `ndarray` CPU backend with autodiff (the `ndarray-backend` feature), kept
/// only to compare against [`default_device`].
#[cfg(feature = "ndarray-backend")]
#[allow(deprecated)] // the deprecated backend is the point of this comparison
pub fn ndarray_device() -> Device {
    Device::ndarray().autodiff()
}
