//! The `inspect` report of a chip network on its chip: one row per conv sub-layer (major,
//! sub, image size, channels, mask, pooling, filters, compression, effective filters) and
//! totals against the chip's limits, as JSON (`{"layers": […], "totals": {…}}`) and text.

use super::budget::{effective_filters, sublayers};
use super::chip::{Chip, MaskBits};
use crate::netdesc::gti::ChipNetwork;
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubLayerRow {
    pub major: usize,
    pub sub: usize,
    pub image_size: usize,
    pub input_channels: usize,
    pub output_channels: usize,
    pub coef_bits: u8,
    /// Depthwise 3×3, or 1×1 (`kernel`: `"3x3"`, `"1x1"` or `"3x3 depthwise"`).
    pub kernel: &'static str,
    /// 2×2 downsampling after this sub-layer (the last of a pooling major layer).
    pub pooling: bool,
    pub filters: u64,
    pub compression: u32,
    pub effective_filters: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub chip: u32,
    pub major_layers: usize,
    pub max_major_layers: usize,
    pub sublayers: usize,
    pub filters: u64,
    /// Σ over major layers of their filters / compression.
    pub effective_filters: u64,
    /// The chip's coefficient budget, if it publishes one (5801).
    pub filter_budget: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GtiReport {
    pub layers: Vec<SubLayerRow>,
    pub totals: Totals,
}

/// The report of `net` on `chip`.
pub fn report(net: &ChipNetwork, chip: Chip) -> GtiReport {
    let mut layers = Vec::new();
    for (m, l) in net.layer.iter().enumerate() {
        let compression = MaskBits::new(l.coef_bits).map_or(1, MaskBits::compression);
        for s in sublayers(l) {
            layers.push(SubLayerRow {
                major: m + 1,
                sub: s.sub,
                image_size: l.image_size,
                input_channels: s.input_channels,
                output_channels: s.output_channels,
                coef_bits: l.coef_bits,
                kernel: match (s.depthwise, s.one_by_one) {
                    (true, _) => "3x3 depthwise",
                    (_, true) => "1x1",
                    _ => "3x3",
                },
                pooling: l.pooling() && s.sub == l.sublayer_number,
                filters: s.filters,
                compression,
                effective_filters: s.filters as f64 / f64::from(compression),
            });
        }
    }
    let limits = chip.limits();
    let totals = Totals {
        chip: chip.number(),
        major_layers: net.layer.len(),
        max_major_layers: limits.max_major_layers,
        sublayers: layers.len(),
        filters: layers.iter().map(|r| r.filters).sum(),
        effective_filters: net.layer.iter().map(effective_filters).sum(),
        filter_budget: limits.filter_budget,
    };
    GtiReport { layers, totals }
}

/// The report as a text table.
pub fn render_text(r: &GtiReport) -> String {
    let mut s = String::from(
        "major sub  size    in   out bits kernel         pool    filters comp  effective\n",
    );
    for l in &r.layers {
        let _ = writeln!(
            s,
            "{:>5} {:>3} {:>5} {:>5} {:>5} {:>4} {:<14} {:<4} {:>10} {:>4} {:>10}",
            l.major,
            l.sub,
            l.image_size,
            l.input_channels,
            l.output_channels,
            l.coef_bits,
            l.kernel,
            if l.pooling { "yes" } else { "" },
            l.filters,
            l.compression,
            l.effective_filters
        );
    }
    let t = &r.totals;
    let budget = t
        .filter_budget
        .map_or("no published budget".to_string(), |b| format!("budget {b}"));
    let _ = writeln!(
        s,
        "GTI {}: {} of {} major layers, {} sub-layers, {} filters, {} effective ({budget})",
        t.chip, t.major_layers, t.max_major_layers, t.sublayers, t.filters, t.effective_filters
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netdesc::gti::GtiJson;
    use crate::netdesc::gti::chip_network::examples::{EXAMPLE_1, EXAMPLE_2};

    #[test]
    fn example_reports() {
        let r = report(&ChipNetwork::from_json(EXAMPLE_1).unwrap(), Chip::C5801);
        assert_eq!(r.layers.len(), 7);
        assert_eq!(r.totals.effective_filters, 55_392);
        assert_eq!(r.totals.filter_budget, Some(489_216));
        let first = &r.layers[0];
        assert_eq!(
            (first.filters, first.compression, first.pooling),
            (192, 2, false)
        );
        assert!(r.layers[1].pooling);
        let r = report(&ChipNetwork::from_json(EXAMPLE_2).unwrap(), Chip::C2803);
        assert_eq!(r.layers[1].kernel, "3x3 depthwise");
        assert_eq!(r.layers[2].kernel, "1x1");
        assert_eq!(r.totals.filter_budget, None);
        let text = render_text(&r);
        assert!(
            text.contains("GTI 2803: 5 of 6 major layers, 9 sub-layers"),
            "{text}"
        );
    }
}
