//! One pass of the analysed images through a checkpoint's model (and, for `--compare`, its
//! reference model), chunk by chunk, keeping what the requested modes need: per quantized
//! layer the values entering its operator and its raw sums of products (read through
//! [`crate::train::taps`]), every layer's output for `--extract`, and the running sums of the
//! cosine between the two models' outputs.
//!
//! The raw sum is read after any raw-sum quantizer of the scheme, before the bias; the
//! operator input as it arrives, before the scheme's input quantizer. Tapping does not change
//! what a model computes. Owns only the pass; must not compute statistics or write files.

use crate::data::{ImageSet, Normalization};
use crate::jobs::JobError;
use crate::jobs::model::train_error;
use crate::quant::{Tap, TapPoint};
use crate::train::model::{TrainError, TrainModel};
use crate::train::step::images_tensor;
use crate::train::taps::{TapMode, TapSink, tapped};
use burn::tensor::{Device, Tensor};
use std::path::Path;
use std::sync::Arc;

/// Images per forward pass.
const CHUNK: usize = 32;

/// What to keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted {
    /// Operator inputs of the quantized layers.
    pub inputs: bool,
    /// Raw sums of the quantized layers.
    pub raw: bool,
    /// Every layer's output.
    pub outputs: bool,
}

/// A layer's values over every image, and the shape of all of them (`[N, C, H, W]`).
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub shape: [usize; 4],
    pub data: Vec<f32>,
}

impl Values {
    /// Append one chunk of `[n, C, H, W]` values.
    fn push(&mut self, t: Tensor<4>, layer: usize) -> Result<(), TrainError> {
        let [n, c, h, w] = t.dims();
        if self.data.is_empty() {
            self.shape = [0, c, h, w];
        } else if self.shape[1..] != [c, h, w] {
            return Err(TrainError::Unsupported {
                layer,
                message: format!(
                    "values of shape {c}x{h}x{w} after {}x{}x{}",
                    self.shape[1], self.shape[2], self.shape[3]
                ),
            });
        }
        self.data.extend(read(t, layer)?);
        self.shape[0] += n;
        Ok(())
    }
}

fn read(t: Tensor<4>, layer: usize) -> Result<Vec<f32>, TrainError> {
    t.into_data()
        .try_into_vec_as::<f32>()
        .map_err(|e| TrainError::Unsupported {
            layer,
            message: format!("values are not readable as f32: {e:?}"),
        })
}

/// Running sums of one layer's cosine between two models' outputs, in f64.
#[derive(Debug, Clone, Copy, Default)]
pub struct CosineSums {
    pub values: u64,
    pub dot: f64,
    pub a2: f64,
    pub b2: f64,
}

/// What one pass kept.
#[derive(Debug, Default)]
pub struct Collected {
    /// Per quantized layer (in [`crate::quant::operator_nodes`] order): operator inputs.
    pub inputs: Vec<Values>,
    /// Per quantized layer: raw sums.
    pub raw: Vec<Values>,
    /// Per graph node: outputs (with [`Wanted::outputs`]).
    pub outputs: Vec<Values>,
    /// Per graph node: one image's output shape `[C, H, W]`.
    pub shapes: Vec<[usize; 3]>,
    /// Per graph node, with a reference model.
    pub cosine: Vec<CosineSums>,
}

/// Run `images` (normalized by `norm`) through `model` and, when given, `reference`, keeping
/// what `want` asks for at the quantized layers `nodes`. `file` names the checkpoint in
/// errors.
#[allow(clippy::too_many_arguments)]
pub fn run(
    mut model: TrainModel,
    reference: Option<&TrainModel>,
    nodes: &[usize],
    want: Wanted,
    images: &ImageSet,
    norm: Normalization,
    device: &Device,
    file: &Path,
) -> Result<Collected, JobError> {
    let err = train_error(file);
    let taps: Vec<Tap> = nodes
        .iter()
        .flat_map(|&node| {
            [TapPoint::OperatorInput, TapPoint::RawSum].map(|point| Tap { node, point })
        })
        .collect();
    let mut sink: Option<Arc<TapSink>> = None;
    if want.inputs || want.raw {
        let (quant, s) = tapped(model.quant(), &taps, TapMode::Values);
        model.set_quant(quant).map_err(&err)?;
        sink = Some(s);
    }
    let mut out = Collected {
        inputs: vec![Values::default(); if want.inputs { nodes.len() } else { 0 }],
        raw: vec![Values::default(); if want.raw { nodes.len() } else { 0 }],
        ..Collected::default()
    };
    let (c, h, w) = images.chw();
    let per = c * h * w;
    let lut = norm.table();
    let values: Vec<f32> = images.images.iter().map(|&p| lut[usize::from(p)]).collect();
    for first in (0..images.len()).step_by(CHUNK) {
        let n = CHUNK.min(images.len() - first);
        let x = values[first * per..(first + n) * per].to_vec();
        let input = images_tensor(x, [n, c, h, w], device);
        let outs = model.forward_all(input.clone()).map_err(&err)?;
        if let Some(sink) = &sink {
            keep_taps(sink, nodes, &mut out).map_err(&err)?;
        }
        if out.shapes.is_empty() {
            out.shapes = outs
                .iter()
                .map(|t| t.dims()[1..].try_into().unwrap_or([0; 3]))
                .collect();
            out.cosine = vec![CosineSums::default(); outs.len()];
            if want.outputs {
                out.outputs = vec![Values::default(); outs.len()];
            }
        }
        if let Some(r) = reference {
            let refs = r.forward_all(input).map_err(&err)?;
            add_cosines(&mut out.cosine, &outs, refs).map_err(&err)?;
        }
        if want.outputs {
            for (layer, (v, t)) in out.outputs.iter_mut().zip(outs).enumerate() {
                v.push(t, layer).map_err(&err)?;
            }
        }
    }
    Ok(out)
}

/// Move the chunk's tapped values of every quantized layer into `out` (those it keeps).
fn keep_taps(sink: &TapSink, nodes: &[usize], out: &mut Collected) -> Result<(), TrainError> {
    for (j, &node) in nodes.iter().enumerate() {
        for (k, kept) in [
            (2 * j, out.inputs.get_mut(j)),
            (2 * j + 1, out.raw.get_mut(j)),
        ] {
            let tensors = sink.take_tensors(k);
            if let Some(v) = kept {
                for t in tensors {
                    v.push(t, node)?;
                }
            }
        }
    }
    Ok(())
}

/// Add one chunk of both models' outputs to every layer's sums.
fn add_cosines(
    sums: &mut [CosineSums],
    outs: &[Tensor<4>],
    refs: Vec<Tensor<4>>,
) -> Result<(), TrainError> {
    if refs.len() != outs.len() {
        return Err(TrainError::Mismatch {
            layer: 0,
            message: format!(
                "the reference model has {} layers, the model {}",
                refs.len(),
                outs.len()
            ),
        });
    }
    for (layer, ((s, a), b)) in sums.iter_mut().zip(outs).zip(refs).enumerate() {
        if a.dims() != b.dims() {
            return Err(TrainError::Mismatch {
                layer,
                message: format!(
                    "output {:?} in the model, {:?} in the reference model",
                    a.dims(),
                    b.dims()
                ),
            });
        }
        let (a, b) = (read(a.clone(), layer)?, read(b, layer)?);
        for (&x, &y) in a.iter().zip(&b) {
            let (x, y) = (f64::from(x), f64::from(y));
            s.dot += x * y;
            s.a2 += x * x;
            s.b2 += y * y;
        }
        s.values += a.len() as u64;
    }
    Ok(())
}
