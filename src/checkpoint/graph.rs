//! A graph in qtool's native checkpoint: its parameters (named by [`crate::ir::params`]), the
//! quantization attributes of every layer, and two opaque extensions a trainer may add — the
//! optimizer's per-parameter moments (`optimizer.<i>.m` / `.v`, `i` = parameter visiting
//! order) and a JSON record of the run in the metadata.
//!
//! Owns how those are laid out in a file and read back onto a graph. What the training record
//! means is `crate::train::progress`'s. Files are written atomically and hold no timestamps, so
//! equal graphs give equal bytes. Must not train.

use super::native::{LayerMeta, NativeCheckpoint, NativeError, NativeMeta};
use crate::ir::{Graph, QuantAttrs, params};
use ndarray::{ArrayD, IxDyn};
use std::path::Path;
use thiserror::Error;

/// Prefix of optimizer-state tensors.
const OPTIMIZER: &str = "optimizer.";

/// One optimizer state tensor as a checkpoint stores it: (parameter index in visiting order,
/// which moment — 0 for `m`, 1 for `v` —, values).
pub type StateTensor = (usize, u8, Vec<f32>);

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

/// What a graph checkpoint holds besides the parameters.
#[derive(Debug, Clone, Default)]
pub struct Extensions {
    /// The trainer's record of the run, if any.
    pub training: Option<serde_json::Value>,
    /// The optimizer's moments, if saved.
    pub optimizer: Vec<StateTensor>,
    /// The epoch the file records (the last finished one).
    pub epoch: Option<u64>,
}

/// Write `graph`'s parameters and layer attributes, with `ext`, to `path` atomically.
pub fn write_graph(path: &Path, graph: &Graph, ext: &Extensions) -> Result<(), CheckpointError> {
    let mut tensors = params::state_dict(graph);
    for (i, which, values) in &ext.optimizer {
        let n = values.len();
        let name = format!("{OPTIMIZER}{i}.{}", if *which == 0 { "m" } else { "v" });
        let array = ArrayD::from_shape_vec(IxDyn(&[n]), values.clone()).expect("flat state");
        tensors.push((name, array));
    }
    let mut meta = NativeMeta::new(graph.arch.clone(), ext.epoch, layer_metas(graph));
    meta.training = ext.training.clone();
    NativeCheckpoint { meta, tensors }.write(path)?;
    Ok(())
}

/// Copy recorded quantization attributes onto the layers of the same name; layers the file
/// records nothing for keep theirs.
fn restore_quant(graph: &mut Graph, layers: &[LayerMeta]) {
    if layers.len() != graph.nodes.len() {
        return;
    }
    let names = params::layer_names(graph);
    for ((node, recorded), name) in graph.nodes.iter_mut().zip(layers).zip(names) {
        if recorded.quant != QuantAttrs::default() && recorded.name == name {
            node.quant = recorded.quant;
        }
    }
}

/// Every layer's name and quantization attributes, as a checkpoint records them.
pub fn layer_metas(graph: &Graph) -> Vec<LayerMeta> {
    graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| LayerMeta {
            name: params::layer_key(graph, i),
            quant: n.quant,
        })
        .collect()
}

/// Named tensors as a checkpoint stores them.
pub type NamedTensors = Vec<(String, ArrayD<f32>)>;

/// A checkpoint's tensors split into the parameters and the optimizer state (read from `path`,
/// named in errors).
pub fn split_optimizer(
    tensors: NamedTensors,
    path: &Path,
) -> Result<(NamedTensors, Vec<StateTensor>), CheckpointError> {
    let (opt, weights): (Vec<_>, Vec<_>) = tensors
        .into_iter()
        .partition(|(n, _)| n.starts_with(OPTIMIZER));
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
        let (i, which) = parsed.ok_or_else(|| CheckpointError::Malformed {
            file: path.display().to_string(),
            reason: format!("unknown tensor `{name}`"),
        })?;
        optimizer.push((i, which, t.iter().copied().collect()));
    }
    Ok((weights, optimizer))
}

/// Set `graph`'s parameters from a checkpoint read from `path`, and each layer's quantization
/// attributes where the file records some for a layer of the same name (widths, shifts,
/// calibrated activation caps); its extensions. Fails with the file, layer and key when a
/// tensor does not fit the network.
pub fn load_graph(
    ckpt: NativeCheckpoint,
    path: &Path,
    graph: &mut Graph,
) -> Result<Extensions, CheckpointError> {
    let (weights, optimizer) = split_optimizer(ckpt.tensors, path)?;
    params::load_state_dict(graph, &weights).map_err(|source| CheckpointError::Params {
        file: path.display().to_string(),
        source,
    })?;
    restore_quant(graph, &ckpt.meta.layers);
    Ok(Extensions {
        training: ckpt.meta.training,
        optimizer,
        epoch: ckpt.meta.epoch,
    })
}
