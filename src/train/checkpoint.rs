//! Training checkpoints: the graph's float parameters, the optimizer state and the run's
//! progress in one qtool safetensors file (`latest.safetensors`, `best.safetensors`).
//!
//! Owns what a run needs to resume exactly: parameters (named by [`crate::ir::params`]),
//! optimizer moments (`optimizer.<i>.m`/`.v`, `i` = parameter visiting order) and
//! [`TrainingMeta`] (recipe, seed, epochs done, history) in the file's metadata. Files are
//! written atomically and hold no timestamps, so equal runs give equal bytes. Must not train.

use super::optim::{Optimizer, StateTensor};
use super::recipe::Recipe;
use crate::checkpoint::native::{LayerMeta, NativeCheckpoint, NativeError, NativeMeta};
use crate::ir::{Graph, params};
use ndarray::{ArrayD, IxDyn};
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// Prefix of optimizer-state tensors.
const OPTIMIZER: &str = "optimizer.";

#[derive(Debug, Error)]
pub enum CheckpointError {
    #[error(transparent)]
    File(#[from] NativeError),
    #[error("{file}: {source}")]
    Params {
        file: String,
        source: params::ParamsError,
    },
    #[error("{file}: not a training checkpoint (no training state in its metadata)")]
    NotTraining { file: String },
    #[error("{file}: malformed training state: {reason}")]
    Malformed { file: String, reason: String },
}

/// One epoch's numbers, as `metrics.csv` and the curves show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 0-based.
    pub epoch: usize,
    pub lr: f64,
    pub train_loss: f64,
    pub train_top1: f64,
    pub val_loss: f64,
    pub val_top1: f64,
    pub val_top5: f64,
    /// Training images per second of this epoch (forward, backward, update), when this process
    /// ran it. Not stored in checkpoints: timings differ between equal runs.
    #[serde(skip)]
    pub images_per_s: Option<f64>,
}

/// The progress of a run, stored in every checkpoint it writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingMeta {
    pub recipe: Recipe,
    pub seed: u64,
    /// Normalization of the inputs the model was trained on (`ai8x`, `gti`, `unit`).
    pub normalization: String,
    /// Epochs finished; training resumes at this epoch.
    pub epochs_done: usize,
    pub optimizer_steps: u64,
    /// Best validation top-1 so far and its epoch.
    pub best_top1: f64,
    pub best_epoch: Option<usize>,
    pub history: Vec<EpochRecord>,
    /// Quantization-aware training settings and whether it has begun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qat: Option<super::qat::Qat>,
}

/// Write `graph`'s parameters, the optimizer state and `meta` to `path` atomically.
pub fn save(
    path: &Path,
    graph: &Graph,
    optimizer: &Optimizer,
    meta: &TrainingMeta,
) -> Result<(), CheckpointError> {
    write(path, graph, Some(optimizer), Some(meta))
}

/// Write `graph`'s parameters alone (no optimizer state), keeping `meta` if given.
pub fn save_params(
    path: &Path,
    graph: &Graph,
    meta: Option<&TrainingMeta>,
) -> Result<(), CheckpointError> {
    write(path, graph, None, meta)
}

fn write(
    path: &Path,
    graph: &Graph,
    optimizer: Option<&Optimizer>,
    meta: Option<&TrainingMeta>,
) -> Result<(), CheckpointError> {
    let mut tensors = params::state_dict(graph);
    for (i, which, values) in optimizer.map(Optimizer::state).unwrap_or_default() {
        let n = values.len();
        let name = format!("{OPTIMIZER}{i}.{}", if which == 0 { "m" } else { "v" });
        let array = ArrayD::from_shape_vec(IxDyn(&[n]), values).expect("flat state");
        tensors.push((name, array));
    }
    let layers = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| LayerMeta {
            name: params::layer_key(graph, i),
            quant: n.quant,
        })
        .collect();
    let epoch = meta
        .and_then(|m| m.epochs_done.checked_sub(1))
        .map(|e| e as u64);
    let mut native = NativeMeta::new(graph.arch.clone(), epoch, layers);
    native.training =
        meta.map(serde_json::to_value)
            .transpose()
            .map_err(|e| CheckpointError::Malformed {
                file: path.display().to_string(),
                reason: e.to_string(),
            })?;
    NativeCheckpoint {
        meta: native,
        tensors,
    }
    .write(path)?;
    Ok(())
}

