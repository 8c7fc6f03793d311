//! The batched path: each layer's steps of [`super::layer`] (gather, operands, element-wise,
//! crop, reshape, pool, flatten, multiply-accumulate, output stage) on a whole batch
//! `[B,C,H,W]` at once, the correlation through the shared engine ([`crate::sim::gemm`]).
//! Gives the numbers of the image-by-image path, which stays the reference and keeps the
//! per-layer traces.

use super::SimError;
use super::SimOptions;
use super::eltwise::combine;
use super::pool::{pool_into, pooled_hw};
use super::prepare::{Mac, PreparedLayer};
use super::requant::{headroom, output_stage};
use super::steps::{
    Frames, check_channels, check_operands, check_output, crop_end, join, unreadable,
};
use crate::device::ai8x::Placement;
use crate::ir::{Node, Source, is_one_dimensional};
use crate::sim::gemm;
use ndarray::{Array4, ArrayView4, CowArray, ShapeError, s};

/// Buffers one thread reuses from batch to batch: the engine's scratch and spare activation
/// buffers (layer outputs handed back with [`Workspace::recycle`]).
#[derive(Debug, Default)]
pub struct Workspace {
    gemm: gemm::Scratch,
    spare: Vec<Vec<i64>>,
}

impl Workspace {
    /// Give the buffers of finished layer outputs back for the next batch.
    pub fn recycle(&mut self, arrays: impl IntoIterator<Item = Array4<i64>>) {
        for a in arrays {
            self.spare.push(a.into_raw_vec_and_offset().0);
        }
    }
}

/// An empty buffer with room for `len` values: the smallest spare one that is large enough
/// (a smaller one would be copied when it grows), or a new one.
fn take(spare: &mut Vec<Vec<i64>>, len: usize) -> Vec<i64> {
    let fit = spare
        .iter()
        .enumerate()
        .filter(|(_, v)| v.capacity() >= len)
        .min_by_key(|(_, v)| v.capacity())
        .map(|(i, _)| i);
    match fit {
        Some(i) => {
            let mut v = spare.swap_remove(i);
            v.clear();
            v
        }
        None => Vec::with_capacity(len),
    }
}

/// Run every layer on the batch `input`; every layer's output, in order.
pub fn run_batch(
    nodes: &[Node],
    layers: &[PreparedLayer],
    input: ArrayView4<i64>,
    opts: SimOptions,
    ws: &mut Workspace,
) -> Result<Vec<Array4<i64>>, SimError> {
    let mut outputs: Vec<Array4<i64>> = Vec::with_capacity(layers.len());
    for (i, (node, layer)) in nodes.iter().zip(layers).enumerate() {
        match batch_layer(i, node, layer, input.reborrow(), &outputs, opts, ws) {
            Ok(out) => outputs.push(out),
            Err(e) => {
                ws.recycle(outputs);
                return Err(e);
            }
        }
    }
    Ok(outputs)
}

fn gather<'a>(
    index: usize,
    node: &Node,
    input: ArrayView4<'a, i64>,
    outputs: &'a [Array4<i64>],
) -> Result<Frames<'a>, SimError> {
    let fetch = move |s: &Source| match s {
        Source::Input => Ok(input),
        Source::Node(i) => outputs
            .get(*i)
            .map(|o| o.view())
            .ok_or_else(|| unreadable(index, s)),
        Source::Buffer(_) => Err(unreadable(index, s)),
    };
    let parts = node
        .inputs
        .iter()
        .map(fetch)
        .collect::<Result<Vec<_>, _>>()?;
    join(index, node, parts)
}

/// `x` with each image's values viewed as `(n, h, w)` (copied only if not row-major).
fn regroup(x: Frames<'_>, shape: (usize, usize, usize, usize)) -> Result<Frames<'_>, ShapeError> {
    if x.is_standard_layout() {
        x.into_shape_with_order(shape)
    } else {
        x.as_standard_layout()
            .into_owned()
            .into_shape_with_order(shape)
            .map(CowArray::from)
    }
}

/// Each image's data viewed as `h × w` frames.
fn reshape(index: usize, x: Frames<'_>, h: usize, w: usize) -> Result<Frames<'_>, SimError> {
    let b = x.dim().0;
    let n = x.len() / b.max(1);
    if h * w == 0 || !n.is_multiple_of(h * w) {
        return Err(SimError::layer(
            index,
            format!("cannot view {n} values as {h}x{w} frames"),
        ));
    }
    regroup(x, (b, n / (h * w), h, w)).map_err(|e| SimError::layer(index, e.to_string()))
}

fn pooled<'a>(
    node: &Node,
    x: Frames<'a>,
    opts: SimOptions,
    spare: &mut Vec<Vec<i64>>,
) -> Frames<'a> {
    match node.pool {
        Some(p) if p.size == [1, 1] && p.stride != [1, 1] => {
            let (sh, sw) = (p.stride[0] as isize, p.stride[1] as isize);
            CowArray::from(x.slice(s![.., .., ..;sh, ..;sw]).to_owned())
        }
        Some(p) if p.size != [1, 1] => {
            let one_d = is_one_dimensional(node);
            let (b, c, h, w) = x.dim();
            let (oh, ow) = pooled_hw(h, w, &p, one_d);
            let mut out = take(spare, b * c * oh * ow);
            out.resize(b * c * oh * ow, 0);
            for (xi, oi) in x
                .outer_iter()
                .zip(out.chunks_exact_mut((c * oh * ow).max(1)))
            {
                pool_into(xi, &p, one_d, opts.avg_pool_rounding, oi);
            }
            CowArray::from(Array4::from_shape_vec((b, c, oh, ow), out).expect("pooled shape"))
        }
        _ => x,
    }
}

