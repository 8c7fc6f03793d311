//! `sim --device gti --log-intermediate DIR`: one `.npy` file per chip layer, `NN_NAME.npy`
//! (`NN` its place on the chip from 00, `NAME` the layer's name, `pool` for the chip's last
//! pooling when no conv follows it), holding four int64 records
//! back to back as `np.load` reads them from one open file: the layer's input `[C,H,W]`,
//! its input after 2×2 max pooling (an empty array when it does not pool), the accumulators
//! with bias `Σ (Wq·2^s)·x + Bq·2^s` (for a residual addition `acc + shortcut·2^s`; the
//! output again for a pooling-only layer), and the
//! output codes (a residual pair's second conv: its accumulators, which the addition reads).

use crate::io::npy::{NpyError, NpyRecord, write_records};
use crate::ir::{Graph, Op, params::layer_key};
use crate::sim::LayerTrace;
use ndarray::{ArrayD, IxDyn};
use std::path::Path;

/// Write the traces of one simulation of `graph` into `dir`.
pub fn write_trace(dir: &Path, graph: &Graph, traces: &[LayerTrace]) -> Result<(), NpyError> {
    let empty = || NpyRecord::I64(ArrayD::zeros(IxDyn(&[0])));
    for (k, t) in traces.iter().enumerate() {
        let name = match graph.nodes.get(k).map(|n| n.op) {
            Some(Op::Linear { .. }) | None => "pool".to_string(),
            Some(_) => layer_key(graph, k),
        };
        let records = [
            NpyRecord::I64(t.input.clone().into_dyn()),
            t.pooled
                .as_ref()
                .map_or_else(empty, |p| NpyRecord::I64(p.clone().into_dyn())),
            NpyRecord::I64(t.acc.as_ref().unwrap_or(&t.output).clone().into_dyn()),
            NpyRecord::I64(t.output.clone().into_dyn()),
        ];
        write_records(&dir.join(format!("{k:02}_{name}.npy")), &records)?;
    }
    Ok(())
}
