//! The `Target` seam: everything a job may ask of an accelerator, in device-neutral types.
//!
//! Owns the trait and the requests and answers that cross it. Each accelerator implements
//! [`Target`] in its own folder; the jobs (`crate::jobs`) reach a device only through it, and
//! what they hand on to training, `fuse`, `eval` and the simulator front end is device-neutral
//! (a graph with its training rules, a [`crate::quant::QatScheme`], a [`Simulator`]). Must not
//! hold any device's knowledge.

use super::options::IzerOptions;
use crate::data::Normalization;
use crate::ir::{Graph, Shape, WeightBits};
use crate::quant::{ClipMethod, QatPolicy, QatScheme};
use crate::sim::Simulator;
use ndarray::{Array3, ArrayD};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// A device's own error, kept whole (its message names file, layer and key), or a request the
/// device does not support.
#[derive(Debug, Error)]
pub enum TargetError {
    #[error("--device {device}: {what} is not supported by this device")]
    Unsupported {
        device: &'static str,
        what: &'static str,
    },
    #[error(transparent)]
    Device(Box<dyn std::error::Error + Send + Sync>),
}

impl TargetError {
    /// Wrap a device's typed error.
    pub fn device(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        TargetError::Device(Box::new(e))
    }

    /// A device's error given as one line of text.
    pub fn message(text: impl Into<String>) -> Self {
        TargetError::Device(text.into().into())
    }
}

/// What to load: a network description, optionally a checkpoint, and where the input shape
/// comes from.
#[derive(Debug, Clone, Default)]
pub struct LoadRequest {
    pub network: PathBuf,
    pub checkpoint: Option<PathBuf>,
    /// A sample input whose shape is the network's input shape.
    pub sample_input: Option<PathBuf>,
    /// An explicit input shape (wins over everything else).
    pub input_shape: Option<Shape>,
    /// The input shape to use when neither the request, a sample file nor the description
    /// gives one (a training job passes its data's shape).
    pub fallback_input: Option<Shape>,
    /// Tool options that change what is loaded (izer's `--no-bias`, `--stop-after`,
    /// `--input-offset`).
    pub izer: IzerOptions,
}

/// Options that pick a device's variant, given on every device command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceOptions {
    /// The chip of a device family (`--chip 2803`).
    pub chip: Option<String>,
    /// A description of the layers the host runs after the accelerator (GTI's full-model
    /// JSON, `--full-model`).
    pub host_model: Option<PathBuf>,
}

/// A network loaded and placed for a device.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub graph: Graph,
    /// Things the front end noticed but accepted (one line each).
    pub warnings: Vec<String>,
}

/// A report in both of its forms, each ready to print: a JSON object (`--json`) and the text
/// table.
#[derive(Debug, Clone)]
pub struct Report {
    pub json: String,
    pub text: String,
}

/// What `qtool quantize` asks of a device: the float (or QAT) parameters of a checkpoint,
/// read by the job, to quantize for the network of a description.
#[derive(Debug, Clone)]
pub struct QuantizeRequest {
    pub network: PathBuf,
    /// The checkpoint the parameters come from (named in errors).
    pub checkpoint: PathBuf,
    /// Its parameters, named as [`crate::ir::params::state_dict`] names them.
    pub params: Vec<(String, ArrayD<f32>)>,
    /// Its epoch, if recorded.
    pub epoch: Option<u64>,
    /// The policy it was trained with, if quantization-aware training was active.
    pub trained: Option<QatPolicy>,
    pub method: ClipMethod,
    /// Bit widths from a policy-style file (`weight_bits`, `overrides`), and the file's name.
    pub config: Option<(QatPolicy, String)>,
}

/// One quantized layer, as the per-layer table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedLayer {
    pub layer: usize,
    pub name: String,
    pub bits: WeightBits,
    pub output_shift: i32,
    /// Weights and biases that hit the integer range.
    pub saturated: usize,
}

/// A quantized checkpoint ready to write, its layers and its per-layer table.
#[derive(Debug, Clone)]
pub struct Quantized {
    pub checkpoint: crate::checkpoint::native::NativeCheckpoint,
    pub layers: Vec<QuantizedLayer>,
    pub table: String,
    pub warnings: Vec<String>,
}

/// What `qtool convert` asks of a device.
#[derive(Debug, Clone, Default)]
pub struct ConvertRequest {
    /// Name of the project (izer's `--prefix`).
    pub prefix: String,
    /// The command line that produced the project (recorded in its files).
    pub command_line: String,
    /// Only the data headers.
    pub headers_only: bool,
    /// Also describe the placement (izer's `--verbose`: the kernel map).
    pub verbose: bool,
    pub izer: IzerOptions,
    /// Class names to package, one `ID NAME` line each (GTI's labels file).
    pub labels: Option<PathBuf>,
}

/// A generated project: `(file name, contents)` in writing order, and what `--verbose`
/// prints.
#[derive(Debug, Clone, Default)]
pub struct Project {
    pub files: Vec<(String, Vec<u8>)>,
    pub verbose: String,
}

