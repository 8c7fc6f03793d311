//! Flags of the device-independent quantization schemes (`--scheme quantclip|gfpq` and their
//! settings) shared by `train`, `eval` and `analyze`, and `train`'s progressive-quantization
//! flags: flags → [`SchemeSettings`] / [`Progressive`], every bad value one line naming the
//! flag.

use crate::quant::SchemeSettings;
use crate::quant::gfpq::{GfpqMode, LogBits};
use crate::quant::quantclip::{MsbTriple, Resolution};
use crate::quant::settings::MsbChoice;
use crate::train::progressive::{Progressive, Strategy};
use anyhow::{Result, bail};
use clap::Args;

/// `--scheme` and its settings.
#[derive(Debug, Args)]
pub struct SchemeFlags {
    /// A device-independent fake-quantization scheme instead of the device's own: quantclip
    /// (fixed point, msb + bits; --resolution) or gfpq (HiSilicon NNIE, log 8/16-bit; --bits).
    #[arg(long, value_name = "NAME")]
    pub scheme: Option<String>,
    /// quantclip: the widths K:I:O of kernel, input and raw output (1–24 bits each).
    #[arg(long, value_name = "K:I:O")]
    pub resolution: Option<String>,
    /// quantclip: one msb triple K:I:O for every layer (e.g. 0:9:9).
    #[arg(long, value_name = "K:I:O", allow_hyphen_values = true)]
    pub msb: Option<String>,
    /// quantclip: per-layer msb from the limits holding P % of the values (default 99.9).
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub msb_percentile: Option<f64>,
    /// Calibration images (training split, seeded) for quantclip's msb and GFPQ's data
    /// coefficients (default 32).
    #[arg(long, value_name = "N")]
    pub calib_images: Option<usize>,
    /// gfpq: 8 or 16 bits.
    #[arg(long, value_name = "N")]
    pub bits: Option<u8>,
    /// gfpq: how data coefficients follow the batches: init (replaced), update (widened,
    /// default) or apply (stored ones only: needs --init-from a GFPQ checkpoint).
    #[arg(long, value_name = "MODE")]
    pub gfpq_mode: Option<String>,
}

impl SchemeFlags {
    /// The settings, `None` without `--scheme`; a setting of another scheme is refused.
    pub fn settings(&self) -> Result<Option<SchemeSettings>> {
        let Some(name) = self.scheme.as_deref() else {
            let stray = [
                ("--resolution", self.resolution.is_some()),
                ("--msb", self.msb.is_some()),
                ("--msb-percentile", self.msb_percentile.is_some()),
                ("--calib-images", self.calib_images.is_some()),
                ("--bits", self.bits.is_some()),
                ("--gfpq-mode", self.gfpq_mode.is_some()),
            ];
            if let Some((flag, _)) = stray.iter().find(|(_, given)| *given) {
                bail!("{flag} needs --scheme quantclip or --scheme gfpq");
            }
            return Ok(None);
        };
        let calib_images = match self.calib_images {
            Some(0) => bail!("--calib-images 0: needs at least one image"),
            Some(n) => n,
            None => 32,
        };
        let only = |flags: &[(&str, bool)]| -> Result<()> {
            match flags.iter().find(|(_, given)| *given) {
                Some((flag, _)) => bail!("{flag} does not apply to --scheme {name}"),
                None => Ok(()),
            }
        };
        match name {
            "quantclip" => {
                only(&[
                    ("--bits", self.bits.is_some()),
                    ("--gfpq-mode", self.gfpq_mode.is_some()),
                ])?;
                let Some(r) = self.resolution.as_deref() else {
                    bail!("--scheme quantclip needs --resolution K:I:O (e.g. 8:8:8)");
                };
                let resolution: Resolution =
                    r.parse().map_err(|m| anyhow::anyhow!("--resolution {m}"))?;
                let msb = match (self.msb.as_deref(), self.msb_percentile) {
                    (Some(_), Some(_)) => {
                        bail!("--msb and --msb-percentile exclude each other")
                    }
                    (Some(m), None) => MsbChoice::Fixed(
                        m.parse::<MsbTriple>()
                            .map_err(|e| anyhow::anyhow!("--msb {e}"))?,
                    ),
                    (None, p) => MsbChoice::Percentile(percentile(p.unwrap_or(99.9))?),
                };
                Ok(Some(SchemeSettings::Quantclip {
                    resolution,
                    msb,
                    calib_images,
                }))
            }
            "gfpq" => {
                only(&[
                    ("--resolution", self.resolution.is_some()),
                    ("--msb", self.msb.is_some()),
                    ("--msb-percentile", self.msb_percentile.is_some()),
                ])?;
                let Some(b) = self.bits else {
                    bail!("--scheme gfpq needs --bits 8 or --bits 16");
                };
                let bits = LogBits::try_from(b).map_err(|m| anyhow::anyhow!("--bits {b}: {m}"))?;
                let mode = match self.gfpq_mode.as_deref() {
                    None => GfpqMode::Update,
                    Some(m) => m.parse().map_err(|e| anyhow::anyhow!("--gfpq-mode {e}"))?,
                };
                Ok(Some(SchemeSettings::Gfpq {
                    bits,
                    mode,
                    calib_images,
                }))
            }
            other => bail!("--scheme {other}: not quantclip or gfpq"),
        }
    }
}

/// A percentile in (0, 100].
fn percentile(p: f64) -> Result<f64> {
    if p > 0.0 && p <= 100.0 {
        Ok(p)
    } else {
        bail!("--msb-percentile {p}: not in (0, 100]")
    }
}

/// `train`'s progressive quantization.
#[derive(Debug, Args)]
pub struct ProgressiveFlags {
    /// Quantize one layer at a time after the switch: lock (quantized layers stop training)
    /// or train (they keep training). Needs --scheme and --epochs-per-layer.
    #[arg(long, value_name = "STRATEGY")]
    pub progressive: Option<String>,
    /// Epochs after each layer's quantization (E ≥ 1).
    #[arg(long, value_name = "E")]
    pub epochs_per_layer: Option<usize>,
    /// Relaxation epochs at the end, every layer quantized and trainable (default 0).
    #[arg(long, value_name = "R")]
    pub relax: Option<usize>,
}

impl ProgressiveFlags {
    pub fn progressive(&self) -> Result<Option<Progressive>> {
        let Some(s) = self.progressive.as_deref() else {
            if self.epochs_per_layer.is_some() {
                bail!("--epochs-per-layer needs --progressive lock|train");
            }
            if self.relax.is_some() {
                bail!("--relax needs --progressive lock|train");
            }
            return Ok(None);
        };
        let strategy: Strategy = s
            .parse()
            .map_err(|m| anyhow::anyhow!("--progressive {m}"))?;
        let epochs_per_layer = match self.epochs_per_layer {
            None => bail!("--progressive needs --epochs-per-layer E"),
            Some(0) => bail!("--epochs-per-layer 0: needs at least 1"),
            Some(e) => e,
        };
        Ok(Some(Progressive {
            strategy,
            epochs_per_layer,
            relax: self.relax.unwrap_or(0),
        }))
    }
}
