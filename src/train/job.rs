//! A whole `qtool train` / `qtool eval` job: network and data loading, the run directory, the
//! thread pool, then [`super::run`].
//!
//! Owns the glue the command line needs and nothing it prints: which split trains, validates
//! and tests, the data-versus-network shape check, the rules for an existing run directory,
//! and running on exactly `threads` threads. Must not parse flags.

use super::checkpoint::{self, CheckpointError, EpochRecord};
use super::model::{ModelOptions, TrainError, TrainModel};
use super::qat::{self, Qat, QatError};
use super::recipe::Recipe;
use super::run::{self, Evaluation, Outcome, RunConfig, RunError, Splits};
use crate::checkpoint::native::NativeCheckpoint;
use crate::data::{
    DataError, DatasetKind, ImageSet, Normalization, Split, load_dataset, split_train_val,
};
use crate::eval::Progress;
use crate::ir::{Graph, Shape};
use crate::load::{LoadError, LoadRequest, load_max78000};
use crate::quant::max78000::setup::layer_names;
use burn::tensor::Device;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum JobError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{file}: {source}")]
    Model { file: String, source: QatError },
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(
        "{dir}: output directory exists and is not empty (pass --overwrite, or --resume-from a checkpoint in it)"
    )]
    OutDirExists { dir: String },
    #[error("{dir}: {source}")]
    OutDir { dir: String, source: std::io::Error },
    #[error("cannot start {threads} threads: {message}")]
    Threads { threads: usize, message: String },
    #[error("{file}: {message}")]
    Recipe { file: String, message: String },
    #[error("{file}: exists (pass --overwrite to replace it)")]
    OutputExists { file: String },
    #[error("{file}: a quantized checkpoint; evaluate it with --quantized")]
    Quantized { file: String },
    #[error("{file}: not a quantized checkpoint; run `qtool quantize` first, or drop --quantized")]
    NotQuantized { file: String },
    #[error("{file}: {source}")]
    Fuse {
        file: String,
        source: crate::fuse::FuseError,
    },
}

/// Where the data of a job comes from.
#[derive(Debug, Clone)]
pub struct DataSource {
    pub kind: DatasetKind,
    pub dir: PathBuf,
}

/// A training job.
#[derive(Debug, Clone)]
pub struct TrainJob {
    pub network: PathBuf,
    pub data: DataSource,
    pub recipe: Recipe,
    pub seed: u64,
    pub normalization: Normalization,
    pub out_dir: PathBuf,
    pub overwrite: bool,
    pub resume_from: Option<PathBuf>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    pub progress: Progress,
    /// Quantization-aware training.
    pub qat: Option<Qat>,
}

/// The float graph of a network description, without parameters. Its input shape is the
/// network's own (description `input`, sample file or dataset table), or that of `data` when
/// the description does not say.
pub fn load_network(network: &Path, data: &ImageSet) -> Result<Graph, JobError> {
    load_network_with(network, None, data)
}

/// [`load_network`] with a checkpoint mapped onto the layers the way the simulator reads it
/// (quantized integers, widths and output shifts).
fn load_network_with(
    network: &Path,
    checkpoint: Option<&Path>,
    data: &ImageSet,
) -> Result<Graph, JobError> {
    let req = LoadRequest {
        network: network.to_path_buf(),
        checkpoint: checkpoint.map(Path::to_path_buf),
        ..Default::default()
    };
    let built = match load_max78000(&req) {
        Err(LoadError::NoInput { .. }) => {
            let (c, h, w) = data.chw();
            let shape = if w == 1 {
                Shape::d1(c, h)
            } else {
                Shape::d2(c, h, w)
            };
            load_max78000(&LoadRequest {
                input_shape: Some(shape),
                ..req
            })?
        }
        other => other?,
    };
    let graph = built.graph;
    let (h, w) = graph.input.dims.hw();
    data.check_input(network, (graph.input.channels, h, w))?;
    Ok(graph)
}

