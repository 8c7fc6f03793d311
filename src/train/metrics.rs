//! `metrics.csv`: one row per epoch of a run, rewritten atomically after each epoch.
//!
//! Owns the column layout. Must not compute any statistic.

use super::progress::EpochRecord;
use crate::io::atomic::write_bytes_atomic;
use std::fmt::Write as _;
use std::path::Path;

/// The header row.
pub const HEADER: &str = "epoch,lr,train_loss,train_top1,val_loss,val_top1,val_top5,images_per_s";

/// The whole file for `history` (epochs 1-based; an empty speed for epochs run by an earlier
/// process of a resumed run). A progressive run has one more column, `quantized_layers`
/// (empty once every layer is quantized or before the switch).
pub fn render_csv(history: &[EpochRecord]) -> String {
    let progressive = history.iter().any(|r| r.quantized_layers.is_some());
    let mut out = if progressive {
        format!("{HEADER},quantized_layers\n")
    } else {
        format!("{HEADER}\n")
    };
    for r in history {
        let speed = r
            .images_per_s
            .map(|s| format!("{s:.1}"))
            .unwrap_or_default();
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{speed}",
            r.epoch + 1,
            r.lr,
            r.train_loss,
            r.train_top1,
            r.val_loss,
            r.val_top1,
            r.val_top5
        );
        if progressive {
            out.pop();
            let layers = r
                .quantized_layers
                .map(|l| l.to_string())
                .unwrap_or_default();
            let _ = writeln!(out, ",{layers}");
        }
    }
    out
}

/// Write `metrics.csv` atomically.
pub fn write_csv(path: &Path, history: &[EpochRecord]) -> std::io::Result<()> {
    write_bytes_atomic(path, render_csv(history).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_epoch() {
        let r = EpochRecord {
            epoch: 0,
            lr: 0.1,
            train_loss: 1.5,
            train_top1: 0.5,
            val_loss: 0.75,
            val_top1: 0.8,
            val_top5: 1.0,
            images_per_s: None,
            quantized_layers: None,
        };
        let two = [
            r.clone(),
            EpochRecord {
                epoch: 1,
                images_per_s: Some(512.25),
                quantized_layers: None,
                ..r
            },
        ];
        assert_eq!(
            render_csv(&two),
            format!(
                "{HEADER}\n1,0.1,1.500000,0.500000,0.750000,0.800000,1.000000,\n\
                 2,0.1,1.500000,0.500000,0.750000,0.800000,1.000000,512.2\n"
            )
        );
    }
}
