//! Checkpoint readers and writers: PyTorch `.pth.tar` and qtool's native safetensors
//! (`.npy` arrays are `crate::io::npy`'s).

pub mod graph;
pub mod native;
pub mod pth;
mod tensor;

pub use graph::CheckpointError;
pub use tensor::{DType, RawTensor, TorchCheckpoint};

use std::path::Path;
use thiserror::Error;

/// A checkpoint that could not be read.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error(transparent)]
    Pth(#[from] pth::PthError),
    #[error(transparent)]
    Native(#[from] native::NativeError),
}

/// Read a checkpoint by extension: `.safetensors` is qtool's native format, anything else a
/// PyTorch file.
pub fn read(path: &Path) -> Result<TorchCheckpoint, ReadError> {
    if path.extension().is_some_and(|e| e == "safetensors") {
        Ok(native::NativeCheckpoint::read(path)?.into())
    } else {
        Ok(pth::read(path)?)
    }
}
