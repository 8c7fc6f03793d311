//! `curves.png`: loss and accuracy per epoch of a run, drawn with plotters.
//!
//! Owns the picture: two panels side by side (training and validation loss; training top-1,
//! validation top-1 and top-5 in percent), drawn into memory and written as PNG atomically.
//! Text uses the bundled DejaVu Sans Mono (its licence is beside it in `assets/`), so no system
//! fonts are needed. Must not compute statistics.

use super::progress::EpochRecord;
use crate::io::atomic::write_bytes_atomic;
use image::{ImageFormat, RgbImage};
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::io::Cursor;
use std::path::Path;
use std::sync::Once;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 420;
pub(crate) const FONT: &str = "qtool-mono";
static FONT_BYTES: &[u8] = include_bytes!("assets/DejaVuSansMono.ttf");
static REGISTER: Once = Once::new();

pub(crate) fn register_font() {
    REGISTER.call_once(|| {
        // The bundled font is valid; if it were not, text would be missing, not the plot.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

/// One line of a panel.
struct Series<'a> {
    label: &'a str,
    color: RGBColor,
    values: Vec<f64>,
}

fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    title: &str,
    epochs: usize,
    series: &[Series<'_>],
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let finite = series
        .iter()
        .flat_map(|s| &s.values)
        .copied()
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let x_end = epochs.max(2) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(1.0..x_end, (lo - pad)..(hi + pad))
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_labels(epochs.clamp(2, 10))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(|e| err(&e))?;
    for s in series {
        let points: Vec<(f64, f64)> = s
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| ((i + 1) as f64, v))
            .collect();
        let color = s.color;
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(s.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, color.filled())),
            )
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    Ok(())
}

/// The PNG bytes of the curves of `history`.
pub fn render(history: &[EpochRecord]) -> Result<Vec<u8>, String> {
    register_font();
    let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (left, right) = root.split_horizontally(WIDTH / 2);
        let col = |f: fn(&EpochRecord) -> f64| history.iter().map(f).collect::<Vec<_>>();
        let epochs = history.last().map_or(1, |r| r.epoch + 1);
        panel(
            &left,
            "loss",
            epochs,
            &[
                Series {
                    label: "train",
                    color: BLUE,
                    values: col(|r| r.train_loss),
                },
                Series {
                    label: "validation",
                    color: RED,
                    values: col(|r| r.val_loss),
                },
            ],
        )?;
        panel(
            &right,
            "accuracy (%)",
            epochs,
            &[
                Series {
                    label: "train top-1",
                    color: BLUE,
                    values: col(|r| 100.0 * r.train_top1),
                },
                Series {
                    label: "validation top-1",
                    color: RED,
                    values: col(|r| 100.0 * r.val_top1),
                },
                Series {
                    label: "validation top-5",
                    color: RGBColor(0, 140, 0),
                    values: col(|r| 100.0 * r.val_top5),
                },
            ],
        )?;
        root.present().map_err(|e| e.to_string())?;
    }
    let img = RgbImage::from_raw(WIDTH, HEIGHT, buf).ok_or("image buffer size")?;
    let mut png = Cursor::new(Vec::new());
    img.write_to(&mut png, ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(png.into_inner())
}

/// Write `curves.png` atomically.
pub fn draw(path: &Path, history: &[EpochRecord]) -> Result<(), String> {
    let bytes = render(history)?;
    write_bytes_atomic(path, &bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_png_with_lines() {
        let rec = |epoch: usize, loss: f64, top1: f64| EpochRecord {
            epoch,
            lr: 0.1,
            train_loss: loss,
            train_top1: top1,
            val_loss: loss * 1.1,
            val_top1: top1 - 0.01,
            val_top5: 1.0,
            images_per_s: None,
            quantized_layers: None,
        };
        let png = render(&[rec(0, 1.5, 0.6), rec(1, 0.5, 0.9), rec(2, 0.2, 0.97)]).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
        let has = |c: [u8; 3]| img.pixels().any(|p| p.0 == c);
        assert!(has([0, 0, 255]) && has([255, 0, 0]), "series colours drawn");
        // Text (dark anti-aliased pixels) is drawn too: the captions and tick labels.
        let dark = img.pixels().filter(|p| p.0.iter().all(|&v| v < 80)).count();
        assert!(dark > 500, "{dark} dark pixels");
    }
}
