//! Checkpoint readers and writers: PyTorch `.pth.tar`, qtool's native safetensors, `.npy`.

pub mod native;
pub mod npy;
pub mod pth;
mod tensor;

pub use tensor::{DType, RawTensor, TorchCheckpoint};
