//! `qtool train` and `qtool eval`: flags → a training or evaluation job → printed results.

use super::args::DeviceFlag;
use super::scheme::{ProgressiveFlags, SchemeFlags};
use crate::data::{DatasetKind, Normalization, bundled_mnist_dir};
use crate::eval::Progress;
use crate::jobs::eval::{EvalJob, evaluate};
use crate::jobs::train::{TrainJob, default_run_dir, train};
use crate::jobs::{DataSource, JobError};
use crate::quant::{CalibrationSettings, SchemeSettings};
use crate::train::optim::OptimizerKind;
use crate::train::progress::EpochRecord;
use crate::train::progressive::Progressive;
use crate::train::qat;
use crate::train::recipe::Recipe;
use anyhow::{Result, anyhow, bail};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the data comes from (shared by train and eval).
#[derive(Debug, Args)]
pub struct DataFlags {
    /// Data set folder (default: the bundled MNIST digits, data/mnist).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Format of --data.
    #[arg(long, value_name = "KIND", default_value = "mnist", value_parser = parse_dataset)]
    pub dataset: DatasetKind,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

fn parse_dataset(s: &str) -> Result<DatasetKind, String> {
    s.parse()
}

fn parse_normalization(s: &str) -> Result<Normalization, String> {
    s.parse()
}

impl DataFlags {
    pub(super) fn source(&self) -> DataSource {
        DataSource {
            kind: self.dataset,
            dir: self.data.clone().unwrap_or_else(bundled_mnist_dir),
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OptimizerFlag {
    Sgd,
    Adam,
}

/// Flags of `qtool train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub device: DeviceFlag,
    /// Network description (MAX78000 YAML, training keys allowed).
    #[arg(long, value_name = "YAML")]
    pub network: PathBuf,
    #[command(flatten)]
    pub data: DataFlags,
    /// Recipe file: optimizer, lr, milestones/gamma, epochs, batch size (default:
    /// configs/mnist.yaml, built in). The flags below override single keys.
    #[arg(long, value_name = "FILE")]
    pub schedule: Option<PathBuf>,
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    #[arg(long, value_name = "B")]
    pub batch_size: Option<usize>,
    #[arg(long, value_name = "LR")]
    pub lr: Option<f64>,
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerFlag>,
    #[arg(long, value_name = "M")]
    pub momentum: Option<f64>,
    #[arg(long, value_name = "W")]
    pub weight_decay: Option<f64>,
    /// Fraction of the training split held out for validation (0: validate on the test split).
    #[arg(long, value_name = "F")]
    pub validation_split: Option<f64>,
    /// Seed of initial weights, data split, shuffling, augmentation and dropout.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Input normalization: ai8x ([-1, 127/128]), gti ([0, 31]) or unit ([0, 1]) (default:
    /// the device's input, ai8x for max78000 and max78002, gti for gti).
    #[arg(long, value_parser = parse_normalization)]
    pub normalization: Option<Normalization>,
    /// Augmentation: random crop after padding each side by this many pixels.
    #[arg(long, value_name = "PIXELS")]
    pub crop_pad: Option<usize>,
    /// Augmentation: random horizontal flip.
    #[arg(long)]
    pub hflip: bool,
    /// Run directory (default: runs/<network>, numbered so no run is overwritten).
    #[arg(long, value_name = "RUNDIR")]
    pub out: Option<PathBuf>,
    /// Write into an existing, non-empty run directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Continue a run from its latest.safetensors (its recipe, seed and data split are used;
    /// --epochs may extend it).
    #[arg(long, value_name = "CKPT", conflicts_with = "init_from")]
    pub resume_from: Option<PathBuf>,
    /// Start a new run from a checkpoint's parameters and stage (batch norm folded or not,
    /// calibrated caps) with a fresh optimizer and this run's recipe: the next stage of a
    /// staged flow. With --quant-w/--quant-act, quantization starts at epoch 0 unless
    /// --qat-start says otherwise.
    #[arg(long, value_name = "CKPT")]
    pub init_from: Option<PathBuf>,
    /// Quantization-aware training: fake-quantize weights and biases (MAX78000 widths from
    /// the QAT policy). Without --quant-act, activations stay unrounded.
    #[arg(long)]
    pub quant_w: bool,
    /// Quantization-aware training: round activations to the device's 8-bit grid.
    #[arg(long)]
    pub quant_act: bool,
    /// Epoch (0-based) at whose start QAT begins — the number of float epochs before it —
    /// overriding the policy's start_epoch. Enables QAT.
    #[arg(long, value_name = "EPOCH")]
    pub qat_start: Option<usize>,
    /// QAT policy (ai8x format: start_epoch, weight_bits, shift_quantile, overrides; default
    /// configs/qat_policy.yaml, built in). Enables QAT. GTI takes its widths from the chip
    /// network's coef_bits.
    #[arg(long, value_name = "FILE")]
    pub qat_policy: Option<PathBuf>,
    /// Activation-cap calibration (GTI, before --quant-act starts): percentile of each ReLU's
    /// outputs per batch.
    #[arg(long, value_name = "P", default_value_t = 99.99)]
    pub calib_percentile: f64,
    /// Activation-cap calibration: number of training batches (the cap is the largest
    /// batch percentile).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub calib_batches: usize,
    #[command(flatten)]
    pub scheme: SchemeFlags,
    #[command(flatten)]
    pub progressive: ProgressiveFlags,
}

impl TrainArgs {
    /// The run's QAT settings (quantization from epoch 0 when starting from a checkpoint).
    fn qat(&self) -> Result<Option<qat::Qat>> {
        if !(0.0..=100.0).contains(&self.calib_percentile) || self.calib_batches == 0 {
            return Err(anyhow!(JobError::Recipe {
                file: "command line".into(),
                message: "--calib-percentile must be 0 to 100 and --calib-batches at least 1"
                    .into(),
            }));
        }
        let start = self.qat_start.or(self.init_from.as_ref().map(|_| 0));
        let progressive = self.progressive.progressive()?;
        if let Some(settings) = self.scheme.settings()? {
            return self.scheme_qat(settings, start, progressive).map(Some);
        }
        if progressive.is_some() {
            bail!("--progressive needs --scheme quantclip or --scheme gfpq");
        }
        let q = qat::configure(
            self.qat_policy.as_deref(),
            start,
            self.quant_w,
            self.quant_act,
        )
        .map_err(|e| anyhow!(e))?;
        Ok(q.map(|mut q| {
            q.calibration = CalibrationSettings {
                percentile: self.calib_percentile,
                batches: self.calib_batches,
            };
            q
        }))
    }

    /// Training with a device-independent scheme: the switch at --qat-start, or at once from
    /// --init-from.
    fn scheme_qat(
        &self,
        settings: SchemeSettings,
        start: Option<usize>,
        progressive: Option<Progressive>,
    ) -> Result<qat::Qat> {
        if self.quant_w || self.quant_act || self.qat_policy.is_some() {
            bail!(
                "--scheme {} excludes --quant-w, --quant-act and --qat-policy (the device's QAT)",
                settings.name()
            );
        }
        let Some(start_epoch) = start else {
            bail!(
                "--scheme {} needs --init-from CKPT (a float checkpoint) or --qat-start E",
                settings.name()
            );
        };
        Ok(qat::Qat::with_scheme(settings, start_epoch, progressive))
    }

    fn recipe(&self) -> Result<Recipe, JobError> {
        let mut r = match &self.schedule {
            Some(p) => Recipe::read(p, None).map_err(|e| JobError::Recipe {
                file: p.display().to_string(),
                message: e.to_string(),
            })?,
            None => Recipe::default_recipe(),
        };
        if let Some(v) = self.epochs {
            r.epochs = v;
        }
        if let Some(v) = self.batch_size {
            r.batch_size = v;
        }
        if let Some(v) = self.lr {
            r.lr = v;
        }
        if let Some(v) = self.optimizer {
            r.optimizer.kind = match v {
                OptimizerFlag::Sgd => OptimizerKind::Sgd,
                OptimizerFlag::Adam => OptimizerKind::Adam,
            };
        }
        if let Some(v) = self.momentum {
            r.optimizer.momentum = v;
        }
        if let Some(v) = self.weight_decay {
            r.optimizer.weight_decay = v;
        }
        if let Some(v) = self.validation_split {
            r.validation_split = v;
        }
        if let Some(v) = self.crop_pad {
            r.crop_pad = (v > 0).then_some(v);
        }
        if self.hflip {
            r.hflip = true;
        }
        r.validate().map_err(|(key, message)| JobError::Recipe {
            file: "command line".into(),
            message: format!("--{}: {message}", key.replace('_', "-")),
        })?;
        Ok(r)
    }
}

fn progress(quiet: bool) -> Progress {
    if quiet {
        Progress::Quiet
    } else {
        Progress::Bar
    }
}

fn epoch_line(r: &EpochRecord, epochs: usize) -> String {
    let speed = r
        .images_per_s
        .map(|s| format!(", {s:.0} images/s"))
        .unwrap_or_default();
    format!(
        "epoch {:>3}/{epochs}: lr {:.3e}, train loss {:.4} top-1 {:.2}%; validation loss {:.4} top-1 {:.2}% top-5 {:.2}%{speed}",
        r.epoch + 1,
        r.lr,
        r.train_loss,
        100.0 * r.train_top1,
        r.val_loss,
        100.0 * r.val_top1,
        100.0 * r.val_top5
    )
}

pub fn run_train(a: &TrainArgs, ctx: &super::Context) -> Result<ExitCode> {
    let quiet = ctx.quiet;
    let target = ctx.target(&a.device)?;
    let job_target = target.clone();
    let recipe = a.recipe().map_err(|e| anyhow!(e))?;
    let out_dir = a.out.clone().unwrap_or_else(|| default_run_dir(&a.network));
    let job = TrainJob {
        target,
        network: a.network.clone(),
        data: a.data.source(),
        recipe: recipe.clone(),
        seed: a.seed,
        normalization: a
            .normalization
            .unwrap_or_else(|| job_target.input_normalization()),
        out_dir: out_dir.clone(),
        overwrite: a.overwrite,
        resume_from: a.resume_from.clone(),
        init_from: a.init_from.clone(),
        threads: a.data.threads.map(usize::from),
        progress: progress(quiet),
        qat: a.qat()?,
        epochs_given: a.epochs.is_some(),
    };
    let epochs = recipe.epochs;
    let mut on_epoch = |r: &EpochRecord| {
        if !quiet {
            eprintln!("{}", epoch_line(r, epochs));
        }
    };
    let outcome = train(&job, &mut on_epoch).map_err(|e| anyhow!(e))?;
    let best = outcome
        .meta
        .best_epoch
        .map_or_else(|| "none".to_string(), |e| (e + 1).to_string());
    let t = &outcome.test;
    let text = format!(
        "run directory: {}\nbest epoch {best} (validation top-1 {:.2}%)\ntest: {}, loss {:.4}\n{}",
        out_dir.display(),
        100.0 * outcome.meta.best_top1.max(0.0),
        t.report,
        t.loss,
        t.report.confusion_table()
    );
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Flags of `qtool eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub device: DeviceFlag,
    /// Network description (MAX78000 YAML).
    #[arg(long, value_name = "YAML")]
    pub network: PathBuf,
    /// Checkpoint written by `qtool train` (float or QAT, .safetensors), or with --quantized a
    /// quantized one.
    #[arg(long, value_name = "CKPT")]
    pub checkpoint: PathBuf,
    #[command(flatten)]
    pub data: DataFlags,
    /// Input normalization (default: the one the checkpoint was trained with).
    #[arg(long, value_parser = parse_normalization)]
    pub normalization: Option<Normalization>,
    /// Print one JSON object: {"top1", "top5", "loss", "samples"} (accuracies in percent).
    #[arg(long)]
    pub json: bool,
    /// Write the predicted class per sample as int64 `.npy`.
    #[arg(long, value_name = "NPY")]
    pub predictions: Option<PathBuf>,
    /// The checkpoint is quantized (`qtool quantize`, or an ai8x `-q.pth.tar`): evaluate in
    /// simulate mode (ai8x's `-8`), the device's arithmetic — the same predictions as
    /// `qtool sim --evaluate`. The loss is on outputs scaled back by 1/128 (and 1/256 for a
    /// 32-bit output layer), as ai8x reports it.
    #[arg(long)]
    pub quantized: bool,
    /// With --scheme: post-training fake quantization of a float checkpoint (calibrated on
    /// 32 training images unless --calib-images says otherwise).
    #[command(flatten)]
    pub scheme: SchemeFlags,
}

pub fn run_eval(a: &EvalArgs, ctx: &super::Context) -> Result<ExitCode> {
    let job = EvalJob {
        target: ctx.target(&a.device)?,
        network: a.network.clone(),
        checkpoint: a.checkpoint.clone(),
        data: a.data.source(),
        normalization: a.normalization,
        threads: a.data.threads.map(usize::from),
        quantized: a.quantized,
        scheme: a.scheme.settings()?,
    };
    let result = evaluate(&job).map_err(|e| anyhow!(e))?;
    if let Some(p) = &a.predictions {
        crate::eval::write_predictions(p, &result.report)?;
    }
    let r = &result.report;
    let text = if a.json {
        let v = serde_json::json!({
            "top1": 100.0 * r.top1,
            "top5": 100.0 * r.top5,
            "loss": result.loss,
            "samples": r.samples,
        });
        serde_json::to_string(&v)? + "\n"
    } else {
        format!("{r}, loss {:.4}\n{}", result.loss, r.confusion_table())
    };
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
