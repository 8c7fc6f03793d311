//! The chips of the ai8x family as data: MAX78000 (izer "AI85") and MAX78002 (izer "AI87").
//! Each [`Chip`] holds its [`Limits`], its address map ([`MemoryMap`]), what it supports
//! ([`Features`]) and its clocks; every module of the family reads these instead of writing a
//! chip's numbers as literals.
//!
//! Owns the per-chip constants and the [`ChipId`] a placed graph records. Must not inspect
//! graphs (the checks do) nor format anything.

use super::limits::Limits;

/// Which chip of the family a graph was placed for (kept in the graph's annex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum ChipId {
    #[default]
    Max78000,
    Max78002,
}

impl ChipId {
    /// The chip's constants.
    pub fn chip(self) -> &'static Chip {
        match self {
            ChipId::Max78000 => &MAX78000,
            ChipId::Max78002 => &MAX78002,
        }
    }
}

/// Where the Arm core sees the accelerator's registers and memories over APB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryMap {
    /// Control registers of quadrant 0 (`CTL` is the first word).
    pub control_base: u32,
    /// Distance between the register and memory blocks of consecutive quadrants.
    pub quadrant_stride: u32,
    /// Bias memory of quadrant 0 (one byte per 32-bit word).
    pub bias_base: u32,
    /// Kernel memory of processor 0, column 0 (one 72-bit word per 16-byte window).
    pub kernel_base: u32,
    /// Distance between the kernel memories of consecutive processors of a quadrant.
    pub kernel_processor_stride: u32,
    /// Data memory of quadrant 0, instance 0.
    pub data_base: u32,
    /// Address space of one data-memory instance (can exceed its size: MAX78002 leaves a
    /// gap after each 80 KiB instance).
    pub data_instance_stride: u32,
    /// Offset of the per-layer registers from a quadrant's control base.
    pub layer_register_offset: u32,
    /// Distance between register `r` and `r + 1` of one layer.
    pub layer_register_stride: u32,
    /// Distance between the same register of layer `l` and `l + 1`.
    pub layer_stride: u32,
    /// Offset of the streaming registers (start, delta, rollover) from the layer-register
    /// block, where they sit apart from the others (MAX78002); `None` when they are ordinary
    /// layer registers.
    pub stream_register_offset: Option<u32>,
    /// Word index of the frame-size register (izer `REG_IFRM`) from the control base.
    pub frame_size_register: u32,
    /// Global FIFO control register (FIFO status and data words follow).
    pub fifo_control: u32,
    /// Fast FIFO of the RISC-V core (control register; status +0x4, interrupt enable +0x8,
    /// data +0x10).
    pub fast_fifo_base: u32,
    /// Always-on domain control register.
    pub aon_control: u32,
}

/// What a chip can do beyond the family's common core (izer's `SUPPORT_*`, `REQUIRE_*` and
/// `EMULATE_*` flags, named for what they mean).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// Depthwise convolution (`groups` = channels).
    pub depthwise: bool,
    /// Binary ±1 weights (`weight_bits: -1`).
    pub binary_weights: bool,
    /// Chaining layers out of order (`next_sequence`).
    pub link_layers: bool,
    /// A streaming layer without a convolution (passthrough).
    pub streaming_passthrough: bool,
    /// Bias on streaming layers.
    pub stream_bias: bool,
    /// Read-ahead of the next input row.
    pub read_ahead: bool,
    /// The CNN clock can run from a PLL.
    pub pll: bool,
    /// The pipelined CNN clock.
    pub pipeline: bool,
    /// Registers are cleared through the memory BIST before they are programmed.
    pub register_clear: bool,
    /// Multi-pass Conv1d with padding.
    pub multipass_padded_conv1d: bool,
    /// Multi-pass element-wise layers with a convolution and bias.
    pub multipass_eltwise_conv_bias: bool,
    /// Data memory reads wrap around at the end of an instance.
    pub rollover_read: bool,
    /// Multi-pass element-wise operations run as extra passthrough layers.
    pub emulate_eltwise_multipass: bool,
    /// A flattening layer's bias is allocated before all others.
    pub flatten_bias_first: bool,
    /// Multi-pass layers need kernel-memory offsets written per pass.
    pub multipass_kernel_offset_per_write: bool,
    /// Writes to the kernel memory are masked per processor.
    pub weight_mask: bool,
    /// The new streaming register layout.
    pub new_streaming: bool,
    /// The one-shot bit must be cleared after each layer.
    pub oneshot_clear: bool,
    /// The FIFO completion bit must be set.
    pub fifo_completion: bool,
    /// Snoop registers.
    pub snoop: bool,
}

