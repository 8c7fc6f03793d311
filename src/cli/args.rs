//! Flags shared by several subcommands.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Target accelerator.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Device {
    Max78000,
}

/// A quantized network: device, description and checkpoint.
#[derive(Debug, Args)]
pub struct QuantizedNetwork {
    /// Target device.
    #[arg(long, value_enum, ignore_case = true, default_value = "max78000")]
    pub device: Device,
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
    pub fn kat(&self) -> crate::device::max78000::KatOptions {
        crate::device::max78000::KatOptions {
            mlator: self.mlator,
            max_checklines: self.max_checklines,
        }
    }

    pub fn sim(&self) -> crate::sim::SimOptions {
        crate::sim::SimOptions {
            avg_pool_rounding: self.avg_pool_rounding,
        }
    }
}
