//! The training loop: epochs of shuffled mini-batches, validation, checkpoints and metrics.
//!
//! Owns the order of a run (seeded shuffling per epoch, the learning rate of each epoch,
//! when `latest`/`best` checkpoints, `metrics.csv` and `curves.png` are written), resuming
//! from a checkpoint, and starting a new run from one (`init_from`: the next stage of a
//! staged flow). Everything random derives from `(seed, epoch)`, so a run resumed after
//! epoch `k` continues exactly as the uninterrupted run would. Must not parse command lines or
//! print: progress goes through [`Progress`] and the `on_epoch` callback.

use super::curves;
use super::metrics;
use super::model::{ModelOptions, TrainError, TrainModel};
use super::progress::{self, CheckpointError, EpochRecord, TrainingMeta};
use super::qat::{self, Qat, QatError};
use super::recipe::Recipe;
use super::step::{Stepper, images_tensor};
use super::taps::{TapMode, TapSink, tapped};
use crate::data::rng::Rng;
use crate::data::{Augment, ImageSet, Normalization};
use crate::eval::{self, EvalReport, Progress};
use crate::ir::Graph;
use crate::quant::QatScheme;
use burn::module::Module;
use burn::tensor::Device;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use thiserror::Error;

/// `best_top1` before any epoch could be the best (a finite number, so a checkpoint written
/// then — a progressive run's partly quantized epochs — reads back).
const NO_BEST: f64 = -1.0;

/// Batch size of evaluation passes (no gradients: memory is small).
const EVAL_BATCH: usize = 256;

#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Model(#[from] TrainError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("{file}: {source}")]
    Write {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Plot { file: String, message: String },
    #[error("nothing to {what}: the {set} set is empty")]
    Empty {
        what: &'static str,
        set: &'static str,
    },
    #[error("the network has {outputs} outputs but the data has {classes} classes")]
    Classes { outputs: usize, classes: usize },
    #[error("evaluation: {0}")]
    Eval(String),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    #[error(transparent)]
    Qat(#[from] QatError),
}

/// The data of a run.
#[derive(Debug, Clone)]
pub struct Splits {
    pub train: ImageSet,
    /// Validation set (picks `best.safetensors`).
    pub val: ImageSet,
    /// Final evaluation.
    pub test: ImageSet,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub recipe: Recipe,
    pub seed: u64,
    pub normalization: Normalization,
    /// Run directory (must exist).
    pub out_dir: PathBuf,
    /// Continue the run saved in this checkpoint: its recipe, seed, normalization, parameters
    /// and optimizer state are used; only `recipe.epochs` comes from here.
    pub resume_from: Option<PathBuf>,
    /// Start from this checkpoint's parameters and stage (batch norm folded or not, recorded
    /// widths and activation caps) with a fresh optimizer and this run's own recipe (the MDK's
    /// stage-by-stage training).
    pub init_from: Option<PathBuf>,
    pub progress: Progress,
    /// Quantization-aware training (a resumed run keeps its own).
    pub qat: Option<Qat>,
    /// The device's fake-quantization scheme (needed once QAT is active).
    pub scheme: Option<Arc<dyn QatScheme>>,
    /// The device to train on (an autodiff device); `eval_device` is the same without autodiff.
    pub device: Device,
    pub eval_device: Device,
}

/// Loss and accuracy of a model on a set.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub report: EvalReport,
    /// Mean cross-entropy.
    pub loss: f64,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub meta: TrainingMeta,
    /// The graph with the best checkpoint's parameters.
    pub best: Graph,
    /// The best model on the test set.
    pub test: Evaluation,
    pub latest_path: PathBuf,
    pub best_path: PathBuf,
}

/// `RUNDIR/latest.safetensors` etc.
pub fn run_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// The training values of a set, `[N, C, H, W]` row-major.
fn normalized(set: &ImageSet, norm: Normalization) -> Vec<f32> {
    let lut = norm.table();
    set.images.iter().map(|&p| lut[usize::from(p)]).collect()
}

