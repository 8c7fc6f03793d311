//! Addresses of the ai8x accelerators as the Arm core sees them over APB (spec
//! `weights-h.md` §1): where a processor's data, kernel and bias memory live and where a
//! register is, computed from the chip's [`MemoryMap`](super::chip::MemoryMap).
//!
//! Owns the address arithmetic; the constants are the chip's (`chip.rs`), sizes and counts
//! stay in `limits.rs`. Must not know about graphs or file formats.

use super::chip::Chip;

/// Base address of `processor`'s kernel memory (its column 0).
pub fn kernel_base(chip: &Chip, processor: u32) -> u32 {
    let per_quadrant = chip.limits.processors_per_quadrant;
    chip.map.kernel_base
        + (processor / per_quadrant) * chip.map.quadrant_stride
        + (processor % per_quadrant) * chip.map.kernel_processor_stride
}

/// Address of control register number `index` (32-bit words) of `quadrant`.
pub fn control_register(chip: &Chip, quadrant: u32, index: u32) -> u32 {
    chip.map.control_base + quadrant * chip.map.quadrant_stride + 4 * index
}

/// Address of per-layer register number `register` of `layer` in `quadrant`.
pub fn layer_register(chip: &Chip, quadrant: u32, register: u32, layer: u32) -> u32 {
    let m = &chip.map;
    m.control_base
        + quadrant * m.quadrant_stride
        + m.layer_register_offset
        + register * m.layer_register_stride
        + layer * m.layer_stride
}

/// Address of streaming register number `register` (0: start, 1: delta, 2: rollover) of
/// `layer` in `quadrant`, on chips that keep them apart from the layer registers.
pub fn stream_register(chip: &Chip, quadrant: u32, register: u32, layer: u32) -> Option<u32> {
    let m = &chip.map;
    m.stream_register_offset.map(|offset| {
        m.control_base
            + quadrant * m.quadrant_stride
            + m.layer_register_offset
            + offset
            + 8 * 4 * register
            + 4 * layer
    })
}

/// Base address of quadrant `quadrant`'s bias memory.
pub fn bias_base(chip: &Chip, quadrant: u32) -> u32 {
    chip.map.bias_base + quadrant * chip.map.quadrant_stride
}

/// Offset of `processor`'s data-memory instance from the data memory's base address.
pub fn instance_offset(chip: &Chip, processor: u32) -> u32 {
    let per_quadrant = chip.limits.processors_per_quadrant;
    let instance = (processor % per_quadrant) / chip.limits.processors_per_data_instance;
    (processor / per_quadrant) * chip.map.quadrant_stride + instance * chip.map.data_instance_stride
}

/// Byte address of the data-memory word at `word` (32-bit words) inside the instance of
/// `processor`, plus a byte offset `offset`; `None` past the 32-bit address space.
///
/// A processor's instance is `(p mod 16) div 4` of quadrant `p div 16`.
pub fn data_address(chip: &Chip, processor: u32, offset: u32, word: u64) -> Option<u32> {
    let base = u64::from(chip.map.data_base)
        + u64::from(instance_offset(chip, processor))
        + u64::from(offset);
    u32::try_from(base + 4 * word).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::ai8x::chip::{MAX78000, MAX78002};

    #[test]
    fn instances_and_quadrants() {
        assert_eq!(data_address(&MAX78000, 0, 0x1000, 0), Some(0x5040_1000));
        assert_eq!(data_address(&MAX78000, 4, 0x1000, 0), Some(0x5040_9000));
        assert_eq!(data_address(&MAX78000, 7, 0, 1), Some(0x5040_8004));
        assert_eq!(data_address(&MAX78000, 16, 0x2000, 0), Some(0x5080_2000));
        assert_eq!(data_address(&MAX78000, 63, 0, 0), Some(0x5101_8000));
        assert_eq!(data_address(&MAX78000, 0, 0, 1 << 31), None);
        // MAX78002 golden sampleoutput.h (mnist): processors 0, 4, 8 at offset 0x1000.
        assert_eq!(data_address(&MAX78002, 4, 0x1000, 0), Some(0x5182_1000));
        assert_eq!(data_address(&MAX78002, 8, 0x1000, 0), Some(0x5184_1000));
    }

    #[test]
    fn kernel_and_bias_bases() {
        assert_eq!(kernel_base(&MAX78000, 0), 0x5018_0000);
        assert_eq!(kernel_base(&MAX78000, 17), 0x5058_4000);
        assert_eq!(kernel_base(&MAX78000, 63), 0x50db_c000);
        assert_eq!(bias_base(&MAX78000, 3), 0x50d0_8000);
        assert_eq!(kernel_base(&MAX78002, 1), 0x5142_0000);
        assert_eq!(bias_base(&MAX78002, 0), 0x5118_0000);
    }

    #[test]
    fn register_addresses() {
        assert_eq!(control_register(&MAX78000, 1, 2), 0x5050_0008);
        assert_eq!(control_register(&MAX78000, 0, 612), 0x5010_0990);
        assert_eq!(layer_register(&MAX78000, 0, 0, 0), 0x5010_0010);
        assert_eq!(layer_register(&MAX78000, 3, 20, 4), 0x50d0_0a20);
        // MAX78002 golden cnn.c (mnist): layer 1 rows (register 1) of quadrant 0.
        assert_eq!(layer_register(&MAX78002, 0, 1, 1), 0x5110_0104);
        assert_eq!(stream_register(&MAX78000, 0, 0, 0), None);
        assert_eq!(stream_register(&MAX78002, 0, 1, 2), Some(0x5110_8028));
    }
}
