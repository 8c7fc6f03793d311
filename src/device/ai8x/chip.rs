//! The chips of the ai8x family as data: MAX78000 (izer "AI85") and MAX78002 (izer "AI87").
//! Each [`Chip`] holds its [`Limits`], its address map ([`MemoryMap`]), what it supports
//! ([`Features`]) and its clocks; every module of the family reads these instead of writing a
//! chip's numbers as literals.
//!
//! Owns the per-chip constants and the [`ChipId`] a placed graph records. Must not inspect
//! graphs (the checks do) nor format anything.

use super::limits::Limits;
use super::registers::LayerReg;

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
    /// Word index of the mlator data register from a quadrant's control base (izer
    /// `REG_MLAT`).
    pub mlator_register: u32,
}

/// What a chip can do beyond the family's common core (izer's `SUPPORT_*`, `REQUIRE_*` and
/// `EMULATE_*` flags, named for what they mean).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// Depthwise convolution (`groups` = channels).
    pub depthwise: bool,
    /// Binary ±1 weights (`quantization: bin`, izer's `-1`).
    pub binary_weights: bool,
    /// Dilation of Conv2d kernels (izer's documentation: MAX78002 only; Conv1d dilation is
    /// common to the family).
    pub conv2d_dilation: bool,
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
    /// `--energy` marks go to two GPIO pins of the power monitor (P1.6 system, P1.7
    /// inference) instead of the board LEDs (izer `REQUIRE_PMON_GPIO`).
    pub pmon_gpio: bool,
}

/// Clocks of the chip (izer's `IPO_SPEED`, `APB_SPEED`, `PLL_SPEED`), in MHz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clocks {
    pub ipo_mhz: u32,
    pub apb_mhz: u32,
    /// 0 when there is no PLL.
    pub pll_mhz: u32,
    /// Fastest CNN clock without the pipeline (izer `MAX_NO_PIPELINE_SPEED`).
    pub max_unpipelined_mhz: u32,
}

/// Where a per-layer register lives: register number `n` of the layer-register block, or of
/// the streaming block that some chips keep apart (see [`MemoryMap::stream_register_offset`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegSlot {
    Layer(u32),
    Stream(u32),
}

/// How the counts of the row and column registers are encoded on chips that program the stop
/// position and the distance to the next start (izer `CNT_DIFF_OFFS`, `PAD_ENA_OFFS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountStop {
    /// Offset of the bytes from the stop position to the next start.
    pub diff_offset: u32,
    /// The bit that enables padding (the pad field then holds `pad − 1`).
    pub pad_enable_bit: u32,
}

/// The per-layer register numbering of a chip and the bit layout of its fields (izer's
/// `LREG_*` numbers and `*_OFFS` / `MAX_*_BITS` constants). A register a chip lacks has no
/// slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterLayout {
    /// Each register the chip has and where it is.
    pub slots: &'static [(LayerReg, RegSlot)],
    /// Offset of the pad amount in the row and column registers (izer `PAD_CNT_OFFS`).
    pub pad_count_offset: u32,
    /// `Some` where the counts hold stop position and next-start distance; `None` where they
    /// hold `n − 1 + 2·pad` (MAX78000).
    pub count_stop: Option<CountStop>,
    /// Width of a row or column count (izer `MAX_CNT_BITS`).
    pub count_bits: u32,
    /// Offset of `pool dilation − 1` in the pooling count registers (izer `CNT_INC_OFFS`).
    pub pool_dilation_offset: Option<u32>,
    /// Offset of the multi-pass input stride in the stride register (izer `MP_STRIDE_OFFS`).
    pub multipass_stride_offset: Option<u32>,
    /// Offsets of `kernel rows − 1` and `kernel columns − 1` in the layer control register
    /// (izer `RPRIME_MAX_OFFS`, `CPRIME_MAX_OFFS`).
    pub kernel_size_offsets: Option<(u32, u32)>,
    /// Offset of the output span in layer control 2 (izer `XPCH_MAX_OFFS`).
    pub output_span_offset: u32,
    /// Width of the write-pointer increment in layer control 2 (izer `MAX_WPTRINC_BITS`).
    pub write_skip_bits: u32,
    /// Offset of the data-memory instance in a write pointer (izer `WRITE_PTR_SHIFT`).
    pub write_ptr_shift: u32,
    /// Address space of one data-memory instance in 32-bit words, empty space included (izer
    /// `INSTANCE_SIZE`): the write-pointer step between the instances of one group.
    pub instance_words: u32,
    /// Width of a read or write pointer (izer `MAX_PTR_BITS`).
    pub pointer_bits: u32,
    /// Offset of the kernel start in the combined mask register (izer `MCNT_SAD_OFFS`).
    pub mask_start_offset: u32,
    /// Bit of the control register that turns the CNN pipeline off (izer
    /// `CTL_PIPELINE_OFFS`); `None` without a pipeline.
    pub pipeline_off_bit: Option<u32>,
}