/// Mean cross-entropy of logit rows against labels, in f64.
fn cross_entropy(rows: &[Vec<f32>], labels: &[u8]) -> f64 {
    let total: f64 = rows
        .iter()
        .zip(labels)
        .map(|(r, &l)| {
            let max = r.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
            let sum: f64 = r.iter().map(|&v| (v as f64 - max).exp()).sum();
            max + sum.ln() - r[usize::from(l)] as f64
        })
        .sum();
    total / rows.len().max(1) as f64
}

/// Evaluate `model` (on a non-autodiff device) on `set`.
pub fn evaluate_model(
    model: &TrainModel,
    set: &ImageSet,
    norm: Normalization,
    device: &Device,
) -> Result<Evaluation, RunError> {
    if set.is_empty() {
        return Err(RunError::Empty {
            what: "evaluate",
            set: "evaluation",
        });
    }
    let (c, h, w) = set.chw();
    let values = normalized(set, norm);
    let per = c * h * w;
    let start = Instant::now();
    let mut rows: Vec<Vec<f32>> = Vec::with_capacity(set.len());
    for first in (0..set.len()).step_by(EVAL_BATCH) {
        let n = EVAL_BATCH.min(set.len() - first);
        let x = values[first * per..(first + n) * per].to_vec();
        let logits = model.forward(images_tensor(x, [n, c, h, w], device))?;
        let k = logits.dims()[1];
        let flat = logits
            .into_data()
            .try_into_vec_as::<f32>()
            .expect("float logits");
        rows.extend(flat.chunks(k).map(<[f32]>::to_vec));
    }
    let seconds = start.elapsed().as_secs_f64();
    let classes = rows[0].len();
    if set.classes > classes {
        return Err(RunError::Classes {
            outputs: classes,
            classes: set.classes,
        });
    }
    let loss = cross_entropy(&rows, &set.labels);
    let mut report = eval::evaluate(
        &rows,
        &set.labels,
        classes,
        |r| Ok::<_, Infallible>(r.clone()),
        Progress::Quiet,
    )
    .map_err(|e| RunError::Eval(e.to_string()))?;
    report.seconds = seconds;
    report.images_per_s = set.len() as f64 / seconds.max(1e-9);
    Ok(Evaluation { report, loss })
}

fn epoch_bar(progress: Progress, steps: usize, epoch: usize, epochs: usize) -> ProgressBar {
    if progress == Progress::Quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr());
    let template = format!(
        "epoch {}/{epochs} {{bar:30}} {{pos}}/{{len}} batches, loss {{msg}}, {{per_sec}}, ETA {{eta}}",
        epoch + 1
    );
    match ProgressStyle::with_template(&template) {
        Ok(style) => bar.with_style(style),
        Err(_) => bar,
    }
}

/// Split batches into two shards on the threads of the pool this runs on when the model's
/// samples are independent (any thread count gives the same bytes).
fn shard_if_independent(stepper: Stepper, model: &TrainModel) -> Result<Stepper, RunError> {
    if !model.samples_independent() {
        return Ok(stepper);
    }
    stepper
        .with_shards(rayon::current_num_threads())
        .map_err(|e| RunError::Threads(e.to_string()))
}

/// Seed of epoch `epoch`'s shuffle and dropout masks.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    Rng::for_item(seed, epoch as u64, u64::MAX).next_u64()
}

/// The progress record of a run that has not started.
fn initial_meta(cfg: &RunConfig) -> TrainingMeta {
    TrainingMeta {
        recipe: cfg.recipe.clone(),
        seed: cfg.seed,
        normalization: cfg.normalization.name().to_string(),
        epochs_done: 0,
        optimizer_steps: 0,
        best_top1: NO_BEST,
        best_epoch: None,
        history: Vec::new(),
        qat: cfg.qat.clone(),
    }
}

