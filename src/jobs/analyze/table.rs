//! The text forms of the analyze reports: left-aligned columns under a header row
//! ([`columns`]), the compare-sim table ([`CompareSimReport::table`]) and the checkpoint
//! modes' sections ([`CheckpointReport::text`]).
//!
//! Owns only layout and number formatting; the numbers are the reports'. Must not print.

use super::compare::CompareReport;
use super::ranges::{RangeReport, Ranges, TensorRanges};
use super::{CheckpointReport, CompareSimReport, LayerComparison};
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
                let mut row = layer_cells(l.index, &l.name, l.op, l.shape, l.values);
                row.extend([
                    percent(l),
                    format!("{}", l.max_abs_difference),
                    first_difference(l),
                    format!("{:.6}", l.cosine_float),
                ]);
                row
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

/// `x` with four significant digits (scientific outside [0.001, 100000)).
pub(super) fn num(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    if !(1e-3..1e5).contains(&a) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    format!("{x:.decimals$}")
}

/// A limit cell: `[lower, upper] msb m`.
fn limit_cell(t: &TensorRanges, k: usize) -> String {
    t.limits.get(k).map_or_else(String::new, |l| {
        format!("[{}, {}] msb {}", num(l.lower), num(l.upper), l.msb)
    })
}

impl RangeReport {
    /// One row per quantized layer and kind of values, then all layers together; one column
    /// per percentile.
    pub fn table(&self) -> String {
        let mut rows = Vec::new();
        let mut add = |layer: String, op: &str, r: &Ranges| {
            for (i, (what, t)) in [
                ("kernel", &r.kernel),
                ("input", &r.input),
                ("output", &r.output),
            ]
            .into_iter()
            .enumerate()
            {
                let (name, op) = if i == 0 {
                    (layer.clone(), op.to_string())
                } else {
                    (String::new(), String::new())
                };
                let mut row = vec![
                    name,
                    op,
                    what.to_string(),
                    t.values.to_string(),
                    num(t.min),
                    num(t.max),
                ];
                row.extend((0..self.percentiles.len()).map(|k| limit_cell(t, k)));
                rows.push(row);
            }
        };
        for l in &self.layers {
            add(l.name.clone(), l.op, &l.ranges);
        }
        add("(all layers)".into(), "", &self.all);
        let heads: Vec<String> = ["layer", "op", "values of", "count", "min", "max"]
            .iter()
            .map(|h| h.to_string())
            .chain(self.percentiles.iter().map(|p| format!("{p} %")))
            .collect();
        let head: Vec<&str> = heads.iter().map(String::as_str).collect();
        columns(&head, &rows)
    }
}

impl CompareReport {
    /// One row per layer, the flagged layers and the verdict.
    pub fn table(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .layers
            .iter()
            .map(|l| {
                let mut row = layer_cells(l.index, &l.name, l.op, l.shape, l.values);
                row.extend([
                    format!("{:.6}", l.cosine),
                    if l.flagged {
                        format!("< {}", self.flag_below)
                    } else {
                        String::new()
                    },
                ]);
                row
            })
            .collect();
        let mut out = columns(
            &["#", "layer", "op", "shape", "values", "cosine", ""],
            &rows,
        );
        if self.flagged.is_empty() {
            let _ = writeln!(out, "every layer at or above {}", self.flag_below);
        } else {
            let _ = writeln!(
                out,
                "{} of {} layers below {}: {}",
                self.flagged.len(),
                self.layers.len(),
                self.flag_below,
                self.flagged.join(", ")
            );
        }
        if let Some(t) = self.fail_below {
            let verdict = if self.failed { "FAILED" } else { "passed" };
            let _ = writeln!(
                out,
                "--fail-below {t}: {verdict} (lowest cosine {:.6})",
                self.min_cosine
            );
        }
        out
    }
}

impl CheckpointReport {
    /// What was analysed, then one section per mode.
    pub fn text(&self) -> String {
        let model = match self.scheme {
            Some(s) => format!("{s} fake-quantized model"),
            None => "float model".into(),
        };
        let mut out = format!(
            "{}: {model}, {} images of {} ({}), {} normalization\n",
            self.checkpoint, self.images, self.data, self.dataset, self.normalization
        );
        if let Some(r) = &self.ranges {
            out.push_str(
                "\nranges (limits holding each percentile of the values, and their msb; \
                 output = raw sum before the bias):\n",
            );
            out.push_str(&r.table());
        }
        if let Some(e) = &self.extract {
            let _ = writeln!(
                out,
                "\nextracted {} .npy files into {}",
                e.files.len(),
                e.dir
            );
        }
        if let Some(h) = &self.histograms {
            let _ = writeln!(
                out,
                "\n{} histograms ({}x{} PNG) written into {}",
                h.files.len(),
                h.width,
                h.height,
                h.dir
            );
        }
        if let Some(c) = &self.compare {
            let reference = c.reference.as_deref().unwrap_or("its parameters in float");
            let _ = writeln!(out, "\ncosine per layer, {model} vs {reference}:");
            out.push_str(&c.table());
        }
        out
    }
}

/// The cells every per-layer table starts with: `#`, layer, op, shape `CxHxW`, values.
fn layer_cells(index: usize, name: &str, op: &str, shape: [usize; 3], values: u64) -> Vec<String> {
    vec![
        index.to_string(),
        name.to_string(),
        op.to_string(),
        format!("{}x{}x{}", shape[0], shape[1], shape[2]),
        values.to_string(),
    ]
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

    #[test]
    fn numbers_have_four_significant_digits() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-0.36831), "-0.3683");
        assert_eq!(num(1.12034), "1.120");
        assert_eq!(num(507.25), "507.2");
        assert_eq!(num(12345.6), "12346");
        assert_eq!(num(0.000123), "1.230e-4");
        assert_eq!(num(2.5e7), "2.500e7");
    }
}
