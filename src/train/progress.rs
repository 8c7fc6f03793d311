//! The progress of a training run as its checkpoints record it (`latest.safetensors`,
//! `best.safetensors`): [`TrainingMeta`] (recipe, seed, epochs done, history, QAT state) in the
//! training extension of a native graph checkpoint, beside the parameters and the optimizer's
//! moments.
//!
//! Owns what the training record holds and the save/load calls a run makes; the file layout
//! is [`crate::checkpoint::graph`]'s. Must not train.

use super::optim::Optimizer;
use super::recipe::Recipe;
pub use crate::checkpoint::CheckpointError;
use crate::checkpoint::graph::{self, Extensions, StateTensor};
use crate::checkpoint::native::{NativeCheckpoint, NativeMeta};
use crate::ir::Graph;
use serde::{Deserialize, Serialize};
use std::path::Path;

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
    /// Layers quantized during this epoch while progressive quantization had not reached
    /// them all (`None`: every layer, or no progressive quantization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantized_layers: Option<usize>,
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
    write(path, graph, optimizer.state(), Some(meta))
}

/// Write `graph`'s parameters alone (no optimizer state), keeping `meta` if given.
pub fn save_params(
    path: &Path,
    graph: &Graph,
    meta: Option<&TrainingMeta>,
) -> Result<(), CheckpointError> {
    write(path, graph, Vec::new(), meta)
}

fn write(
    path: &Path,
    graph: &Graph,
    optimizer: Vec<StateTensor>,
    meta: Option<&TrainingMeta>,
) -> Result<(), CheckpointError> {
    let training =
        meta.map(serde_json::to_value)
            .transpose()
            .map_err(|e| CheckpointError::Malformed {
                file: path.display().to_string(),
                reason: e.to_string(),
            })?;
    let ext = Extensions {
        training,
        optimizer,
        epoch: meta
            .and_then(|m| m.epochs_done.checked_sub(1))
            .map(|e| e as u64),
    };
    graph::write_graph(path, graph, &ext)
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
    let meta = training_meta(&ckpt.meta, path)?;
    let ext = graph::load_graph(ckpt, path, graph)?;
    Ok(Loaded {
        meta,
        optimizer: ext.optimizer,
    })
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
