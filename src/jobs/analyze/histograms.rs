//! `qtool analyze --histograms DIR`: one PNG per quantized layer (`<layer>.png`) and one for
//! all of them together (`all_layers.png`), written at once into one folder. Each picture has
//! two panels, the kernel's values above and the raw output's (the sum of products before the
//! bias) below: a histogram of [`BINS`] bins over the values' range, counts on a logarithmic
//! axis (so the tails that clipping cuts stay visible), and the lower and upper limits of each
//! requested percentile as vertical lines of one colour.
//!
//! Owns the pictures (drawn with plotters into memory, text in the font of
//! [`crate::train::curves`]). Must not compute the limits (they are [`super::ranges`]').

use super::files::{Folder, stem};
use super::quantiles::{Limit, Sorted};
use super::ranges::{LayerSets, tensor_ranges};
use super::table::num;
use crate::ir::{Graph, params::layer_names};
use crate::jobs::JobError;
use crate::train::curves::{FONT, register_font};
use image::{ImageFormat, RgbImage};
use plotters::prelude::*;
use serde::Serialize;
use std::io::Cursor;
use std::path::Path;

/// Size of every picture, in pixels.
pub const WIDTH: u32 = 900;
pub const HEIGHT: u32 = 720;
/// Bars per histogram.
pub const BINS: usize = 64;
/// The file of all quantized layers together.
pub const ALL_FILE: &str = "all_layers.png";

const COLORS: [RGBColor; 7] = [
    RGBColor(220, 0, 0),
    RGBColor(0, 90, 220),
    RGBColor(0, 150, 0),
    RGBColor(200, 0, 200),
    RGBColor(230, 120, 0),
    RGBColor(0, 150, 150),
    RGBColor(0, 0, 0),
];

/// One written picture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramFile {
    /// Graph node index; `null` for all layers together.
    pub index: Option<usize>,
    /// The layer's name; `null` for all layers together.
    pub layer: Option<String>,
    pub file: String,
}

/// What `--histograms` wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramReport {
    pub dir: String,
    pub width: u32,
    pub height: u32,
    pub files: Vec<HistogramFile>,
}

/// One panel: values and the limits drawn on them.
struct Panel<'a> {
    title: String,
    sets: Vec<&'a Sorted>,
    limits: Vec<Limit>,
}

impl<'a> Panel<'a> {
    fn new(what: &str, sets: Vec<&'a Sorted>, percentiles: &[f64]) -> Self {
        let r = tensor_ranges(&sets, percentiles);
        Panel {
            title: format!("{what} ({} values)", r.values),
            sets,
            limits: r.limits,
        }
    }
}

/// Counts of [`BINS`] equal bins over `[lo, hi]` (finite values only).
fn bins(sets: &[&Sorted], lo: f64, hi: f64) -> Vec<u64> {
    let mut counts = vec![0u64; BINS];
    let width = (hi - lo) / BINS as f64;
    for &v in sets.iter().flat_map(|s| s.values()) {
        let v = f64::from(v);
        if !v.is_finite() {
            continue;
        }
        let b = if width > 0.0 {
            ((v - lo) / width).floor().clamp(0.0, (BINS - 1) as f64) as usize
        } else {
            BINS / 2
        };
        counts[b] += 1;
    }
    counts
}

/// The x range: every finite value and limit, padded.
fn x_range(p: &Panel) -> (f64, f64) {
    let ends = p
        .sets
        .iter()
        .flat_map(|s| [s.values().first(), s.values().last()])
        .flatten()
        .map(|&v| f64::from(v))
        .chain(p.limits.iter().flat_map(|l| [l.lower, l.upper]))
        .filter(|v| v.is_finite());
    let (lo, hi) = ends.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let pad = ((hi - lo) * 0.03)
        .max(lo.abs().max(hi.abs()) * 1e-3)
        .max(1e-6);
    (lo - pad, hi + pad)
}