/// Clocks of the chip (izer's `IPO_SPEED`, `APB_SPEED`, `PLL_SPEED`), in MHz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clocks {
    pub ipo_mhz: u32,
    pub apb_mhz: u32,
    /// 0 when there is no PLL.
    pub pll_mhz: u32,
}

/// One chip of the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chip {
    pub id: ChipId,
    /// qtool's `--device` name.
    pub name: &'static str,
    /// The part number (izer `--device MAX7800x`, the SDK's `TARGET`).
    pub part: &'static str,
    /// izer's device code (85, 87).
    pub izer_code: u32,
    pub limits: Limits,
    pub map: MemoryMap,
    pub features: Features,
    pub clocks: Clocks,
    /// Largest layer the network may start at (0: always layer 0).
    pub max_start_layer: usize,
    /// Kernel-memory columns of the large instances (processors 0, 16, 32, 48) and of the
    /// others; MAX78000's are all equal.
    pub kernel_words_large: u32,
    /// Kernel-memory address space per processor, in 72-bit columns (izer `MASK_OFFS`).
    pub kernel_column_space: u32,
    /// Columns of one kernel-memory instance below `kernel_words_per_processor` (izer
    /// `MASK_INSTANCE_LARGE`) and of one instance of the large processors' extension above it
    /// (izer `MASK_INSTANCE_SMALL`). With [`Features::weight_mask`], a depthwise layer's kernels
    /// must not cross an instance boundary.
    pub kernel_instance_words: u32,
    pub kernel_instance_words_extended: u32,
    /// TRAM words per processor and its address space (izer `TRAM_SIZE`, `TRAM_OFFS`).
    pub tram_size: u32,
    pub tram_space: u32,
    /// Flash and RISC-V SRAM origin of the SDK's linker set-up.
    pub flash_size: u32,
    pub riscv_sram_origin: u32,
}

/// The MAX78000 (izer device "AI85").
pub const MAX78000: Chip = Chip {
    id: ChipId::Max78000,
    name: "max78000",
    part: "MAX78000",
    izer_code: 85,
    limits: super::limits::MAX78000_LIMITS,
    map: MemoryMap {
        control_base: 0x5010_0000,
        quadrant_stride: 0x40_0000,
        bias_base: 0x5010_8000,
        kernel_base: 0x5018_0000,
        kernel_processor_stride: 0x4000,
        data_base: 0x5040_0000,
        data_instance_stride: 0x8000,
        layer_register_offset: 0x10,
        layer_register_stride: 0x80,
        layer_stride: 4,
        stream_register_offset: None,
        frame_size_register: 612,
        fifo_control: 0x5000_0000,
        fast_fifo_base: 0x400c_0400,
        aon_control: 0x5000_1000,
    },
    features: Features {
        depthwise: false,
        binary_weights: false,
        link_layers: false,
        streaming_passthrough: true,
        stream_bias: false,
        read_ahead: false,
        pll: false,
        pipeline: false,
        register_clear: false,
        multipass_padded_conv1d: true,
        multipass_eltwise_conv_bias: true,
        rollover_read: true,
        emulate_eltwise_multipass: true,
        flatten_bias_first: true,
        multipass_kernel_offset_per_write: true,
        weight_mask: false,
        new_streaming: false,
        oneshot_clear: true,
        fifo_completion: true,
        snoop: false,
    },
    clocks: Clocks {
        ipo_mhz: 100,
        apb_mhz: 50,
        pll_mhz: 0,
    },
    max_start_layer: 0,
    kernel_words_large: 768,
    kernel_column_space: 1024,
    kernel_instance_words: 768,
    kernel_instance_words_extended: 768,
    tram_size: 3072,
    tram_space: 4096,
    flash_size: 0x8000,
    riscv_sram_origin: 0x2001_c000,
};