/// The images of `batch`, augmented for `epoch` and mapped through the normalization table.
fn augmented(
    set: &ImageSet,
    batch: &[usize],
    augment: &Augment,
    lut: &[f32],
    seed: u64,
    epoch: usize,
) -> Vec<f32> {
    let mut x = Vec::new();
    for &i in batch {
        let img = augment.apply(set.image(i), seed, epoch as u64, i as u64);
        x.extend(img.iter().map(|&p| lut[usize::from(p)]));
    }
    x
}

/// `metrics.csv` and `curves.png` of the run so far.
fn write_history(dir: &Path, history: &[EpochRecord]) -> Result<(), RunError> {
    let csv = run_file(dir, "metrics.csv");
    metrics::write_csv(&csv, history).map_err(|source| RunError::Write {
        file: csv.display().to_string(),
        source,
    })?;
    let png = run_file(dir, "curves.png");
    curves::draw(&png, history).map_err(|message| RunError::Plot {
        file: png.display().to_string(),
        message,
    })
}

/// Calibrate what `scheme` needs on the images of `set` (post-training fake quantization,
/// `qat::calibrate` with the set normalized by `norm`).
#[allow(clippy::too_many_arguments)]
pub fn calibrate_set(
    graph: &mut Graph,
    q: &Qat,
    scheme: &dyn QatScheme,
    opts: &ModelOptions,
    set: &ImageSet,
    norm: Normalization,
    seed: u64,
    device: &Device,
) -> Result<usize, RunError> {
    let (c, h, w) = set.chw();
    let values = normalized(set, norm);
    let images = (values.as_slice(), [c, h, w]);
    Ok(qat::calibrate(
        graph, q, scheme, opts, images, EVAL_BATCH, seed, device,
    )?)
}

/// Calibrate what `scheme` needs before quantized activations start, on the training images
/// (`plain`: already normalized, when the run has them).
fn calibrate(
    graph: &mut Graph,
    q: &Qat,
    scheme: &dyn QatScheme,
    opts: &ModelOptions,
    (set, plain, norm): (&ImageSet, Option<&[f32]>, Normalization),
    batch: usize,
    cfg: &RunConfig,
) -> Result<(), RunError> {
    let (c, h, w) = set.chw();
    let values = match plain {
        Some(v) => std::borrow::Cow::Borrowed(v),
        None => std::borrow::Cow::Owned(normalized(set, norm)),
    };
    let images = (values.as_ref(), [c, h, w]);
    let seed = cfg.seed;
    qat::calibrate(
        graph,
        q,
        scheme,
        opts,
        images,
        batch,
        seed,
        &cfg.eval_device,
    )?;
    Ok(())
}

/// The taps of a scheme's per-step statistics (GFPQ's data coefficients) on a training model.
struct StepTaps {
    sink: Option<(Arc<TapSink>, Vec<crate::quant::Tap>)>,
}

impl StepTaps {
    fn none() -> Self {
        StepTaps { sink: None }
    }

    /// Tap `model` where `scheme` reads its statistics (its stages set from `graph`).
    fn install(
        model: &mut TrainModel,
        graph: &Graph,
        scheme: &dyn QatScheme,
    ) -> Result<Self, RunError> {
        let taps = scheme.step_taps(graph);
        if taps.is_empty() {
            return Ok(Self::none());
        }
        let (quant, sink) = tapped(model.quant(), &taps, TapMode::MaxAbs);
        model.set_quant(quant)?;
        Ok(StepTaps {
            sink: Some((sink, taps)),
        })
    }

