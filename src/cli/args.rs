//! Flags shared by several subcommands.

use crate::device::{DEFAULT_DEVICE, DeviceOptions, IzerOptions};
use crate::sim::SimOptions;
use clap::Args;
use std::path::PathBuf;

/// `--device NAME`: the target accelerator, looked up in the device registry.
#[derive(Debug, Args)]
pub struct DeviceFlag {
    /// Target device (`max78000`, `max78002`, `gti`).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_DEVICE)]
    pub device: String,
    /// The chip of a device family (`--device gti`: 2801, 2803 or 5801).
    #[arg(long, value_name = "N")]
    pub chip: Option<String>,
    /// The layers the host runs after the chip (`--device gti`: a full-model JSON; default:
    /// the one the chip network's `"qtool"` object names).
    #[arg(long, value_name = "JSON")]
    pub full_model: Option<PathBuf>,
}

impl DeviceFlag {
    /// The device options these flags give.
    pub fn options(&self) -> DeviceOptions {
        DeviceOptions {
            chip: self.chip.clone(),
            host_model: self.full_model.clone(),
        }
    }
}

/// A quantized network: device, description and checkpoint.
#[derive(Debug, Args)]
pub struct QuantizedNetwork {
    #[command(flatten)]
    pub device: DeviceFlag,
    /// Network description (MAX78000 YAML).
    #[arg(long, short = 'n', value_name = "YAML", visible_alias = "config-file")]
    pub network: PathBuf,
    /// Quantized checkpoint (`.pth.tar` from ai8x-training, or qtool `.safetensors`).
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        visible_alias = "checkpoint-file"
    )]
    pub checkpoint: PathBuf,
}

/// izer options that change the simulated numbers or the known-answer words.
#[derive(Debug, Args)]
pub struct IzerKatFlags {
    /// izer `--mlator` (accepted for command-line compatibility; the known-answer words are
    /// the same).
    #[arg(long)]
    pub mlator: bool,
    /// izer `--max-checklines N`: keep the first N+1 checked values, as izer does.
    #[arg(long, value_name = "N")]
    pub max_checklines: Option<usize>,
    /// Round 2-D average pooling (half away from zero, as izer's simulation does).
    #[arg(long)]
    pub avg_pool_rounding: bool,
}

impl IzerKatFlags {
    /// These flags as izer options (the rest left unset).
    pub fn izer(&self) -> IzerOptions {
        IzerOptions {
            mlator: self.mlator,
            max_checklines: self.max_checklines,
            avg_pool_rounding: self.avg_pool_rounding,
            ..IzerOptions::default()
        }
    }

    pub fn sim(&self) -> SimOptions {
        SimOptions {
            avg_pool_rounding: self.avg_pool_rounding,
        }
    }
}
