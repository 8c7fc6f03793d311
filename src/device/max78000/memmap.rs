//! MAX78000 address map as the Arm core sees it over APB (spec `weights-h.md` §1): where a
//! processor's data memory lives.
//!
//! Owns the address constants; sizes and counts stay in `limits.rs`. Must not know about
//! graphs or file formats.

use super::limits::Limits;

/// Address of data memory: quadrant 0, instance 0, byte 0.
pub const DATA_MEMORY_BASE: u32 = 0x5040_0000;
/// Distance between the register and memory blocks of consecutive quadrants.
pub const QUADRANT_STRIDE: u32 = 0x40_0000;

/// Byte address of the data-memory word at `word` (32-bit words) inside the instance of
/// `processor`, plus a byte offset `offset`; `None` past the 32-bit address space.
///
/// A processor's instance is `(p mod 16) div 4` of quadrant `p div 16`.
pub fn data_address(limits: &Limits, processor: u32, offset: u32, word: u64) -> Option<u32> {
    let per_quadrant = limits.processors_per_quadrant;
    let instance = (processor % per_quadrant) / limits.processors_per_data_instance;
    let base = u64::from(DATA_MEMORY_BASE)
        + u64::from(processor / per_quadrant) * u64::from(QUADRANT_STRIDE)
        + u64::from(instance) * u64::from(limits.data_instance_bytes)
        + u64::from(offset);
    u32::try_from(base + 4 * word).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::max78000::MAX78000;

    #[test]
    fn instances_and_quadrants() {
        assert_eq!(data_address(&MAX78000, 0, 0x1000, 0), Some(0x5040_1000));
        assert_eq!(data_address(&MAX78000, 4, 0x1000, 0), Some(0x5040_9000));
        assert_eq!(data_address(&MAX78000, 7, 0, 1), Some(0x5040_8004));
        assert_eq!(data_address(&MAX78000, 16, 0x2000, 0), Some(0x5080_2000));
        assert_eq!(data_address(&MAX78000, 63, 0, 0), Some(0x5101_8000));
        assert_eq!(data_address(&MAX78000, 0, 0, 1 << 31), None);
    }
}
