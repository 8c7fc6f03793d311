//! `qtool train`: network and data loading, the run directory, the thread pool, then
//! [`crate::train::run::train`].
//!
//! Owns which split trains, validates and tests, the data-versus-network shape check, the
//! rules for an existing run directory, and running on exactly `threads` threads. Must not
//! parse flags or print.

use super::load::load;
use super::{DataSource, JobError, burn_devices, on_threads};
use crate::data::{DataError, ImageSet, Normalization, Split, load_dataset, split_train_val};
use crate::device::{LoadRequest, Target};
use crate::eval::Progress;
use crate::ir::{Graph, Shape};
use crate::quant::operator_nodes;
use crate::train::progress::{self, EpochRecord};
use crate::train::qat::Qat;
use crate::train::recipe::Recipe;
use crate::train::run::{self, Outcome, RunConfig, Splits};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A training job.
#[derive(Debug, Clone)]
pub struct TrainJob {
    /// The device whose conventions (and fake quantization) the model follows.
    pub target: Arc<dyn Target>,
    pub network: PathBuf,
    pub data: DataSource,
    pub recipe: Recipe,
    pub seed: u64,
    pub normalization: Normalization,
    pub out_dir: PathBuf,
    pub overwrite: bool,
    pub resume_from: Option<PathBuf>,
    /// Start from this checkpoint's parameters and stage, with a fresh optimizer.
    pub init_from: Option<PathBuf>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    pub progress: Progress,
    /// Quantization-aware training.
    pub qat: Option<Qat>,
    /// `recipe.epochs` was asked for explicitly (progressive quantization then checks it
    /// instead of setting it).
    pub epochs_given: bool,
}

/// The shape of one image of `data` as a network input.
fn data_shape(data: &ImageSet) -> Shape {
    let (c, h, w) = data.chw();
    if w == 1 {
        Shape::d1(c, h)
    } else {
        Shape::d2(c, h, w)
    }
}

/// The graph of a network description loaded by `target`, with `checkpoint` mapped onto it
/// the way the device reads it when given. Its input shape is the network's own (description
/// `input`, sample file or dataset table), or that of `data` when the description does not
/// say; `data` must fit it ([`fit_data`]).
pub fn load_network(
    target: &dyn Target,
    network: &Path,
    checkpoint: Option<&Path>,
    data: &ImageSet,
) -> Result<Graph, JobError> {
    let req = LoadRequest {
        network: network.to_path_buf(),
        checkpoint: checkpoint.map(Path::to_path_buf),
        fallback_input: Some(data_shape(data)),
        ..Default::default()
    };
    let graph = load(target, &req)?.graph;
    fit_data(data, &graph, network)?;
    Ok(graph)
}

/// `data` as the input of `graph` (read from `network`): the same set, or grey images
/// replicated and enlarged to the network's input ([`ImageSet::fit_to`]).
pub fn fit_data(data: &ImageSet, graph: &Graph, network: &Path) -> Result<ImageSet, DataError> {
    let (h, w) = graph.input.dims.hw();
    let chw = (graph.input.channels, h, w);
    if chw == data.chw() {
        return Ok(data.clone());
    }
    data.fit_to(network, chw)
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

/// Run a training job; `on_epoch` sees each finished epoch.
pub fn train(
    job: &TrainJob,
    on_epoch: &mut (dyn FnMut(&EpochRecord) + Send),
) -> Result<Outcome, JobError> {
    crate::train::allocator::tune_for_training();
    let mut recipe = job.recipe.clone();
    let mut seed = job.seed;
    if let Some(path) = &job.resume_from {
        // The data split must be the one the run started with.
        if let Some(meta) = progress::peek_meta(path)? {
            seed = meta.seed;
            recipe.validation_split = meta.recipe.validation_split;
        }
    }
    let splits = load_splits(&job.data, recipe.validation_split, seed)?;
    let graph = load_network(job.target.as_ref(), &job.network, None, &splits.train)?;
    let fit = |set: &ImageSet| fit_data(set, &graph, &job.network);
    let splits = Splits {
        train: fit(&splits.train)?,
        val: fit(&splits.val)?,
        test: fit(&splits.test)?,
    };
    let scheme = job.target.quant_scheme();
    if let Some(q) = &job.qat {
        let run_scheme = q.resolve(scheme.as_ref()).ok_or_else(|| JobError::Recipe {
            file: q.policy_file.clone(),
            message: format!(
                "--device {} has no quantization-aware training",
                job.target.name()
            ),
        })?;
        if q.scheme.is_none() {
            run_scheme.check_policy(&q.policy, &graph, &q.policy_file)?;
        }
        if let Some(p) = q.progressive {
            let total = q.start_epoch + p.epochs(operator_nodes(&graph).len());
            if job.epochs_given && recipe.epochs != total {
                return Err(JobError::Recipe {
                    file: "command line".into(),
                    message: format!(
                        "--epochs {}: progressive quantization of this network runs {total} epochs (switch at {} + layers × --epochs-per-layer + --relax)",
                        recipe.epochs, q.start_epoch
                    ),
                });
            }
            recipe.epochs = total;
        }
    }
    prepare_run_dir(&job.out_dir, job.overwrite, job.resume_from.is_some())?;
    let (device, eval_device) = burn_devices();
    let cfg = RunConfig {
        recipe,
        seed,
        normalization: job.normalization,
        out_dir: job.out_dir.clone(),
        resume_from: job.resume_from.clone(),
        init_from: job.init_from.clone(),
        progress: job.progress,
        qat: job.qat.clone(),
        scheme,
        device,
        eval_device,
    };
    let outcome = on_threads(job.threads, || run::train(&graph, &splits, &cfg, on_epoch))?;
    Ok(outcome?)
}
