//! One layer, step by step as the hardware (and izer's simulation) does it: gather inputs,
//! split operands, element-wise (pool-last), crop, reshape, pool, element-wise (pool-first),
//! flatten, multiply-accumulate with bias, shift/round, saturate, activate — one image at a
//! time in i64, the reference the batch path ([`super::batch`]) is tested against and the
//! source of `--log-intermediate` traces. What both paths share is in [`super::steps`].

use super::SimOptions;
use super::conv::correlate;
use super::conv::zero_stuff;
use super::eltwise::combine;
use super::pool::{pool, subsample};
use super::prepare::{Mac, PreparedLayer};
use super::requant::{clamp_activate, shift_round};
use super::steps::{check_channels, check_operands, check_output, crop_end, join, unreadable};
use super::{LayerTrace, SimError};
use crate::device::ai8x::Placement;
use crate::ir::{Node, Source, is_one_dimensional};
use ndarray::{Array3, Axis, s};

fn gather(
    index: usize,
    node: &Node,
    input: &Array3<i64>,
    outputs: &[Array3<i64>],
) -> Result<Array3<i64>, SimError> {
    let fetch = |s: &Source| -> Result<Array3<i64>, SimError> {
        match s {
            Source::Input => Ok(input.clone()),
            Source::Node(i) => outputs.get(*i).cloned().ok_or_else(|| unreadable(index, s)),
            Source::Buffer(_) => Err(unreadable(index, s)),
        }
    };
    let parts = node
        .inputs
        .iter()
        .map(fetch)
        .collect::<Result<Vec<_>, _>>()?;
    let views: Vec<_> = parts
        .iter()
        .map(|p| p.view().insert_axis(Axis(0)))
        .collect();
    join(index, node, views).map(|f| f.into_owned().index_axis_move(Axis(0), 0))
}

fn reshape(index: usize, x: Array3<i64>, h: usize, w: usize) -> Result<Array3<i64>, SimError> {
    let n = x.len();
    if h * w == 0 || !n.is_multiple_of(h * w) {
        return Err(SimError::layer(
            index,
            format!("cannot view {n} values as {h}x{w} frames"),
        ));
    }
    let x = x.as_standard_layout().to_owned();
    x.into_shape_with_order((n / (h * w), h, w))
        .map_err(|e| SimError::layer(index, e.to_string()))
}

fn pooled(node: &Node, x: &Array3<i64>, opts: SimOptions) -> Array3<i64> {
    match node.pool {
        Some(p) if p.size == [1, 1] && p.stride != [1, 1] => subsample(x, p.stride),
        Some(p) if p.size != [1, 1] => {
            pool(x, &p, is_one_dimensional(node), opts.avg_pool_rounding)
        }
        _ => x.clone(),
    }
}

/// Run layer `index`; returns its output and, if `trace`, its intermediate data.
pub fn run_layer(
    index: usize,
    node: &Node,
    layer: &PreparedLayer,
    input: &Array3<i64>,
    outputs: &[Array3<i64>],
    opts: SimOptions,
    trace: bool,
) -> Result<(Array3<i64>, Option<LayerTrace>), SimError> {
    let gathered = gather(index, node, input, outputs)?;
    let n = node.operands();
    let c = gathered.dim().0;
    check_operands(index, c, n)?;
    let mut ops: Vec<Array3<i64>> = (0..n)
        .map(|i| {
            gathered
                .slice(s![i * c / n..(i + 1) * c / n, .., ..])
                .to_owned()
        })
        .collect();
    let pool_last = node.eltwise.filter(|e| !e.pool_first && n > 1);
    if let Some(e) = pool_last {
        ops = vec![combine(e.op, &ops)];
    }
    let place = node.annex.get::<Placement>();
    if let Some([top, bottom]) = place.map(|p| p.in_crop).filter(|c| *c != [0, 0]) {
        let end = crop_end(index, ops[0].dim().1, top, bottom)?;
        ops = ops
            .into_iter()
            .map(|o| o.slice(s![.., top as usize..end, ..]).to_owned())
            .collect();
    }
    if let Some(d) = place.and_then(|p| p.in_dim) {
        ops = ops
            .into_iter()
            .map(|o| reshape(index, o, d[0], d[1]))
            .collect::<Result<_, _>>()?;
    }
    let has_pool = node
        .pool
        .is_some_and(|p| p.size != [1, 1] || p.stride != [1, 1]);
    ops = ops.iter().map(|o| pooled(node, o, opts)).collect();
    let mut data = match node.eltwise.filter(|e| e.pool_first && n > 1) {
        Some(e) => combine(e.op, &ops),
        None => ops.swap_remove(0),
    };
    let pooled_data = (trace && has_pool).then(|| data.clone());
    let op_input = trace.then(|| data.clone());
    if node.flatten {
        let len = data.len();
        data = data
            .as_standard_layout()
            .to_owned()
            .into_shape_with_order((len, 1, 1))
            .map_err(|e| SimError::layer(index, e.to_string()))?;
    }
    let (acc, output) = match &layer.mac {
        None => (None, data.clone()),
        Some(mac) => {
            let mut acc = match mac {
                Mac::Correlate {
                    kernel,
                    pad,
                    stride,
                    dilation,
                } => {
                    check_channels(index, data.dim().0, kernel.inp)?;
                    correlate(&data, kernel, *pad, *stride, *dilation)
                }
                Mac::Transposed {
                    kernel,
                    pad,
                    stride,
                } => {
                    check_channels(index, data.dim().0, kernel.inp)?;
                    correlate(&zero_stuff(&data, *stride), kernel, *pad, [1, 1], [1, 1])
                }
            };
            if let Some(b) = &layer.bias {
                for (mut plane, bias) in acc.axis_iter_mut(Axis(0)).zip(b) {
                    plane += *bias;
                }
            }
            let out = if layer.wide {
                acc.clone()
            } else {
                acc.mapv(|v| clamp_activate(shift_round(v, layer.total_shift), node.activation))
            };
            (Some(acc), out)
        }
    };
    check_output(index, node, output.dim())?;
    let t = op_input.map(|op_input| LayerTrace {
        input: gathered,
        pooled: pooled_data,
        op_input,
        acc,
        output: output.clone(),
    });
    Ok((output, t))
}