/// The known-answer check of a device: the expected-output file its generated project
/// compares against (`sampleoutput.h` on MAX78000).
pub trait KnownAnswer {
    /// The known-answer file for the outputs of one simulation.
    fn render(
        &self,
        graph: &Graph,
        outputs: &[Array3<i64>],
        izer: &IzerOptions,
    ) -> Result<String, TargetError>;

    /// Compare the outputs with a known-answer file's text (`file` names it in errors):
    /// `Ok(Ok(values checked))`, or `Ok(Err(first mismatch))`.
    fn compare(
        &self,
        graph: &Graph,
        outputs: &[Array3<i64>],
        izer: &IzerOptions,
        expected: &str,
        file: &str,
    ) -> Result<Result<usize, String>, TargetError>;
}

/// One accelerator. Adding a device: a folder `src/device/<name>/` with a type implementing
/// this trait (plus `netdesc/<name>`, `quant/<name>`, `emit/<name>` as it needs), and one line
/// in [`super::Registry::builtin`].
pub trait Target: fmt::Debug + Send + Sync {
    /// The registry key (`--device NAME`).
    fn name(&self) -> &'static str;

    /// Load a description (and checkpoint) into the IR, placed for this device. Every node
    /// carries this device's float-training rules ([`crate::ir::TrainingRules`]).
    fn load(&self, req: &LoadRequest) -> Result<Loaded, TargetError>;

    /// The device's limits on a loaded graph: `Err` names the first violation.
    fn check(&self, graph: &Graph) -> Result<(), TargetError>;

    /// The `inspect` report of a loaded graph.
    fn inspect(&self, loaded: &Loaded) -> Result<Report, TargetError>;

    /// The fake-quantization scheme for quantization-aware training and simulate-mode
    /// evaluation; `None` when the device has none.
    fn quant_scheme(&self) -> Option<Arc<dyn QatScheme>> {
        None
    }

    /// The device's own fusion, run by `qtool fuse` after batch-norm folding (GTI's gain
    /// editing); one line per thing it did. Devices without one do nothing.
    fn fuse(&self, _graph: &mut Graph) -> Result<Vec<String>, TargetError> {
        Ok(Vec::new())
    }

    /// Post-training quantization of a float or QAT checkpoint.
    fn quantize(&self, _req: &QuantizeRequest) -> Result<Quantized, TargetError> {
        Err(self.unsupported("quantize"))
    }

    /// The bit-exact integer engine for a quantized, placed graph.
    fn simulator<'g>(&self, graph: &'g Graph) -> Result<Box<dyn Simulator + 'g>, TargetError>;

    /// How image bytes become this device's integer input (the simulator's data and the
    /// default training normalization of `eval`).
    fn input_normalization(&self) -> Normalization {
        Normalization::Ai8x
    }

    /// A sample input file's array as the engine's input `[C,H,W]`, checked against the
    /// device's data range.
    fn sample_input(&self, sample: &ArrayD<i64>) -> Result<Array3<i64>, TargetError>;

    /// The known-answer file format, if the device has one.
    fn known_answer(&self) -> Option<&dyn KnownAnswer> {
        None
    }

    /// Write per-layer intermediate data of one simulation into `dir` (izer's
    /// `--log-intermediate` records on MAX78000).
    fn write_trace(
        &self,
        _dir: &Path,
        _graph: &Graph,
        _traces: &[crate::sim::LayerTrace],
    ) -> Result<(), TargetError> {
        Err(self.unsupported("--log-intermediate"))
    }

    /// This device specialised by the device options of the command line (`--chip`,
    /// `--full-model`): `Ok(None)` keeps it as registered. Devices without variants or a
    /// host model refuse them.
    fn with_variant(&self, opts: &DeviceOptions) -> Result<Option<Arc<dyn Target>>, TargetError> {
        if let Some(v) = &opts.chip {
            return Err(TargetError::message(format!(
                "--chip {v}: the {} has no chip variants",
                self.name()
            )));
        }
        if let Some(p) = &opts.host_model {
            return Err(TargetError::message(format!(
                "--full-model {}: the {} runs no host layers",
                p.display(),
                self.name()
            )));
        }
        Ok(None)
    }

    /// Refuse tool options this device cannot honour together, before any work is done.
    fn check_options(&self, _izer: &IzerOptions) -> Result<(), TargetError> {
        Ok(())
    }

    /// The deployable project for a loaded graph with a sample input, when given (options
    /// already passed [`Target::check_options`]).
    fn convert(
        &self,
        _graph: &Graph,
        _input: Option<&Array3<i64>>,
        _req: &ConvertRequest,
    ) -> Result<Project, TargetError> {
        Err(self.unsupported("convert"))
    }

    /// The error for something this device does not do.
    fn unsupported(&self, what: &'static str) -> TargetError {
        TargetError::Unsupported {
            device: self.name(),
            what,
        }
    }
}
