//! Loading an ai8x network into the IR: description + checkpoint + input geometry.
//!
//! Owns which file feeds which front end and where the input shape comes from. Parsing is
//! done by the rest of this folder and `crate::checkpoint`; limits are checked by the device.

use super::{self as desc, Built, DescError, InputSpec, MapOptions};
use crate::checkpoint::{self, ReadError};
pub use crate::device::LoadRequest;
use crate::device::ai8x::ChipId;
use crate::ir::{Dims, Shape};
use crate::netdesc::datasets;
use std::path::Path;
use thiserror::Error;

/// Any failure while loading a network.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error(transparent)]
    Desc(#[from] DescError),
    #[error(transparent)]
    Checkpoint(#[from] ReadError),
    #[error(transparent)]
    Npy(#[from] crate::io::npy::NpyError),
    #[error("{file}: sample input has shape {shape:?}; expected [C, H, W] or [C, L]")]
    SampleRank { file: String, shape: Vec<usize> },
    #[error("{file}: --stop-after {layer}: the network has {layers} layers")]
    StopAfter {
        file: String,
        layer: usize,
        layers: usize,
    },
    #[error(
        "{file}: no input shape for dataset `{dataset}`: pass --sample-input or --input-shape, or set `input` in the description"
    )]
    NoInput { file: String, dataset: String },
}

/// The checkpoint-mapping options izer's command line asks for (`--no-bias`).
fn map_options(req: &LoadRequest, chip: ChipId) -> MapOptions {
    let no_bias = if req.izer.no_bias_all {
        (0..chip.chip().limits.max_layers).collect()
    } else {
        req.izer.no_bias.clone()
    };
    MapOptions {
        no_bias,
        binary_weights: chip.chip().features.binary_weights,
        ..MapOptions::default()
    }
}

/// Shape of a sample input file (`[C,H,W]` or `[C,L]`).
pub fn sample_shape(path: &Path) -> Result<Shape, LoadError> {
    let data = crate::io::npy::read_i64_with_rank(path, &[2, 3])?;
    let s = data.shape();
    Ok(match *s {
        [c, l] => Shape {
            channels: c,
            dims: Dims::D1(l),
        },
        [c, h, w] => Shape {
            channels: c,
            dims: Dims::D2(h, w),
        },
        _ => {
            return Err(LoadError::SampleRank {
                file: path.display().to_string(),
                shape: s.to_vec(),
            });
        }
    })
}

/// Where the input shape comes from, first found wins: explicit shape, sample file,
/// `sample_<dataset>.npy` beside the description (izer's convention), the description's own
/// `input` key, the dataset table, or the request's fallback.
fn input_shape(req: &LoadRequest, d: &desc::NetworkDesc) -> Result<Shape, LoadError> {
    if let Some(s) = req.input_shape {
        return Ok(s);
    }
    if let Some(p) = &req.sample_input {
        return sample_shape(p);
    }
    let beside = req
        .network
        .with_file_name(format!("sample_{}.npy", d.dataset.to_ascii_lowercase()));
    if beside.is_file() {
        return sample_shape(&beside);
    }
    if let Some(s) = d.input {
        return Ok(s);
    }
    datasets::input_shape(&d.dataset)
        .or(req.fallback_input)
        .ok_or_else(|| LoadError::NoInput {
            file: d.file.clone(),
            dataset: d.dataset.clone(),
        })
}

/// Load a MAX78000 network description (and checkpoint, if given) into the IR.
pub fn load_max78000(req: &LoadRequest) -> Result<Built, LoadError> {
    load_for(req, ChipId::Max78000)
}

/// Load an ai8x network description (and checkpoint, if given) into the IR, placed on `chip`.
pub fn load_for(req: &LoadRequest, chip: ChipId) -> Result<Built, LoadError> {
    build(req, &load_desc(req, chip)?, chip)
}

/// The description of `req` for `chip`, with `--stop-after` and `--input-offset` applied.
pub fn load_desc(req: &LoadRequest, chip: ChipId) -> Result<desc::NetworkDesc, LoadError> {
    let mut d = desc::load_with_layers(&req.network, chip.chip().limits.max_layers)?;
    if let Some(n) = req.izer.stop_after {
        let Some(layer) = d.layers.get_mut(n) else {
            return Err(LoadError::StopAfter {
                file: d.file.clone(),
                layer: n,
                layers: d.layers.len(),
            });
        };
        layer.next_sequence = Some(-1);
    }
    if let (Some(offset), Some(first)) = (req.izer.input_offset, d.layers.first_mut()) {
        first.in_offset = Some(offset);
    }
    Ok(d)
}

/// The IR of an already read description `d` (and of `req`'s checkpoint, if given).
pub fn build(req: &LoadRequest, d: &desc::NetworkDesc, chip: ChipId) -> Result<Built, LoadError> {
    let input = input_shape(req, d)?;
    let spec = InputSpec {
        channels: input.channels,
        dims: input.dims,
    };
    desc::check_features(d, chip)?;
    let map = match &req.checkpoint {
        Some(p) => Some(desc::map_checkpoint(
            d,
            &checkpoint::read(p)?,
            &p.display().to_string(),
            &map_options(req, chip),
        )?),
        None => None,
    };
    Ok(desc::build_graph_for(d, map.as_ref(), spec, chip)?)
}
