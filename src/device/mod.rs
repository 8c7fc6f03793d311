//! Devices: the [`Target`] seam every job talks to, the registry that finds a target by
//! `--device`, and one folder per accelerator with all of its knowledge (limits, placement,
//! arithmetic, file formats).
//!
//! A placed graph keeps a device's data in the IR's opaque annex ([`crate::ir::Annex`]); only
//! that device reads it.
//!
//! Adding a device `foo`:
//! 1. `src/device/foo/` with a type implementing [`Target`] (load + check a description,
//!    inspect report, simulator, and as far as the device has them: QAT scheme, quantize,
//!    known-answer format, convert);
//! 2. its description front end in `src/netdesc/foo/`, fake quantization in `src/quant/foo/`,
//!    emitters in `src/emit/foo/`, as it needs them;
//! 3. one line in [`Registry::builtin`].
//!
//! Nothing outside those folders names the device.

pub mod ai8x;
pub mod gti;
mod options;
mod registry;
mod target;

pub use options::IzerOptions;
pub use registry::{DEFAULT_DEVICE, Registry, UnknownDevice, default_target};
pub use target::{
    ConvertRequest, DeviceOptions, KnownAnswer, LoadRequest, Loaded, Project, QuantizeRequest,
    Quantized, QuantizedLayer, Report, Target, TargetError,
};