fn draw_panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    p: &Panel,
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let (lo, hi) = x_range(p);
    let counts = bins(&p.sets, lo, hi);
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 2.0;
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, 18))
        .margin(10)
        .x_label_area_size(32)
        .y_label_area_size(64)
        .build_cartesian_2d(lo..hi, (0.5f64..top).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .y_desc("count")
        .x_desc("value")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .draw()
        .map_err(|e| err(&e))?;
    let width = (hi - lo) / BINS as f64;
    let bars = counts
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c > 0)
        .map(|(b, &c)| {
            let x0 = lo + b as f64 * width;
            Rectangle::new(
                [(x0, 0.5), (x0 + width, c as f64)],
                RGBColor(150, 150, 150).filled(),
            )
        });
    chart.draw_series(bars).map_err(|e| err(&e))?;
    for (k, l) in p.limits.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let line = |x: f64| PathElement::new(vec![(x, 0.5), (x, top)], color.stroke_width(2));
        let lines = [l.lower, l.upper].into_iter().filter(|x| x.is_finite());
        chart
            .draw_series(lines.map(line))
            .map_err(|e| err(&e))?
            .label(format!(
                "{} %: [{}, {}] msb {}",
                l.percentile,
                num(l.lower),
                num(l.upper),
                l.msb
            ))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    Ok(())
}

/// The PNG bytes of two panels, one above the other, under `caption`.
fn render(caption: &str, panels: [Panel; 2]) -> Result<Vec<u8>, String> {
    register_font();
    let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root
            .titled(caption, (FONT, 20))
            .map_err(|e| e.to_string())?;
        let (upper, lower) = root.split_vertically(root.dim_in_pixel().1 / 2);
        draw_panel(&upper, &panels[0])?;
        draw_panel(&lower, &panels[1])?;
        root.present().map_err(|e| e.to_string())?;
    }
    let img = RgbImage::from_raw(WIDTH, HEIGHT, buf).ok_or("image buffer size")?;
    let mut png = Cursor::new(Vec::new());
    img.write_to(&mut png, ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(png.into_inner())
}

/// Draw every quantized layer of `sets` and all of them together into `dir`.
pub fn write(
    dir: &Path,
    overwrite: bool,
    graph: &Graph,
    sets: &LayerSets,
    percentiles: &[f64],
) -> Result<HistogramReport, JobError> {
    let names = layer_names(graph);
    let mut folder = Folder::default();
    let mut files = Vec::new();
    let plot_err = |file: &str, e: String| JobError::Other(format!("{file}: cannot draw: {e}"));
    for (j, &i) in sets.nodes.iter().enumerate() {
        let file = format!("{}.png", stem(&names[i]));
        let panels = [
            Panel::new(
                "kernel",
                sets.kernel.get(j).into_iter().collect(),
                percentiles,
            ),
            Panel::new(
                "raw output",
                sets.output.get(j).into_iter().collect(),
                percentiles,
            ),
        ];
        let caption = format!("{} ({})", names[i], graph.nodes[i].op.name());
        let png = render(&caption, panels).map_err(|e| plot_err(&file, e))?;
        folder.add(file.clone(), &names[i], png)?;
        files.push(HistogramFile {
            index: Some(i),
            layer: Some(names[i].clone()),
            file,
        });
    }
    let panels = [
        Panel::new("kernel", sets.kernel.iter().collect(), percentiles),
        Panel::new("raw output", sets.output.iter().collect(), percentiles),
    ];
    let caption = format!("all {} quantized layers", sets.nodes.len());
    let png = render(&caption, panels).map_err(|e| plot_err(ALL_FILE, e))?;
    folder.add(ALL_FILE.into(), "(all layers)", png)?;
    files.push(HistogramFile {
        index: None,
        layer: None,
        file: ALL_FILE.into(),
    });
    folder.write(dir, overwrite)?;
    Ok(HistogramReport {
        dir: dir.display().to_string(),
        width: WIDTH,
        height: HEIGHT,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_two_panels_with_limit_lines() {
        let a = Sorted::new((0..2000).map(|i| ((i as f32) * 0.37).sin() * 3.0).collect());
        let b = Sorted::new(vec![0.0; 10]);
        let panels = [
            Panel::new("kernel", vec![&a], &[95.0, 99.9]),
            Panel::new("raw output", vec![&b], &[95.0, 99.9]),
        ];
        let png = render("layer", panels).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
        let has = |c: RGBColor| img.pixels().any(|p| p.0 == [c.0, c.1, c.2]);
        assert!(has(COLORS[0]) && has(COLORS[1]), "limit lines drawn");
        assert!(img.pixels().any(|p| p.0 == [150, 150, 150]), "bars drawn");
        assert_eq!(bins(&[&a], -3.0, 3.0).iter().sum::<u64>(), 2000);
    }
}