/// A training checkpoint read back.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// `None` for a float checkpoint that does not come from `qtool train`.
    pub meta: Option<TrainingMeta>,
    pub optimizer: Vec<StateTensor>,
}

/// Read `path` and set `graph`'s parameters from it. Fails with the file, layer and key when
/// a tensor does not fit the network.
pub fn load_into(path: &Path, graph: &mut Graph) -> Result<Loaded, CheckpointError> {
    load_native(NativeCheckpoint::read(path)?, path, graph)
}

/// [`load_into`] for a checkpoint already read from `path`.
pub fn load_native(
    ckpt: NativeCheckpoint,
    path: &Path,
    graph: &mut Graph,
) -> Result<Loaded, CheckpointError> {
    let file = path.display().to_string();
    let malformed = |reason: String| CheckpointError::Malformed {
        file: file.clone(),
        reason,
    };
    let meta = match ckpt.meta.training {
        Some(v) => {
            Some(serde_json::from_value::<TrainingMeta>(v).map_err(|e| malformed(e.to_string()))?)
        }
        None => None,
    };
    let (opt, weights): (Vec<_>, Vec<_>) = ckpt
        .tensors
        .into_iter()
        .partition(|(n, _)| n.starts_with(OPTIMIZER));
    params::load_state_dict(graph, &weights).map_err(|source| CheckpointError::Params {
        file: file.clone(),
        source,
    })?;
    let mut optimizer = Vec::with_capacity(opt.len());
    for (name, t) in opt {
        let rest = &name[OPTIMIZER.len()..];
        let parsed = rest.split_once('.').and_then(|(i, w)| {
            let which = match w {
                "m" => 0,
                "v" => 1,
                _ => return None,
            };
            i.parse::<usize>().ok().map(|i| (i, which))
        });
        let (i, which) = parsed.ok_or_else(|| malformed(format!("unknown tensor `{name}`")))?;
        optimizer.push((i, which, t.iter().copied().collect()));
    }
    Ok(Loaded { meta, optimizer })
}

/// The training state recorded in a checkpoint's metadata (`path` names it in errors).
pub fn training_meta(
    meta: &NativeMeta,
    path: &Path,
) -> Result<Option<TrainingMeta>, CheckpointError> {
    meta.training
        .clone()
        .map(serde_json::from_value::<TrainingMeta>)
        .transpose()
        .map_err(|e| CheckpointError::Malformed {
            file: path.display().to_string(),
            reason: e.to_string(),
        })
}

/// A checkpoint's tensors without the optimizer state: the parameters alone.
pub fn params_only(tensors: Vec<(String, ArrayD<f32>)>) -> Vec<(String, ArrayD<f32>)> {
    tensors
        .into_iter()
        .filter(|(n, _)| !n.starts_with(OPTIMIZER))
        .collect()
}

/// The training state stored in `path`, without touching any graph.
pub fn peek_meta(path: &Path) -> Result<Option<TrainingMeta>, CheckpointError> {
    training_meta(&NativeCheckpoint::read(path)?.meta, path)
}

/// The training state of a checkpoint that must have one (for `--resume-from`).
pub fn require_meta(path: &Path, loaded: &Loaded) -> Result<TrainingMeta, CheckpointError> {
    loaded
        .meta
        .clone()
        .ok_or_else(|| CheckpointError::NotTraining {
            file: path.display().to_string(),
        })
}