impl RegisterLayout {
    /// Where register `reg` is, or `None` when the chip has no such register.
    pub fn slot(&self, reg: LayerReg) -> Option<RegSlot> {
        self.slots.iter().find(|(r, _)| *r == reg).map(|(_, s)| *s)
    }

    /// Whether the chip has register `reg`.
    pub fn has(&self, reg: LayerReg) -> bool {
        self.slot(reg).is_some()
    }
}

/// MAX78000 per-layer registers (izer DevAI85 `LREG_*`).
const MAX78000_SLOTS: &[(LayerReg, RegSlot)] = &[
    (LayerReg::Rcnt, RegSlot::Layer(0)),
    (LayerReg::Ccnt, RegSlot::Layer(1)),
    (LayerReg::Oned, RegSlot::Layer(2)),
    (LayerReg::Prcnt, RegSlot::Layer(3)),
    (LayerReg::Pccnt, RegSlot::Layer(4)),
    (LayerReg::Stride, RegSlot::Layer(5)),
    (LayerReg::WptrBase, RegSlot::Layer(6)),
    (LayerReg::WptrToffs, RegSlot::Layer(7)),
    (LayerReg::WptrMoffs, RegSlot::Layer(8)),
    (LayerReg::WptrChoffs, RegSlot::Layer(9)),
    (LayerReg::RptrBase, RegSlot::Layer(10)),
    (LayerReg::Lctl, RegSlot::Layer(11)),
    (LayerReg::Mcnt, RegSlot::Layer(12)),
    (LayerReg::Tptr, RegSlot::Layer(13)),
    (LayerReg::Ena, RegSlot::Layer(14)),
    (LayerReg::Post, RegSlot::Layer(15)),
    (LayerReg::Stream1, RegSlot::Layer(16)),
    (LayerReg::Stream2, RegSlot::Layer(17)),
    (LayerReg::Fmax, RegSlot::Layer(18)),
    (LayerReg::Lctl2, RegSlot::Layer(20)),
];

/// MAX78002 per-layer registers (izer DevAI87 `LREG_*`; the streaming registers apart).
const MAX78002_SLOTS: &[(LayerReg, RegSlot)] = &[
    (LayerReg::NextLayer, RegSlot::Layer(0)),
    (LayerReg::Rcnt, RegSlot::Layer(1)),
    (LayerReg::Ccnt, RegSlot::Layer(2)),
    (LayerReg::Oned, RegSlot::Layer(3)),
    (LayerReg::Prcnt, RegSlot::Layer(4)),
    (LayerReg::Pccnt, RegSlot::Layer(5)),
    (LayerReg::Stride, RegSlot::Layer(6)),
    (LayerReg::WptrBase, RegSlot::Layer(7)),
    (LayerReg::WptrToffs, RegSlot::Layer(8)),
    (LayerReg::WptrMoffs, RegSlot::Layer(9)),
    (LayerReg::WptrChoffs, RegSlot::Layer(10)),
    (LayerReg::RptrBase, RegSlot::Layer(11)),
    (LayerReg::Lctl, RegSlot::Layer(12)),
    (LayerReg::Lctl2, RegSlot::Layer(13)),
    (LayerReg::MaskCount, RegSlot::Layer(14)),
    (LayerReg::MaskOffset, RegSlot::Layer(15)),
    (LayerReg::OutputChannels, RegSlot::Layer(16)),
    (LayerReg::Tptr, RegSlot::Layer(17)),
    (LayerReg::Ena, RegSlot::Layer(18)),
    (LayerReg::Post, RegSlot::Layer(19)),
    (LayerReg::Stream1, RegSlot::Stream(0)),
    (LayerReg::Stream2, RegSlot::Stream(1)),
    (LayerReg::Fmax, RegSlot::Stream(2)),
];

