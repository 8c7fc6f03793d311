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
    #[arg(long, value_enum, default_value = "max78000")]
    pub device: Device,
    /// Network description (MAX78000 YAML).
    #[arg(long, short = 'n', value_name = "YAML")]
    pub network: PathBuf,
    /// Quantized checkpoint (`.pth.tar` from ai8x-training, or qtool `.safetensors`).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub checkpoint: PathBuf,
}