    /// After a step: hand the step's largest magnitudes to the scheme and, when it changed
    /// its ranges, rebuild the stages of `model` for `epoch`.
    fn after_step(
        &mut self,
        model: &mut TrainModel,
        graph: &mut Graph,
        q: &Qat,
        scheme: &dyn QatScheme,
        epoch: usize,
    ) -> Result<(), RunError> {
        let Some((sink, _)) = &self.sink else {
            return Ok(());
        };
        if scheme.after_step(graph, &sink.take_max()) {
            q.configure(model, graph, scheme, epoch)?;
            *self = Self::install(model, graph, scheme)?;
        }
        Ok(())
    }

    /// Forget what was recorded outside training steps (validation passes).
    fn clear(&self) {
        if let Some((sink, _)) = &self.sink {
            sink.take_max();
        }
    }
}

/// Train `graph` (its parameters, if any, are the starting point) on `data`, writing
/// checkpoints, `metrics.csv` and `curves.png` into `cfg.out_dir`. `on_epoch` sees each
/// finished epoch.
pub fn train(
    graph: &Graph,
    data: &Splits,
    cfg: &RunConfig,
    on_epoch: &mut dyn FnMut(&EpochRecord),
) -> Result<Outcome, RunError> {
    if data.train.is_empty() {
        return Err(RunError::Empty {
            what: "train on",
            set: "training",
        });
    }
    let mut graph = graph.clone();
    let mut meta = initial_meta(cfg);
    let mut optimizer_state = Vec::new();
    if let Some(path) = &cfg.init_from {
        progress::load_into(path, &mut graph)?;
    }
    if let Some(path) = &cfg.resume_from {
        let loaded = progress::load_into(path, &mut graph)?;
        meta = progress::require_meta(path, &loaded)?;
        meta.recipe.epochs = cfg.recipe.epochs;
        optimizer_state = loaded.optimizer;
    }
    let recipe = meta.recipe.clone();
    let seed = meta.seed;
    let norm = meta
        .normalization
        .parse::<Normalization>()
        .unwrap_or(cfg.normalization);
    let device = &cfg.device;
    // The run's own scheme (`--scheme`), else the device's.
    let scheme_arc = match &meta.qat {
        Some(q) => q.resolve(cfg.scheme.as_ref()),
        None => cfg.scheme.clone(),
    };
    let scheme = scheme_arc.as_deref();
    let opts = ModelOptions { seed, bias: true };
    let epoch0 = meta.epochs_done;
    let mut model = qat::build_model(
        &mut graph,
        meta.qat.as_ref(),
        cfg.scheme.as_ref(),
        epoch0,
        &opts,
        device,
    )?;
    let mut step_taps = StepTaps::none();
    let mut stepper = Stepper::new(recipe.optimizer, device);
    stepper = shard_if_independent(stepper, &model)?;
    stepper
        .optim
        .restore(meta.optimizer_steps, optimizer_state, device);

    let latest_path = run_file(&cfg.out_dir, "latest.safetensors");
    let best_path = run_file(&cfg.out_dir, "best.safetensors");
    let (c, h, w) = data.train.chw();
    let per = c * h * w;
    let augment = Augment {
        crop_pad: recipe.crop_pad,
        hflip: recipe.hflip,
    };
    let plain = augment.is_off().then(|| normalized(&data.train, norm));
    let lut = norm.table();
    let n = data.train.len();
    let steps = n.div_ceil(recipe.batch_size);

    for epoch in meta.epochs_done..recipe.epochs {
        if let Some(q) = meta.qat.as_mut().filter(|q| q.starts_at(epoch)) {
            // Fold batch norm, quantize-aware model, optimizer state carried over; the best
            // checkpoint from here on is the best quantization-aware one.
            model.export_to_graph(&mut graph)?;
            let old = qat::param_shapes(&model);
            q.active = true;
            if let Some(scheme) = scheme {
                let set = (&data.train, plain.as_deref(), norm);
                calibrate(&mut graph, q, scheme, &opts, set, recipe.batch_size, cfg)?;
            }
            model = qat::build_model(
                &mut graph,
                Some(q),
                cfg.scheme.as_ref(),
                epoch,
                &opts,
                device,
            )?;
            stepper
                .optim
                .carry_over(&qat::carry_over(&old, &qat::param_shapes(&model)));
            stepper = shard_if_independent(stepper, &model)?;
            meta.best_top1 = NO_BEST;
            meta.best_epoch = None;
        }
        // This epoch's stages: progressive quantization's layers and locks, and the taps of
        // the scheme's per-step statistics.
        let mut quantized_layers = None;
        if let (Some(q), Some(scheme)) = (meta.qat.as_ref().filter(|q| q.active), scheme) {
            quantized_layers = q.configure(&mut model, &graph, scheme, epoch)?;
            step_taps = StepTaps::install(&mut model, &graph, scheme)?;
        }
        let eseed = epoch_seed(seed, epoch);
        super::model::reseed(device, eseed);
        let mut order: Vec<usize> = (0..n).collect();
        Rng::new(eseed).shuffle(&mut order);
        let lr = recipe.lr_at(epoch);
        let bar = epoch_bar(cfg.progress, steps, epoch, recipe.epochs);
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        let mut seconds = 0.0;
        step_taps.clear();
        for batch in order.chunks(recipe.batch_size) {
            let x = match &plain {
                Some(v) => batch
                    .iter()
                    .flat_map(|&i| &v[i * per..(i + 1) * per])
                    .copied()
                    .collect(),
                None => augmented(&data.train, batch, &augment, &lut, seed, epoch),
            };
            let y: Vec<usize> = batch
                .iter()
                .map(|&i| usize::from(data.train.labels[i]))
                .collect();
            let start = Instant::now();
            let (m, stats) =
                stepper.step_batch(model, &x, [batch.len(), c, h, w], &y, lr, device)?;
            seconds += start.elapsed().as_secs_f64();
            model = m;
            if let (Some(q), Some(scheme)) = (meta.qat.as_ref(), scheme) {
                step_taps.after_step(&mut model, &mut graph, q, scheme, epoch)?;
            }
            loss_sum += f64::from(stats.loss) * batch.len() as f64;
            correct += stats.correct;
            bar.set_message(format!("{:.4}", stats.loss));
            bar.inc(1);
        }
        bar.finish_and_clear();
        let valid = model.valid();
        let val = evaluate_model(&valid, &data.val, norm, &cfg.eval_device)?;
        let record = EpochRecord {
            epoch,
            lr,
            train_loss: loss_sum / n as f64,
            train_top1: correct as f64 / n as f64,
            val_loss: val.loss,
            val_top1: val.report.top1,
            val_top5: val.report.top5,
            images_per_s: Some(n as f64 / seconds.max(1e-9)),
            quantized_layers,
        };
        meta.history.push(record.clone());
        meta.epochs_done = epoch + 1;
        meta.optimizer_steps = stepper.optim.steps;
        model.export_to_graph(&mut graph)?;
        // Only a fully quantized epoch can be the best of a progressive run.
        if record.val_top1 > meta.best_top1 && quantized_layers.is_none() {
            meta.best_top1 = record.val_top1;
            meta.best_epoch = Some(epoch);
            progress::save(&best_path, &graph, &stepper.optim, &meta)?;
        }
        progress::save(&latest_path, &graph, &stepper.optim, &meta)?;
        write_history(&cfg.out_dir, &meta.history)?;
        on_epoch(&record);
    }

    let mut best = graph.clone();
    if best_path.is_file() {
        progress::load_into(&best_path, &mut best)?;
    }
    let best_model = qat::build_model(
        &mut best,
        meta.qat.as_ref(),
        cfg.scheme.as_ref(),
        usize::MAX,
        &opts,
        &cfg.eval_device,
    )?;
    let test = evaluate_model(&best_model, &data.test, norm, &cfg.eval_device)?;
    Ok(Outcome {
        meta,
        best,
        test,
        latest_path,
        best_path,
    })
}
