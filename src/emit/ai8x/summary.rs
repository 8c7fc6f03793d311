//! The `SUMMARY OF OPS` / `RESOURCE USAGE` comment that closes `main.c` and sits in `cnn.h`.
//!
//! Owns the text layout of the figures (thousands separators, one-decimal percentages). Must
//! not count anything: `crate::device::ai8x::{graph_ops, memory_use}` do.

use crate::device::ai8x::{LayerOps, chip_of, graph_ops, memory_use, total_ops};
use crate::ir::Graph;
use std::fmt::Write;

/// `n` with `,` between groups of three digits.
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn ops_line(ops: &LayerOps) -> String {
    format!(
        "{} ops ({} macc; {} comp; {} add; {} mul; {} bitwise)",
        thousands(ops.total()),
        thousands(ops.macc),
        thousands(ops.comp),
        thousands(ops.add),
        thousands(ops.mul),
        thousands(ops.bitwise)
    )
}

fn usage_line(label: &str, used: u32, limit: u32) -> String {
    format!(
        "  {label}{} bytes out of {} bytes total ({:.1}%)\n",
        thousands(used.into()),
        thousands(limit.into()),
        f64::from(used) * 100.0 / f64::from(limit)
    )
}

/// The whole comment, `/*` to `*/` and a newline: total and per-layer operations, then
/// kernel and bias memory use. Layers are named `Layer <n>` or `Layer <n> (<name>)`.
pub fn summary_comment(graph: &Graph) -> String {
    let ops = graph_ops(graph);
    let mut s = String::from("/*\n  SUMMARY OF OPS\n");
    let _ = writeln!(s, "  Hardware: {}", ops_line(&total_ops(&ops)));
    for (i, (layer, node)) in ops.iter().zip(&graph.nodes).enumerate() {
        let name = node
            .name
            .as_ref()
            .map_or(String::new(), |n| format!(" ({n})"));
        let _ = writeln!(s, "    Layer {i}{name}: {}", ops_line(layer));
    }
    let mem = memory_use(graph, chip_of(graph));
    s.push_str("\n  RESOURCE USAGE\n");
    s.push_str(&usage_line(
        "Weight memory: ",
        mem.weight_bytes,
        mem.weight_bytes_limit,
    ));
    s.push_str(&usage_line(
        "Bias memory:   ",
        mem.bias_bytes,
        mem.bias_bytes_limit,
    ));
    s.push_str("*/\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_from_the_right() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10_883_968), "10,883,968");
        assert_eq!(thousands(187_788_096), "187,788,096");
    }
}