/// Train, validation and test sets: the training split divided by `validation_split` (the
/// test split validates when it is 0).
pub fn load_splits(
    src: &DataSource,
    validation_split: f64,
    seed: u64,
) -> Result<Splits, DataError> {
    let train = load_dataset(src.kind, &src.dir, Split::Train)?;
    let test = load_dataset(src.kind, &src.dir, Split::Test)?;
    let (train, val) = if validation_split > 0.0 {
        split_train_val(&train, validation_split, seed)
    } else {
        (train, test.clone())
    };
    Ok(Splits { train, val, test })
}

/// Make sure `dir` can take a run: created if missing; an existing non-empty directory only
/// with `overwrite` (its files are replaced one by one as the run writes them) or when
/// resuming.
pub fn prepare_run_dir(dir: &Path, overwrite: bool, resuming: bool) -> Result<(), JobError> {
    let io = |source| JobError::OutDir {
        dir: dir.display().to_string(),
        source,
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() && !overwrite && !resuming {
                return Err(JobError::OutDirExists {
                    dir: dir.display().to_string(),
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io)
        }
        Err(e) => Err(io(e)),
    }
}

/// `runs/<arch>`, or `runs/<arch>-2`, `-3`, … when taken: a default run directory that never
/// overwrites an earlier run.
pub fn default_run_dir(network: &Path) -> PathBuf {
    let stem = network
        .file_stem()
        .map_or_else(|| "run".to_string(), |s| s.to_string_lossy().into_owned());
    let base = Path::new("runs");
    let mut dir = base.join(&stem);
    let mut k = 2;
    while dir.exists() {
        dir = base.join(format!("{stem}-{k}"));
        k += 1;
    }
    dir
}

/// Run `f` on a pool of exactly `threads` threads (all cores if `None`).
fn on_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> Result<T, JobError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| JobError::Threads {
        threads: threads.unwrap_or(0),
        message: e.to_string(),
    })?;
    Ok(pool.install(f))
}

/// The devices a job runs on: burn's flex CPU backend, with and without autodiff.
fn devices() -> (Device, Device) {
    let base = Device::flex();
    (base.clone().autodiff(), base)
}

/// Run a training job; `on_epoch` sees each finished epoch.
pub fn train(
    job: &TrainJob,
    on_epoch: &mut (dyn FnMut(&EpochRecord) + Send),
) -> Result<Outcome, JobError> {
    super::allocator::tune_for_training();
    let mut recipe = job.recipe.clone();
    let mut seed = job.seed;
    if let Some(path) = &job.resume_from {
        // The data split must be the one the run started with.
        if let Some(meta) = checkpoint::peek_meta(path)? {
            seed = meta.seed;
            recipe.validation_split = meta.recipe.validation_split;
        }
    }
    let splits = load_splits(&job.data, recipe.validation_split, seed)?;
    let graph = load_network(&job.network, &splits.train)?;
    if let Some(q) = &job.qat {
        q.policy
            .check_layers(&layer_names(&graph), &q.policy_file)
            .map_err(|e| JobError::Recipe {
                file: q.policy_file.clone(),
                message: e.to_string(),
            })?;
    }
    prepare_run_dir(&job.out_dir, job.overwrite, job.resume_from.is_some())?;
    let (device, eval_device) = devices();
    let cfg = RunConfig {
        recipe,
        seed,
        normalization: job.normalization,
        out_dir: job.out_dir.clone(),
        resume_from: job.resume_from.clone(),
        progress: job.progress,
        qat: job.qat.clone(),
        device,
        eval_device,
    };
    let outcome = on_threads(job.threads, || run::train(&graph, &splits, &cfg, on_epoch))?;
    Ok(outcome?)
}

/// An evaluation job: a float checkpoint on the test split.
#[derive(Debug, Clone)]
pub struct EvalJob {
    pub network: PathBuf,
    pub checkpoint: PathBuf,
    pub data: DataSource,
    /// `None`: the checkpoint's own (ai8x for checkpoints without training state).
    pub normalization: Option<Normalization>,
    pub threads: Option<usize>,
    /// The checkpoint is quantized (`qtool quantize`, or an ai8x `-q` file): evaluate it in
    /// simulate mode, the arithmetic of the device.
    pub quantized: bool,
}

