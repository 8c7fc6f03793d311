//! One layer, step by step as the hardware (and izer's simulation) does it: gather inputs,
//! split operands, element-wise (pool-last), crop, reshape, pool, element-wise (pool-first),
//! flatten, multiply-accumulate with bias, shift/round, saturate, activate.

use super::SimOptions;
use super::conv::correlate;
use super::conv::zero_stuff;
use super::eltwise::combine;
use super::pool::{pool, subsample};
use super::prepare::{Mac, PreparedLayer};
use super::requant::{clamp_activate, shift_round};
use super::{LayerTrace, SimError};
use crate::device::max78000::Placement;
use crate::ir::{Node, Source, is_one_dimensional};
use ndarray::{Array3, Axis, concatenate, s};

fn gather(
    index: usize,
    node: &Node,
    input: &Array3<i64>,
    outputs: &[Array3<i64>],
) -> Result<Array3<i64>, SimError> {
    let fetch = |s: &Source| -> Result<Array3<i64>, SimError> {
        match s {
            Source::Input => Ok(input.clone()),
            Source::Node(i) => outputs.get(*i).cloned().ok_or_else(|| {
                SimError::layer(index, format!("reads layer {i}, which has not run"))
            }),
            Source::Buffer(name) => Err(SimError::layer(
                index,
                format!("data buffer `{name}` inputs are not simulated"),
            )),
        }
    };
    let parts = node
        .inputs
        .iter()
        .map(fetch)
        .collect::<Result<Vec<_>, _>>()?;
    if parts.len() == 1 {
        return Ok(parts.into_iter().next().unwrap_or_default());
    }
    let dims = |a: &Array3<i64>| (a.dim().1, a.dim().2);
    if parts.iter().all(|p| dims(p) == dims(&parts[0])) {
        let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
        return concatenate(Axis(0), &views).map_err(|e| SimError::layer(index, e.to_string()));
    }
    // Pixel concatenation: each source flattened per channel, joined along the pixel axis.
    let c0 = parts[0].dim().0;
    let flat: Vec<_> = parts
        .iter()
        .map(|p| {
            p.to_shape((p.dim().0, p.dim().1 * p.dim().2))
                .map(|v| v.to_owned())
        })
        .collect::<Result<_, _>>()
        .map_err(|e| SimError::layer(index, e.to_string()))?;
    let views: Vec<_> = flat.iter().map(|f| f.view()).collect();
    let joined = concatenate(Axis(1), &views)
        .map_err(|e| SimError::layer(index, format!("pixel concatenation: {e}")))?;
    let (h, w) = node
        .annex
        .get::<Placement>()
        .and_then(|p| p.in_dim)
        .map_or((joined.dim().1, 1), |d| (d[0], d[1]));
    joined
        .into_shape_with_order((c0, h, w))
        .map_err(|e| SimError::layer(index, format!("pixel concatenation: {e}")))
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
    if c % n != 0 {
        return Err(SimError::layer(
            index,
            format!("{c} input channels cannot be split into {n} operands"),
        ));
    }
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
        let h = ops[0].dim().1;
        let end = h
            .checked_sub(bottom as usize)
            .filter(|e| *e > top as usize)
            .ok_or_else(|| SimError::layer(index, "`in_crop` removes every row"))?;
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
    let (h, w) = node.out_shape.dims.hw();
    if output.dim() != (node.out_shape.channels, h, w) {
        return Err(SimError::layer(
            index,
            format!(
                "computed output {:?} differs from the inferred shape {}",
                output.dim(),
                node.out_shape
            ),
        ));
    }
    let t = op_input.map(|op_input| LayerTrace {
        input: gathered,
        pooled: pooled_data,
        op_input,
        acc,
        output: output.clone(),
    });
    Ok((output, t))
}

fn check_channels(index: usize, have: usize, need: usize) -> Result<(), SimError> {
    if have == need {
        Ok(())
    } else {
        Err(SimError::layer(
            index,
            format!("the operator needs {need} input channels, the data has {have}"),
        ))
    }
}
