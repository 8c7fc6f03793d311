//! The text forms of the analyze reports: left-aligned columns under a header row
//! ([`columns`]), and the compare-sim table ([`CompareSimReport::table`]).
//!
//! Owns only layout and number formatting; the numbers are the reports'. Must not print.

use super::{CompareSimReport, LayerComparison};
use std::fmt::Write as _;

/// `head` and `rows` as left-aligned columns two spaces apart, one line each, without trailing
/// spaces.
pub fn columns(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&head).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// A share in percent that shows 100 only when every value is identical (99.9999 % is
/// printed as 99.999 %, never rounded up).
fn percent(l: &LayerComparison) -> String {
    if l.identical == l.values {
        return "100 %".into();
    }
    format!("{:.3} %", (l.identical_percent * 1000.0).floor() / 1000.0)
}

fn first_difference(l: &LayerComparison) -> String {
    match &l.first_difference {
        None => "-".into(),
        Some(d) => format!(
            "image {} ({}, {}, {}): {} / {}",
            d.image, d.channel, d.y, d.x, d.simulator, d.fake_quant
        ),
    }
}

impl CompareSimReport {
    /// What was compared, one row per layer, and the verdict.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} images of {} ({}) on {}: simulator vs fake-quant model, fake-quant vs float model\n",
            self.images, self.data, self.dataset, self.device
        );
        let rows: Vec<Vec<String>> = self
            .layers
            .iter()
            .map(|l| {
                vec![
                    l.index.to_string(),
                    l.name.clone(),
                    l.op.to_string(),
                    format!("{}x{}x{}", l.shape[0], l.shape[1], l.shape[2]),
                    l.values.to_string(),
                    percent(l),
                    format!("{}", l.max_abs_difference),
                    first_difference(l),
                    format!("{:.6}", l.cosine_float),
                ]
            })
            .collect();
        let head = [
            "#",
            "layer",
            "op",
            "shape",
            "values",
            "identical",
            "max |diff|",
            "first difference: image (c, y, x): sim / fake",
            "cos(fake, float)",
        ];
        out.push_str(&columns(&head, &rows));
        let differing: Vec<usize> = self
            .layers
            .iter()
            .filter(|l| l.identical != l.values)
            .map(|l| l.index)
            .collect();
        match differing.first() {
            None => out.push_str("every layer bit-identical\n"),
            Some(first) => {
                let _ = writeln!(
                    out,
                    "{} of {} layers differ, the first is layer {first}",
                    differing.len(),
                    self.layers.len()
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::analyze::Difference;

    fn layer(index: usize, identical: u64) -> LayerComparison {
        LayerComparison {
            index,
            name: format!("conv{index}"),
            op: "conv2d",
            shape: [2, 3, 4],
            values: 1_000_000,
            identical,
            identical_percent: 100.0 * identical as f64 / 1e6,
            max_abs_difference: if identical < 1_000_000 { 1.0 } else { 0.0 },
            first_difference: (identical < 1_000_000).then_some(Difference {
                image: 7,
                channel: 1,
                y: 2,
                x: 3,
                simulator: -5,
                fake_quant: -4.0,
            }),
            cosine_float: 0.99,
        }
    }

    #[test]
    fn rows_line_up_and_shares_never_round_up_to_100() {
        let r = CompareSimReport {
            mode: "compare-sim",
            device: "max78000",
            network: "n.yaml".into(),
            checkpoint: "q.safetensors".into(),
            data: "data/mnist".into(),
            dataset: "mnist",
            images: 4,
            all_identical: false,
            layers: vec![layer(0, 1_000_000), layer(1, 999_999)],
        };
        let t = r.table();
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5, "{t}");
        assert!(
            lines[2].contains("100 %") && lines[2].contains(" - "),
            "{t}"
        );
        assert!(lines[3].contains("99.999 %"), "{t}");
        assert!(lines[3].contains("image 7 (1, 2, 3): -5 / -4"), "{t}");
        let col = |l: &str| l.find("2x3x4").unwrap();
        assert_eq!(col(lines[2]), col(lines[3]), "{t}");
        assert_eq!(lines[4], "1 of 2 layers differ, the first is layer 1");
    }
}