/// Evaluate a float, QAT or (with `quantized`) quantized checkpoint.
pub fn evaluate(job: &EvalJob) -> Result<Evaluation, JobError> {
    let test = load_dataset(job.data.kind, &job.data.dir, Split::Test)?;
    let file = job.checkpoint.display().to_string();
    // A qtool checkpoint says whether `qtool quantize` wrote it; other files (ai8x `-q.pth.tar`)
    // can only be evaluated quantized.
    let native = NativeCheckpoint::read(&job.checkpoint);
    let quantized_file = native
        .as_ref()
        .ok()
        .map(|c| c.meta.clipping_method.is_some());
    match (job.quantized, quantized_file) {
        (true, Some(false)) => return Err(JobError::NotQuantized { file }),
        (false, Some(true)) => return Err(JobError::Quantized { file }),
        (true, _) => return evaluate_quantized(job, &test),
        _ => {}
    }
    let mut graph = load_network(&job.network, &test)?;
    let loaded = checkpoint::load_native(
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
        .unwrap_or(Normalization::Ai8x);
    let (_, device) = devices();
    let qat = loaded.meta.as_ref().and_then(|m| m.qat.as_ref());
    let model =
        qat::build_model(&mut graph, qat, &ModelOptions::default(), &device).map_err(|e| {
            JobError::Model {
                file: job.checkpoint.display().to_string(),
                source: e,
            }
        })?;
    let result = on_threads(job.threads, || {
        run::evaluate_model(&model, &test, norm, &device)
    })?;
    Ok(result?)
}

/// Simulate-mode evaluation of a quantized checkpoint (ai8x-training's `-8`): the model runs
/// the device's integer arithmetic in float tensors, on ai8x-normalized integer input.
fn evaluate_quantized(job: &EvalJob, test: &ImageSet) -> Result<Evaluation, JobError> {
    let graph = load_network_with(&job.network, Some(&job.checkpoint), test)?;
    let (_, device) = devices();
    let model_err = |source: TrainError| JobError::Model {
        file: job.checkpoint.display().to_string(),
        source: QatError::Model(source),
    };
    let mut model =
        TrainModel::new(&graph, &ModelOptions::default(), &device).map_err(model_err)?;
    model
        .set_quant(crate::quant::max78000::setup::simulate(&graph))
        .map_err(model_err)?;
    let norm = job.normalization.unwrap_or(Normalization::Ai8x);
    let result = on_threads(job.threads, || {
        run::evaluate_model(&model, test, norm, &device)
    })?;
    Ok(result?)
}

/// A batch-norm folding job (`qtool fuse`).
#[derive(Debug, Clone)]
pub struct FuseJob {
    pub network: PathBuf,
    pub checkpoint: PathBuf,
    pub out: PathBuf,
    pub overwrite: bool,
}

/// Fold the batch norms of a float checkpoint into its operators and write the result
/// (parameters only: the optimizer state does not survive a change of parameters). Returns the
/// number of folded layers.
pub fn fuse(job: &FuseJob) -> Result<usize, JobError> {
    if job.out.exists() && !job.overwrite {
        return Err(JobError::OutputExists {
            file: job.out.display().to_string(),
        });
    }
    let desc_input = load_max78000(&LoadRequest {
        network: job.network.clone(),
        ..Default::default()
    })?;
    let mut graph = desc_input.graph;
    let loaded = checkpoint::load_into(&job.checkpoint, &mut graph)?;
    let folded = crate::fuse::fold_batchnorm(&mut graph).map_err(|e| JobError::Fuse {
        file: job.checkpoint.display().to_string(),
        source: e,
    })?;
    checkpoint::save_params(&job.out, &graph, loaded.meta.as_ref())?;
    Ok(folded)
}
