//! `qtool eval`: a float, QAT or quantized checkpoint on the test split of a data set.
//!
//! Owns which model a checkpoint becomes (float, QAT once active, or simulate mode for a
//! quantized checkpoint, through the device's [`crate::quant::QatScheme`]) and refusing a
//! checkpoint of the other kind. Must not parse flags or print.

use super::train::{fit_data, load_network};
use super::{DataSource, JobError, burn_devices, on_threads};
use crate::checkpoint::CheckpointError;
use crate::checkpoint::native::NativeCheckpoint;
use crate::data::{ImageSet, Normalization, Split, load_dataset};
use crate::device::Target;
use crate::ir::Graph;
use crate::quant::SchemeSettings;
use crate::train::model::{ModelOptions, TrainError, TrainModel};
use crate::train::progress;
use crate::train::qat::{self, Qat, QatError};
use crate::train::run::{self, Evaluation};
use std::path::PathBuf;
use std::sync::Arc;

/// An evaluation job: a checkpoint on the test split.
#[derive(Debug, Clone)]
pub struct EvalJob {
    /// The device whose conventions (and simulate mode) the model follows.
    pub target: Arc<dyn Target>,
    pub network: PathBuf,
    pub checkpoint: PathBuf,
    pub data: DataSource,
    /// `None`: the checkpoint's own (ai8x for checkpoints without training state).
    pub normalization: Option<Normalization>,
    pub threads: Option<usize>,
    /// The checkpoint is quantized (`qtool quantize`, or an ai8x `-q` file): evaluate it in
    /// simulate mode, the arithmetic of the device.
    pub quantized: bool,
    /// Post-training fake quantization of a float checkpoint with a device-independent
    /// scheme, calibrated on the training split.
    pub scheme: Option<SchemeSettings>,
}

/// Evaluate a float, QAT or (with `quantized`) quantized checkpoint.
pub fn evaluate(job: &EvalJob) -> Result<Evaluation, JobError> {
    let test = load_dataset(job.data.kind, &job.data.dir, Split::Test)?;
    let file = job.checkpoint.display().to_string();
    // A qtool checkpoint says whether `qtool quantize` wrote it; other files (ai8x `-q.pth.tar`)
    // can only be evaluated quantized.
    let native = NativeCheckpoint::read(&job.checkpoint);
    let quantized_file = native.as_ref().ok().map(NativeCheckpoint::is_quantized);
    if job.quantized && job.scheme.is_some() {
        return Err(JobError::Recipe {
            file,
            message: "--scheme evaluates a float checkpoint; drop --quantized".into(),
        });
    }
    match (job.quantized, quantized_file) {
        (true, Some(false)) => return Err(JobError::NotQuantized { file }),
        (false, Some(true)) => return Err(JobError::Quantized { file }),
        (true, _) => return evaluate_quantized(job, &test),
        _ => {}
    }
    let target = job.target.as_ref();
    let mut graph = load_network(target, &job.network, None, &test)?;
    let test = fit_data(&test, &graph, &job.network)?;
    let loaded = progress::load_native(
        native.map_err(CheckpointError::from)?,
        &job.checkpoint,
        &mut graph,
    )?;
    let norm = job
        .normalization
        .or_else(|| {
            loaded
                .meta
                .as_ref()
                .and_then(|m| m.normalization.parse().ok())
        })
        .unwrap_or_else(|| target.input_normalization());
    let (_, device) = burn_devices();
    let mut qat = loaded.meta.as_ref().and_then(|m| m.qat.clone());
    let scheme = target.quant_scheme();
    let opts = ModelOptions::default();
    if let Some(settings) = job.scheme {
        qat = Some(post_training(
            job,
            &mut graph,
            settings,
            qat.as_ref(),
            norm,
        )?);
    }
    let qat = qat.as_ref();
    // The configuration of the last epoch the checkpoint ran.
    let epoch = loaded
        .meta
        .as_ref()
        .map_or(0, |m| m.epochs_done.saturating_sub(1));
    let model =
        qat::build_model(&mut graph, qat, scheme.as_ref(), epoch, &opts, &device).map_err(|e| {
            JobError::Model {
                file: file.clone(),
                source: e,
            }
        })?;
    let result = on_threads(job.threads, || {
        run::evaluate_model(&model, &test, norm, &device)
    })?;
    Ok(result?)
}

/// Post-training fake quantization of the float parameters in `graph` (read from
/// `job.checkpoint`) with `settings`: the scheme's calibration on the training split, the
/// run's seed 1. Refuses a checkpoint already quantization-aware.
pub(crate) fn post_training(
    job: &EvalJob,
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

/// Simulate-mode evaluation of a quantized checkpoint (ai8x-training's `-8`): the model runs
/// the device's integer arithmetic in float tensors, on ai8x-normalized integer input.
fn evaluate_quantized(job: &EvalJob, test: &ImageSet) -> Result<Evaluation, JobError> {
    let target = job.target.as_ref();
    let graph = load_network(target, &job.network, Some(&job.checkpoint), test)?;
    let test = &fit_data(test, &graph, &job.network)?;
    let (_, device) = burn_devices();
    let model_err = |source: QatError| JobError::Model {
        file: job.checkpoint.display().to_string(),
        source,
    };
    let scheme = target
        .quant_scheme()
        .ok_or_else(|| model_err(QatError::NoScheme))?;
    let train_err = |e: TrainError| model_err(QatError::Model(e));
    let mut model =
        TrainModel::new(&graph, &ModelOptions::default(), &device).map_err(train_err)?;
    model
        .set_quant(scheme.simulate(&graph))
        .map_err(train_err)?;
    let norm = job
        .normalization
        .unwrap_or_else(|| target.input_normalization());
    let result = on_threads(job.threads, || {
        run::evaluate_model(&model, test, norm, &device)
    })?;
    Ok(result?)
}
