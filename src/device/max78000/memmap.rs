//! MAX78000 address map as the Arm core sees it over APB (spec `weights-h.md` §1): where a
//! processor's data, kernel and bias memory live.
//!
//! Owns the address constants; sizes and counts stay in `limits.rs`. Must not know about
//! graphs or file formats.

use super::limits::Limits;

/// Address of data memory: quadrant 0, instance 0, byte 0.
pub const DATA_MEMORY_BASE: u32 = 0x5040_0000;
/// Distance between the register and memory blocks of consecutive quadrants.
pub const QUADRANT_STRIDE: u32 = 0x40_0000;

/// Address of bias memory, quadrant 0, byte 0 (one byte per 32-bit word).
pub const BIAS_MEMORY_BASE: u32 = 0x5010_8000;
/// Address of kernel memory, processor 0, column 0 (one 72-bit word per 16-byte window).
pub const KERNEL_MEMORY_BASE: u32 = 0x5018_0000;
/// Distance between the kernel memories of consecutive processors of a quadrant.
pub const KERNEL_PROCESSOR_STRIDE: u32 = 0x4000;

/// Base address of `processor`'s kernel memory (its column 0).
pub fn kernel_base(limits: &Limits, processor: u32) -> u32 {
    let per_quadrant = limits.processors_per_quadrant;
    KERNEL_MEMORY_BASE
        + (processor / per_quadrant) * QUADRANT_STRIDE
        + (processor % per_quadrant) * KERNEL_PROCESSOR_STRIDE
}

/// Control registers of quadrant 0 (`CTL` is the first word).
pub const CONTROL_BASE: u32 = 0x5010_0000;
/// First per-layer register of quadrant 0: register `r` of layer `l` is at
/// `+ r·LAYER_REGISTER_STRIDE + 4·l`.
pub const LAYER_REGISTER_OFFSET: u32 = 0x10;
/// Distance between consecutive per-layer registers (room for 32 layers).
pub const LAYER_REGISTER_STRIDE: u32 = 0x80;
/// Global FIFO control register (FIFO status and data words follow).
pub const FIFO_CONTROL: u32 = 0x5000_0000;
/// Fast FIFO of the RISC-V core (control register; status +0x4, interrupt enable +0x8,
/// data +0x10).
pub const FAST_FIFO_BASE: u32 = 0x400c_0400;
/// Fast FIFO status register (bit 1: full).
pub const FAST_FIFO_STATUS: u32 = FAST_FIFO_BASE + 0x4;
/// Fast FIFO interrupt-enable register.
pub const FAST_FIFO_INTERRUPTS: u32 = FAST_FIFO_BASE + 0x8;
/// Fast FIFO data register.
pub const FAST_FIFO_DATA: u32 = FAST_FIFO_BASE + 0x10;
/// Always-on domain control register.
pub const AON_CONTROL: u32 = 0x5000_1000;

/// Address of control register number `index` (32-bit words) of `quadrant`.
pub fn control_register(quadrant: u32, index: u32) -> u32 {
    CONTROL_BASE + quadrant * QUADRANT_STRIDE + 4 * index
}

/// Address of per-layer register number `register` of `layer` in `quadrant`.
pub fn layer_register(quadrant: u32, register: u32, layer: u32) -> u32 {
    CONTROL_BASE
        + quadrant * QUADRANT_STRIDE
        + LAYER_REGISTER_OFFSET
        + register * LAYER_REGISTER_STRIDE
        + 4 * layer
}

/// Base address of quadrant `quadrant`'s bias memory.
pub fn bias_base(quadrant: u32) -> u32 {
    BIAS_MEMORY_BASE + quadrant * QUADRANT_STRIDE
}

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

    #[test]
    fn kernel_and_bias_bases() {
        assert_eq!(kernel_base(&MAX78000, 0), 0x5018_0000);
        assert_eq!(kernel_base(&MAX78000, 17), 0x5058_4000);
        assert_eq!(kernel_base(&MAX78000, 63), 0x50db_c000);
        assert_eq!(bias_base(3), 0x50d0_8000);
    }

    #[test]
    fn register_addresses() {
        assert_eq!(control_register(1, 2), 0x5050_0008);
        assert_eq!(control_register(0, 612), 0x5010_0990);
        assert_eq!(layer_register(0, 0, 0), 0x5010_0010);
        assert_eq!(layer_register(3, 20, 4), 0x50d0_0a20);
    }
}