/// The MAX78002 (izer device "AI87").
pub const MAX78002: Chip = Chip {
    id: ChipId::Max78002,
    name: "max78002",
    part: "MAX78002",
    izer_code: 87,
    limits: super::limits::MAX78002_LIMITS,
    map: MemoryMap {
        control_base: 0x5100_0000,
        quadrant_stride: 0x100_0000,
        bias_base: 0x5118_0000,
        kernel_base: 0x5140_0000,
        kernel_processor_stride: 0x2_0000,
        data_base: 0x5180_0000,
        data_instance_stride: 0x2_0000,
        layer_register_offset: 0x10_0000,
        layer_register_stride: 4,
        layer_stride: 0x100,
        stream_register_offset: Some(0x8000),
        frame_size_register: 0x4_2018,
        fifo_control: 0x5000_0000,
        fast_fifo_base: 0x400c_0400,
        aon_control: 0x5000_1000,
    },
    features: Features {
        depthwise: true,
        binary_weights: true,
        link_layers: true,
        streaming_passthrough: false,
        stream_bias: true,
        read_ahead: true,
        pll: true,
        pipeline: true,
        register_clear: true,
        multipass_padded_conv1d: false,
        multipass_eltwise_conv_bias: false,
        rollover_read: false,
        emulate_eltwise_multipass: false,
        flatten_bias_first: false,
        multipass_kernel_offset_per_write: false,
        weight_mask: true,
        new_streaming: true,
        oneshot_clear: false,
        fifo_completion: false,
        snoop: true,
    },
    clocks: Clocks {
        ipo_mhz: 120,
        apb_mhz: 60,
        pll_mhz: 200,
    },
    max_start_layer: 127,
    kernel_words_large: 5120,
    kernel_column_space: 8192,
    kernel_instance_words: 1024,
    kernel_instance_words_extended: 256,
    tram_size: 12288,
    tram_space: 16384,
    flash_size: 0x2_8000,
    riscv_sram_origin: 0x2005_c000,
};

impl Chip {
    /// Kernel-memory columns of `processor` (the first of each quadrant has the large memory).
    pub fn kernel_words(&self, processor: u32) -> u32 {
        if processor.is_multiple_of(self.limits.processors_per_quadrant) {
            self.kernel_words_large
        } else {
            self.limits.kernel_words_per_processor
        }
    }

    /// Whether `processor` has the large kernel memory (more columns than the others).
    pub fn has_extended_kernels(&self, processor: u32) -> bool {
        self.kernel_words_large > self.limits.kernel_words_per_processor
            && self.kernel_words(processor) == self.kernel_words_large
    }

    /// Columns of the widest kernel memory of any processor.
    pub fn kernel_words_max(&self) -> u32 {
        self.kernel_words_large
            .max(self.limits.kernel_words_per_processor)
    }

    /// Total kernel memory in bytes (izer's "Weight memory … out of" figure).
    pub fn kernel_memory_bytes(&self) -> u32 {
        let words: u32 = (0..self.limits.processors)
            .map(|p| self.kernel_words(p))
            .sum();
        words * self.limits.kernel_word_bits / 8
    }

    /// Total bias memory in bytes.
    pub fn bias_memory_bytes(&self) -> u32 {
        self.limits.bias_bytes_per_quadrant * self.limits.quadrants
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_totals_match_izer_reports() {
        // izer's "Weight memory: … out of N bytes total" and "Bias memory" lines.
        assert_eq!(MAX78000.kernel_memory_bytes(), 442_368);
        assert_eq!(MAX78002.kernel_memory_bytes(), 2_396_160);
        assert_eq!(MAX78000.bias_memory_bytes(), 2_048);
        assert_eq!(MAX78002.bias_memory_bytes(), 8_192);
    }

    #[test]
    fn ids_name_their_chips() {
        assert_eq!(ChipId::Max78002.chip().part, "MAX78002");
        assert_eq!(ChipId::default().chip().name, "max78000");
    }
}