/// Everything before the operator: the data it reads.
fn operator_input<'a>(
    index: usize,
    node: &Node,
    input: ArrayView4<'a, i64>,
    outputs: &'a [Array4<i64>],
    opts: SimOptions,
    spare: &mut Vec<Vec<i64>>,
) -> Result<Frames<'a>, SimError> {
    let gathered = gather(index, node, input, outputs)?;
    let n = node.operands();
    let c = gathered.dim().1;
    check_operands(index, c, n)?;
    let mut ops: Vec<Frames<'a>> = if n == 1 {
        vec![gathered]
    } else {
        (0..n)
            .map(|i| {
                let part = gathered.slice(s![.., i * c / n..(i + 1) * c / n, .., ..]);
                CowArray::from(part.to_owned())
            })
            .collect()
    };
    if let Some(e) = node.eltwise.filter(|e| !e.pool_first && n > 1) {
        ops = vec![CowArray::from(combine(e.op, &owned(ops)))];
    }
    let place = node.annex.get::<Placement>();
    if let Some([top, bottom]) = place.map(|p| p.in_crop).filter(|c| *c != [0, 0]) {
        let end = crop_end(index, ops[0].dim().2, top, bottom)?;
        ops = ops
            .into_iter()
            .map(|o| CowArray::from(o.slice(s![.., .., top as usize..end, ..]).to_owned()))
            .collect();
    }
    if let Some(d) = place.and_then(|p| p.in_dim) {
        ops = ops
            .into_iter()
            .map(|o| reshape(index, o, d[0], d[1]))
            .collect::<Result<_, _>>()?;
    }
    ops = ops
        .into_iter()
        .map(|o| pooled(node, o, opts, spare))
        .collect();
    let data = match node.eltwise.filter(|e| e.pool_first && n > 1) {
        Some(e) => CowArray::from(combine(e.op, &owned(ops))),
        None => ops.swap_remove(0),
    };
    if !node.flatten {
        return Ok(data);
    }
    let b = data.dim().0;
    let len = data.len() / b.max(1);
    regroup(data, (b, len, 1, 1)).map_err(|e| SimError::layer(index, e.to_string()))
}

fn owned(ops: Vec<Frames<'_>>) -> Vec<Array4<i64>> {
    ops.into_iter().map(|o| o.into_owned()).collect()
}

/// Correlation (through the shared engine), bias and output stage.
fn multiply_accumulate(
    index: usize,
    node: &Node,
    layer: &PreparedLayer,
    mac: &Mac,
    data: Frames<'_>,
    ws: &mut Workspace,
) -> Result<Array4<i64>, SimError> {
    let kernel = mac.kernel();
    check_channels(index, data.dim().1, kernel.inp)?;
    let data = match mac {
        Mac::Correlate { .. } => data,
        Mac::Transposed { stride, .. } => {
            let (b, c, h, w) = data.dim();
            let mut y = Array4::zeros((
                b,
                c,
                (h.max(1) - 1) * stride[0] + 1,
                (w.max(1) - 1) * stride[1] + 1,
            ));
            let (sh, sw) = (stride[0] as isize, stride[1] as isize);
            y.slice_mut(s![.., .., ..;sh, ..;sw]).assign(&data);
            CowArray::from(y)
        }
    };
    let Some(packed) = &layer.packed else {
        return Err(SimError::layer(
            index,
            "the layer's weights were not prepared",
        ));
    };
    let g = mac.geometry();
    let (b, _, h, w) = data.dim();
    let (ho, wo) = g.out_hw(h, w);
    let bias = layer.bias.as_deref();
    let headroom = headroom(bias, layer.total_shift);
    let mut out = take(&mut ws.spare, b * kernel.out * ho * wo);
    let (acc, _) = gemm::correlate(packed, &g, data.view(), headroom, &mut ws.gemm);
    output_stage(
        acc,
        bias,
        (kernel.out, ho * wo),
        layer.total_shift,
        node.activation,
        layer.wide,
        &mut out,
    );
    if !data.is_view() {
        ws.recycle([data.into_owned()]);
    }
    Array4::from_shape_vec((b, kernel.out, ho, wo), out)
        .map_err(|e| SimError::layer(index, e.to_string()))
}

fn batch_layer<'a>(
    index: usize,
    node: &Node,
    layer: &PreparedLayer,
    input: ArrayView4<'a, i64>,
    outputs: &'a [Array4<i64>],
    opts: SimOptions,
    ws: &mut Workspace,
) -> Result<Array4<i64>, SimError> {
    let data = operator_input(index, node, input, outputs, opts, &mut ws.spare)?;
    let output = match &layer.mac {
        None => data.into_owned(),
        Some(mac) => multiply_accumulate(index, node, layer, mac, data, ws)?,
    };
    let (_, c, oh, ow) = output.dim();
    check_output(index, node, (c, oh, ow))?;
    Ok(output)
}
