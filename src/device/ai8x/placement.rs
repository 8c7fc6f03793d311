//! Where a layer lives on an ai8x chip: processors, data-memory offsets, output format.
//!
//! Pure data (the IR's per-node annex); the checks on it are in `check.rs`.

use super::chip::{Chip, ChipId};
use std::fmt;

/// A set of the 64 processors (bit `p` = processor `p`; 4 quadrants of 16).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ProcessorMask(pub u64);

impl ProcessorMask {
    pub fn count(self) -> u32 {
        self.0.count_ones()
    }

    pub fn contains(self, p: u32) -> bool {
        p < 64 && self.0 >> p & 1 == 1
    }

    /// Index of the lowest enabled processor.
    pub fn first(self) -> Option<u32> {
        (self.0 != 0).then(|| self.0.trailing_zeros())
    }

    /// Quadrants (groups of 16 processors) with at least one enabled processor.
    pub fn quadrants(self) -> impl Iterator<Item = u32> {
        (0..4).filter(move |q| self.0 >> (q * 16) & 0xffff != 0)
    }

    pub fn iter(self) -> impl Iterator<Item = u32> {
        (0..64).filter(move |p| self.contains(*p))
    }
}

impl fmt::Debug for ProcessorMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:016x}", self.0)
    }
}

impl fmt::Display for ProcessorMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:016x}", self.0)
    }
}

/// Layout of the first layer's input in data memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataFormat {
    /// Channels interleaved, four per 32-bit word (izer `HWC` / `little`).
    #[default]
    Hwc,
    /// One channel per memory instance, four pixels per word (izer `CHW` / `big`).
    Chw,
}

/// Width of a layer's output words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputWidth {
    #[default]
    Bits8,
    /// Full-resolution 32-bit output (last layer only).
    Bits32,
}

impl OutputWidth {
    pub fn bits(self) -> u32 {
        match self {
            OutputWidth::Bits8 => 8,
            OutputWidth::Bits32 => 32,
        }
    }
}

/// Placement of one layer (izer per-layer keys that are about the device, not the math).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Placement {
    pub processors: ProcessorMask,
    pub output_processors: ProcessorMask,
    /// Byte offset of the input inside each data-memory instance.
    pub in_offset: u32,
    pub out_offset: u32,
    pub write_gap: u32,
    pub read_gap: u32,
    pub in_channel_skip: u32,
    /// Rows removed at the top and bottom of the input.
    pub in_crop: [u32; 2],
    /// Explicit `in_dim` re-interpretation, if the description gave one.
    pub in_dim: Option<[usize; 2]>,
    pub bias_group: Option<Vec<u32>>,
    pub streaming: bool,
    pub output_width: OutputWidth,
    pub data_format: DataFormat,
    /// Layer's output is checked and unloaded (izer `output`).
    pub output: bool,
    /// Layer index whose weights this layer reuses.
    pub weight_source: Option<usize>,
    pub buffer_shift: Option<u32>,
    pub buffer_insert: Option<u32>,
    /// izer `simulated_sequence`: next layer for the simulation only (`None` = default).
    pub simulated_sequence: Option<i64>,
    pub conv_groups: usize,
}

/// One entry of the global `unload` list (custom `cnn_unload()` body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnloadRegion {
    pub processors: ProcessorMask,
    pub channels: usize,
    pub dim: [usize; 2],
    pub offset: u32,
    pub width: u32,
    pub write_gap: u32,
}

/// The `data_buffer` rolling buffer of TCN-style networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataBuffer {
    pub name: String,
    pub processors: ProcessorMask,
    pub dim: [usize; 2],
    pub channels: usize,
    pub offset: u32,
    pub width: u32,
}

/// Whole-network placement (izer global keys).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkPlacement {
    pub output_map: Option<ProcessorMask>,
    pub unload: Option<Vec<UnloadRegion>>,
    pub data_buffer: Option<Vec<DataBuffer>>,
    /// The chip the network is placed on.
    pub chip: ChipId,
}

/// The chip `graph` was placed on (the MAX78000 for a graph without an ai8x placement).
pub fn chip_of(graph: &crate::ir::Graph) -> &'static Chip {
    graph
        .annex
        .get::<NetworkPlacement>()
        .map_or(ChipId::Max78000, |p| p.chip)
        .chip()
}
