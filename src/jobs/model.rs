//! The model a (non-quantized) checkpoint becomes, for `qtool eval` and `qtool analyze`: a
//! float checkpoint runs in float, or with `--scheme` fake-quantized after a post-training
//! calibration on the training split; a checkpoint trained with a scheme (its `meta.qat`) runs under that scheme in the
//! configuration of its last epoch ([`crate::train::qat::build_model`]). The input
//! normalization is the one the checkpoint was trained with, else the device's.
//!
//! Owns only that sequence and refusing a quantized checkpoint (those go to
//! `--compare-sim`). Must not run images through the model or parse flags.

use crate::checkpoint::CheckpointError;
use crate::checkpoint::native::NativeCheckpoint;
use crate::data::{ImageSet, Normalization};
use crate::data::{Split, load_dataset};
use crate::device::Target;
use crate::ir::Graph;
use crate::jobs::train::{fit_data, load_network};
use crate::jobs::{DataSource, JobError, burn_devices};
use crate::quant::SchemeSettings;
use crate::train::model::{ModelOptions, TrainError, TrainModel};
use crate::train::progress;
use crate::train::qat::{self, Qat, QatError};
use crate::train::run;
use burn::tensor::Device;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which checkpoint to build, and how.
#[derive(Debug, Clone)]
pub struct ModelSource {
    pub target: Arc<dyn Target>,
    pub network: PathBuf,
    pub checkpoint: PathBuf,
    /// Post-training fake quantization of a float checkpoint (`--scheme`).
    pub scheme: Option<SchemeSettings>,
    /// The data set (its training split calibrates `scheme`).
    pub data: DataSource,
    /// The input normalization (`None`: the checkpoint's own, else the device's).
    pub normalization: Option<Normalization>,
}

/// A checkpoint's model, ready to run.
#[derive(Debug)]
pub struct BuiltModel {
    /// The network with the checkpoint's parameters, prepared for its scheme (batch norm
    /// folded where the scheme folds it, formats and coefficients recorded).
    pub graph: Graph,
    /// The model under its scheme (or in float).
    pub model: TrainModel,
    /// How image bytes become its input values.
    pub norm: Normalization,
    /// The scheme it runs under (`quantclip`, `gfpq`, or the device's own name for the
    /// device's quantization-aware training); `None`: float.
    pub scheme: Option<&'static str>,
    /// The (non-autodiff) device it runs on.
    pub device: Device,
}

impl BuiltModel {
    /// The same parameters in float, without any fake quantization.
    pub fn float_model(&self, file: &Path) -> Result<TrainModel, JobError> {
        TrainModel::new(&self.graph, &ModelOptions::default(), &self.device)
            .map_err(|e| model_error(file, QatError::Model(e)))
    }
}

fn model_error(file: &Path, source: QatError) -> JobError {
    JobError::Model {
        file: file.display().to_string(),
        source,
    }
}

/// Build the model of `src.checkpoint` for images shaped like `test`'s (the test split of
/// `src.data`, which must fit the network).
pub fn build(src: &ModelSource, test: &ImageSet) -> Result<BuiltModel, JobError> {
    let target = src.target.as_ref();
    let file = src.checkpoint.display().to_string();
    let native = NativeCheckpoint::read(&src.checkpoint);
    if native.as_ref().is_ok_and(NativeCheckpoint::is_quantized) {
        return Err(JobError::Input {
            file,
            message: "a quantized checkpoint; analyze it with --compare-sim, or analyze its \
                      float checkpoint"
                .into(),
        });
    }
    let mut graph = load_network(target, &src.network, None, test)?;
    let loaded = progress::load_native(
        native.map_err(CheckpointError::from)?,
        &src.checkpoint,
        &mut graph,
    )?;
    let meta = loaded.meta.as_ref();
    let norm = src
        .normalization
        .or_else(|| meta.and_then(|m| m.normalization.parse().ok()))
        .unwrap_or_else(|| target.input_normalization());
    let mut qat = meta.and_then(|m| m.qat.clone());
    if let Some(settings) = src.scheme {
        qat = Some(post_training(
            src,
            &mut graph,
            settings,
            qat.as_ref(),
            norm,
        )?);
    }
    // The configuration of the last epoch the checkpoint ran (progressive quantization).
    let epoch = meta.map_or(0, |m| m.epochs_done.saturating_sub(1));
    let (_, device) = burn_devices();
    let device_scheme = target.quant_scheme();
    let model = qat::build_model(
        &mut graph,
        qat.as_ref(),
        device_scheme.as_ref(),
        epoch,
        &ModelOptions::default(),
        &device,
    )
    .map_err(|e| model_error(&src.checkpoint, e))?;
    let scheme = model.is_quantized().then(|| {
        qat.as_ref()
            .and_then(|q| q.scheme)
            .map_or_else(|| target.name(), |s| s.name())
    });
    Ok(BuiltModel {
        graph,
        model,
        norm,
        scheme,
        device,
    })
}

/// `TrainError` of `file`'s model, as a job error.
pub fn train_error(file: &Path) -> impl Fn(TrainError) -> JobError + '_ {
    move |e| model_error(file, QatError::Model(e))
}

/// Post-training fake quantization of the float parameters in `graph` (read from
/// `src.checkpoint`) with `settings`: the scheme's calibration on the training split of
/// `src.data`, seed 1. Refuses a checkpoint already quantization-aware.
fn post_training(
    job: &ModelSource,
    graph: &mut Graph,
    settings: SchemeSettings,
    trained: Option<&Qat>,
    norm: Normalization,
) -> Result<Qat, JobError> {
    let file = job.checkpoint.display().to_string();
    if trained.is_some_and(|q| q.active) {
        return Err(JobError::Recipe {
            file,
            message: format!(
                "already quantization-aware trained; --scheme {} applies to float checkpoints",
                settings.name()
            ),
        });
    }
    let mut q = Qat::with_scheme(settings, 0, None);
    q.active = true;
    let scheme = q.resolve(None).ok_or(JobError::Model {
        file: file.clone(),
        source: QatError::NoScheme,
    })?;
    let train = load_dataset(job.data.kind, &job.data.dir, Split::Train)?;
    let train = fit_data(&train, graph, &job.network)?;
    let (_, device) = burn_devices();
    run::calibrate_set(
        graph,
        &q,
        scheme.as_ref(),
        &ModelOptions::default(),
        &train,
        norm,
        1,
        &device,
    )?;
    Ok(q)
}
