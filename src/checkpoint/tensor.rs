//! Format-neutral tensors as read from checkpoint files.
//!
//! Owns the element-type vocabulary and the conversion of stored values to numbers. Must not
//! know about layers or devices.

/// Element type a tensor was stored with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F16,
    BF16,
    F32,
    F64,
    I8,
    I16,
    I32,
    I64,
    U8,
    Bool,
}

/// A dense row-major tensor. Values are widened to `f64`, which holds every stored f32 and
/// every integer a checkpoint of a small CNN carries exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTensor {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub values: Vec<f64>,
}

impl RawTensor {
    pub fn numel(&self) -> usize {
        self.values.len()
    }

    /// The values as `f32` (exact for tensors stored as f32 or narrower).
    pub fn to_f32(&self) -> Vec<f32> {
        self.values.iter().map(|&v| v as f32).collect()
    }

    /// First element, for one-element tensors such as `weight_bits` or `output_shift`.
    pub fn scalar(&self) -> Option<f64> {
        self.values.first().copied()
    }
}

/// A PyTorch checkpoint as saved by `torch.save` of a dict (ai8x-training layout).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TorchCheckpoint {
    /// `epoch` entry, if present.
    pub epoch: Option<i64>,
    /// `arch` entry, if present.
    pub arch: Option<String>,
    /// The `state_dict` entries in insertion order (izer's layer mapping depends on it).
    pub state_dict: Vec<(String, RawTensor)>,
    /// Names of all top-level entries, in order.
    pub top_level_keys: Vec<String>,
}
