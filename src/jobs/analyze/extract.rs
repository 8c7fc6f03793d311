//! `qtool analyze --extract DIR`: the analysed images' values inside the model, as float32
//! `.npy` files in one folder written at once: `<layer>.npy`, every layer's output
//! `[N, C, H, W]` (a linear layer's as `[N, K, 1, 1]`; the last layer's are the logits `eval`
//! scores), and `<layer>.raw.npy` for each layer with an operator, its raw sum of products
//! after any raw-sum quantizer of the scheme, before the bias (`[N, C, H, W]`).
//!
//! Owns the file list and its report. Must not run models.

use super::collect::Values;
use super::files::{Folder, stem};
use crate::io::npy::f32_bytes;
use crate::ir::{Graph, params::layer_names};
use crate::jobs::JobError;
use ndarray::ArrayD;
use serde::Serialize;
use std::path::Path;

/// One written file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractedFile {
    /// Graph node index.
    pub index: usize,
    pub layer: String,
    /// `output` or `raw`.
    pub kind: &'static str,
    pub file: String,
    /// `[N, C, H, W]`.
    pub shape: [usize; 4],
}

/// What `--extract` wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractReport {
    pub dir: String,
    pub files: Vec<ExtractedFile>,
}

/// Write `outputs` (one per graph node) and `raw` (one per quantized layer `nodes`) into
/// `dir`.
pub fn write(
    dir: &Path,
    overwrite: bool,
    graph: &Graph,
    nodes: &[usize],
    outputs: Vec<Values>,
    raw: Vec<Values>,
) -> Result<ExtractReport, JobError> {
    let names = layer_names(graph);
    let mut folder = Folder::default();
    let mut files = Vec::new();
    let entries = outputs
        .into_iter()
        .enumerate()
        .map(|(i, v)| (i, "output", ".npy", v))
        .chain(
            nodes
                .iter()
                .zip(raw)
                .map(|(&i, v)| (i, "raw", ".raw.npy", v)),
        );
    for (index, kind, suffix, values) in entries {
        let file = format!("{}{suffix}", stem(&names[index]));
        let shape = values.shape;
        let array = ArrayD::from_shape_vec(shape.to_vec(), values.data)
            .map_err(|e| JobError::Other(format!("layer {}: {kind} values: {e}", names[index])))?;
        let bytes = f32_bytes(&array).map_err(|e| JobError::io(dir, "cannot encode", e))?;
        folder.add(file.clone(), &names[index], bytes)?;
        files.push(ExtractedFile {
            index,
            layer: names[index].clone(),
            kind,
            file,
            shape,
        });
    }
    files.sort_by_key(|f| (f.index, f.kind != "output"));
    folder.write(dir, overwrite)?;
    Ok(ExtractReport {
        dir: dir.display().to_string(),
        files,
    })
}