/// The MAX78000's register layout.
pub const MAX78000_REGISTERS: RegisterLayout = RegisterLayout {
    slots: MAX78000_SLOTS,
    pad_count_offset: 16,
    count_stop: None,
    count_bits: 10,
    pool_dilation_offset: None,
    multipass_stride_offset: None,
    kernel_size_offsets: None,
    output_span_offset: 8,
    write_skip_bits: 4,
    write_ptr_shift: 13,
    instance_words: 2048,
    pointer_bits: 17,
    mask_start_offset: 16,
    pipeline_off_bit: None,
};

/// The MAX78002's register layout.
pub const MAX78002_REGISTERS: RegisterLayout = RegisterLayout {
    slots: MAX78002_SLOTS,
    pad_count_offset: 13,
    count_stop: Some(CountStop {
        diff_offset: 16,
        pad_enable_bit: 15,
    }),
    count_bits: 11,
    pool_dilation_offset: Some(4),
    multipass_stride_offset: Some(4),
    kernel_size_offsets: Some((22, 18)),
    output_span_offset: 12,
    write_skip_bits: 8,
    write_ptr_shift: 15,
    instance_words: 8192,
    pointer_bits: 21,
    mask_start_offset: 16,
    pipeline_off_bit: Some(5),
};

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
    /// Where the per-layer registers are and how their fields are laid out.
    pub registers: RegisterLayout,
    pub features: Features,
    pub clocks: Clocks,
    /// Milliseconds `cnn_enable()` waits for the power switches (izer `DEFAULT_SWITCH_DELAY`).
    pub power_switch_delay_ms: u32,
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
    /// Flash size in 128-bit flash words (izer `FLASH_SIZE`) and the RISC-V SRAM origin of
    /// the SDK's linker set-up.
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
        mlator_register: 1024,
    },
    registers: MAX78000_REGISTERS,
    features: Features {
        depthwise: false,
        binary_weights: false,
        conv2d_dilation: false,
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
        pmon_gpio: false,
    },
    clocks: Clocks {
        ipo_mhz: 100,
        apb_mhz: 50,
        pll_mhz: 0,
        max_unpipelined_mhz: 50,
    },
    power_switch_delay_ms: 0,
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
        mlator_register: 0x4_4000,
    },
    registers: MAX78002_REGISTERS,
    features: Features {
        depthwise: true,
        binary_weights: true,
        conv2d_dilation: true,
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
        pmon_gpio: true,
    },
    clocks: Clocks {
        ipo_mhz: 120,
        apb_mhz: 60,
        pll_mhz: 200,
        max_unpipelined_mhz: 50,
    },
    power_switch_delay_ms: 10,
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

/// Where the flash starts on every chip of the family.
pub const FLASH_ORIGIN: u32 = 0x1000_0000;

impl Chip {
    /// First address after the flash (the end of the RISC-V image's flash window).
    pub fn flash_end(&self) -> u32 {
        FLASH_ORIGIN + self.flash_size * 16
    }

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
    fn flash_ends_where_the_riscv_linker_files_say() {
        assert_eq!(MAX78000.flash_end(), 0x1008_0000);
        assert_eq!(MAX78002.flash_end(), 0x1028_0000);
    }

    #[test]
    fn ids_name_their_chips() {
        assert_eq!(ChipId::Max78002.chip().part, "MAX78002");
        assert_eq!(ChipId::default().chip().name, "max78000");
    }
}
