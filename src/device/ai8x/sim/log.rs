//! `--log-intermediate`: per-layer integer data written as izer writes it — `data.npy` with
//! five records per layer (input `(1,C,H,W)`, pooled `(1,C,H',W')` or an empty float64
//! `(0,)`, operator input `(C,H',W')`, accumulator, output), `weights.npy` (one integer kernel
//! array per layer) and `bias.npy` (integer bias, or an empty float64 `(0,)`).

use super::LayerTrace;
use crate::io::npy::{NpyError, NpyRecord, write_records};
use crate::ir::{Graph, Node, Op};
use ndarray::{Array3, ArrayD, IxDyn};
use std::path::Path;

fn empty() -> NpyRecord {
    NpyRecord::F64(ArrayD::zeros(IxDyn(&[0])))
}

fn batched(a: &Array3<i64>) -> NpyRecord {
    NpyRecord::I64(a.clone().insert_axis(ndarray::Axis(0)).into_dyn())
}

/// Integer kernels as izer logs them: `(out, in, kh, kw)`; Conv1d `(out, in, k)`; a
/// flattening Linear `(out, C, 1, H·W)`, other Linear `(out, in, 1, 1)`.
fn kernel_record(node: &Node) -> NpyRecord {
    let Some(w) = &node.weights else {
        return empty();
    };
    let ints = w.mapv(|v| v as i64);
    let s = w.shape().to_vec();
    let shape = match node.op {
        Op::Linear { .. } if node.flatten => vec![
            s[0],
            node.pooled_shape.channels,
            1,
            node.pooled_shape.dims.pixels(),
        ],
        Op::Linear { .. } => vec![s[0], s[1], 1, 1],
        Op::ConvTranspose2d(_) => {
            // Logged in correlation layout: [out][in][kh−1−u][kw−1−v].
            let t = ints.permuted_axes(IxDyn(&[1, 0, 2, 3]));
            let mut f = t.to_owned();
            f.invert_axis(ndarray::Axis(2));
            f.invert_axis(ndarray::Axis(3));
            return NpyRecord::I64(f.as_standard_layout().to_owned());
        }
        _ => s.clone(),
    };
    match ints.clone().into_shape_with_order(IxDyn(&shape)) {
        Ok(a) => NpyRecord::I64(a),
        Err(_) => NpyRecord::I64(ints),
    }
}

/// Write `data.npy`, `weights.npy` and `bias.npy` into `dir` (which must exist).
pub fn write_intermediate(
    dir: &Path,
    graph: &Graph,
    traces: &[LayerTrace],
) -> Result<(), NpyError> {
    let mut data = Vec::with_capacity(traces.len() * 5);
    for t in traces {
        data.push(batched(&t.input));
        data.push(t.pooled.as_ref().map_or_else(empty, batched));
        data.push(NpyRecord::I64(t.op_input.clone().into_dyn()));
        data.push(NpyRecord::I64(
            t.acc.as_ref().unwrap_or(&t.output).clone().into_dyn(),
        ));
        data.push(NpyRecord::I64(t.output.clone().into_dyn()));
    }
    write_records(&dir.join("data.npy"), &data)?;
    let weights: Vec<NpyRecord> = graph.nodes.iter().map(kernel_record).collect();
    write_records(&dir.join("weights.npy"), &weights)?;
    let bias: Vec<NpyRecord> = graph
        .nodes
        .iter()
        .map(|n| {
            n.bias
                .as_ref()
                .map_or_else(empty, |b| NpyRecord::I64(b.mapv(|v| v as i64).into_dyn()))
        })
        .collect();
    write_records(&dir.join("bias.npy"), &bias)
}
