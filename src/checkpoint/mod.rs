//! Checkpoint readers and writers: PyTorch `.pth.tar`, qtool's native safetensors, `.npy`.

mod tensor;

pub use tensor::{DType, RawTensor, TorchCheckpoint};
