//! `qtool eval`: a float, QAT or quantized checkpoint on the test split of a data set.
//!
//! Owns telling a quantized checkpoint (simulate mode, through the device's
//! [`crate::quant::QatScheme`]) from the others (their model is [`super::model`]'s: float, QAT
//! once active, a scheme's, or `--scheme` post-training) and refusing a checkpoint of the
//! other kind. Must not parse flags or print.

use super::model::{self, ModelSource};
use super::train::{fit_data, load_network};
use super::{DataSource, JobError, burn_devices, on_threads};
use crate::checkpoint::native::NativeCheckpoint;
use crate::data::{ImageSet, Normalization, Split, load_dataset};
use crate::device::Target;
use crate::quant::SchemeSettings;
use crate::train::model::{ModelOptions, TrainError, TrainModel};
use crate::train::qat::QatError;
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
    let built = model::build(
        &ModelSource {
            target: job.target.clone(),
            network: job.network.clone(),
            checkpoint: job.checkpoint.clone(),
            scheme: job.scheme,
            data: job.data.clone(),
            normalization: job.normalization,
        },
        &test,
    )?;
    let test = fit_data(&test, &built.graph, &job.network)?;
    let result = on_threads(job.threads, || {
        run::evaluate_model(&built.model, &test, built.norm, &built.device)
    })?;
    Ok(result?)
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
