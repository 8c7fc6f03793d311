//! Where an output layer leaves its values in data memory, without the values (spec
//! `weights-h.md` §7.1): the walk over passes and processor quads that both the check words
//! (`entries.rs`) and the generated `cnn_unload()` (`crate::emit::ai8x`) follow.
//!
//! Owns the quad walk and the word of each (quad, pixel). Must not read values, choose masks
//! or order the walk for a consumer: each caller loops over pixels and quads as it needs.

use super::KatError;
use crate::device::ai8x::memmap::data_address;
use crate::device::ai8x::{Chip, OutputWidth, Placement, ProcessorMask, UnloadRegion};

/// An output as it lies in data memory: a placed layer's output or an `unload` region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLayout {
    pub processors: ProcessorMask,
    pub channels: usize,
    pub rows: usize,
    pub cols: usize,
    /// Byte offset inside each data-memory instance.
    pub offset: u32,
    pub width: OutputWidth,
    pub write_gap: u32,
}

/// Up to four channels held by the processors of one data-memory instance in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quad {
    /// Lowest processor of the quad (a multiple of the processors per instance).
    pub processor: u32,
    pub pass: usize,
    pub first_channel: usize,
    /// Enabled output processors of the quad: bit `j` is processor `processor + j`.
    pub lanes: u8,
    /// Channels the quad holds: its enabled processors, at most the channels left.
    pub channels: usize,
}

impl OutputLayout {
    /// The output of a layer placed by `place` with `channels` of `rows × cols`.
    pub fn of_layer(place: &Placement, channels: usize, rows: usize, cols: usize) -> Self {
        OutputLayout {
            processors: place.output_processors,
            channels,
            rows,
            cols,
            offset: place.out_offset,
            width: place.output_width,
            write_gap: place.write_gap,
        }
    }

    /// The memory an `unload` entry names (its width is izer's 8 or 32 bits).
    pub fn of_region(region: &UnloadRegion) -> Self {
        OutputLayout {
            processors: region.processors,
            channels: region.channels,
            rows: region.dim[0],
            cols: region.dim[1],
            offset: region.offset,
            width: if region.width == 32 {
                OutputWidth::Bits32
            } else {
                OutputWidth::Bits8
            },
            write_gap: region.write_gap,
        }
    }

    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }

    /// Bytes of one value in memory.
    pub fn value_bytes(&self) -> u64 {
        match self.width {
            OutputWidth::Bits8 => 1,
            OutputWidth::Bits32 => 4,
        }
    }

    /// The quads in channel order. Processors are walked in quads sharing a memory instance,
    /// from the instance of the lowest output processor; every pass restarts there. `layer`
    /// only labels errors.
    pub fn quads(&self, chip: &Chip, layer: usize) -> Result<Vec<Quad>, KatError> {
        let limits = &chip.limits;
        let map = self.processors.0;
        let shared = limits.processors_per_data_instance;
        let per_pass = limits.expansion(self.channels).per_pass;
        let map_error = || KatError::OutputMap {
            layer,
            map,
            channels: self.channels,
            per_pass,
        };
        let start = self.processors.first().ok_or_else(map_error)? & !(shared - 1);
        let mut quads = Vec::new();
        let (mut proc, mut c) = (start, 0);
        while c < self.channels {
            if c % per_pass == 0 {
                proc = start;
            }
            let rest = map.checked_shr(proc).unwrap_or(0);
            if rest == 0 {
                return Err(map_error());
            }
            let lanes = (rest & ((1 << shared) - 1)) as u8;
            let enabled = lanes.count_ones() as usize;
            if enabled > 0 {
                quads.push(Quad {
                    processor: proc,
                    pass: c / per_pass,
                    first_channel: c,
                    lanes,
                    channels: enabled.min(self.channels - c),
                });
            }
            c += enabled;
            proc += shared;
        }
        Ok(quads)
    }

    /// The 32-bit word, counted from `offset` in the quad's instance, that holds the quad's
    /// first value at `pixel`.
    pub fn word(&self, quad: &Quad, pixel: usize, passes: usize) -> u64 {
        let bytes = self.value_bytes();
        let stride = u64::from(self.write_gap) + 1;
        (pixel as u64 * passes as u64 * bytes + quad.pass as u64 * bytes) * stride
    }

    /// Byte address of the quad's first value at `pixel`, plus `extra` words (32-bit values of
    /// the later lanes).
    pub fn address(
        &self,
        chip: &Chip,
        layer: usize,
        quad: &Quad,
        pixel: usize,
        extra: u64,
    ) -> Result<u32, KatError> {
        let limits = &chip.limits;
        let passes = limits.expansion(self.channels).passes;
        data_address(
            chip,
            quad.processor,
            self.offset,
            self.word(quad, pixel, passes) + extra,
        )
        .ok_or(KatError::Address {
            layer,
            channel: quad.first_channel,
            pixel,
        })
    }
}
