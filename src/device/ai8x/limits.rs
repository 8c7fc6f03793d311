//! Hardware limits of the ai8x chips as data, and the channel-expansion rule derived from them.
//!
//! Owns every numeric limit the checks and the resource report use, and [`LimitError`], the
//! violation of one; nothing else in the device module writes these numbers as literals. Must not inspect graphs: `check` and
//! `resources` do that.

use thiserror::Error;

/// Hardware limits of one accelerator of the MAX7800x family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Processors (one per input channel of a pass).
    pub processors: u32,
    /// Quadrants (izer "groups", "x16"), each with its own bias memory.
    pub quadrants: u32,
    pub processors_per_quadrant: u32,
    /// Processors sharing one data-memory instance (izer `P_SHARED`).
    pub processors_per_data_instance: u32,
    /// Kernel-memory columns per processor (izer `MASK_WIDTH`), one 72-bit word each.
    pub kernel_words_per_processor: u32,
    /// Bits in one kernel-memory word.
    pub kernel_word_bits: u32,
    /// Bias memory per quadrant, one byte per value.
    pub bias_bytes_per_quadrant: u32,
    /// Data-memory instances (4 per quadrant).
    pub data_instances: u32,
    pub data_instance_bytes: u32,
    /// `out_offset` must be below this (izer `4·MEM_SIZE`).
    pub out_offset_end: u32,
    /// Hardware layers.
    pub max_layers: usize,
    /// Input or output channels of one layer (16 passes × 64 processors).
    pub max_channels: usize,
    /// Rows or columns of any input or output.
    pub max_row_col: usize,
    /// `H·W·in_expand` of an input frame must stay below this (`FRAME_SIZE_MAX`).
    pub frame_size_max: usize,
    /// Pooled `H·W` of a flattened input.
    pub max_flatten_pixels: usize,
    /// Largest zero padding of a convolution.
    pub max_pad: usize,
    /// Largest `|output_shift + (8 − weight bits)|`.
    pub max_output_shift: i32,
    /// Layers that can stream (stream registers exist for these).
    pub max_stream_layers: usize,
    /// Element-wise operands of one layer.
    pub min_operands: usize,
    pub max_operands: usize,
    /// Element-wise operands when pooling runs after the element-wise operation.
    pub max_pool_last_operands: usize,
    /// Largest Conv1d kernel length.
    pub max_conv1d_kernel: usize,
    /// Conv1d dilation: `(k − 1)·d` below this stretches the kernel in place.
    pub conv1d_stretch_span: usize,
    /// Larger dilations need the 3×3 emulation, which takes kernels up to this length ...
    pub max_dilation_1d_kernel: usize,
    /// ... with padding up to this ...
    pub max_dilation_1d_pad: usize,
    /// ... and dilations up to this.
    pub max_dilation_1d: usize,
    /// Pooling dilation supported.
    pub max_pool_dilation: usize,
    /// Pooling passes of a passthrough layer.
    pub max_pool_passes: usize,
    /// Required stride and output padding of ConvTranspose2d.
    pub transposed_stride: usize,
    pub transposed_output_pad: usize,
    /// Largest Conv2d/ConvTranspose2d pad (the hardware pad `2 − pad` must stay in 0..=2).
    pub max_transposed_pad: usize,
    /// Square Conv2d kernel sizes (1×1 and 3×3).
    pub conv2d_kernel_sizes: [usize; 2],
    /// The only ConvTranspose2d kernel size (3×3).
    pub transposed_kernel_size: usize,
    /// Side of the kernel hardware that emulates streaming 1×1 and widely dilated Conv1d.
    pub emulation_kernel_size: usize,
}

/// The MAX78000's limits (izer device "AI85"; the chip is [`super::chip::MAX78000`]).
pub const MAX78000_LIMITS: Limits = Limits {
    processors: 64,
    quadrants: 4,
    processors_per_quadrant: 16,
    processors_per_data_instance: 4,
    kernel_words_per_processor: 768,
    kernel_word_bits: 72,
    bias_bytes_per_quadrant: 512,
    data_instances: 16,
    data_instance_bytes: 32768,
    out_offset_end: 0x2_0000,
    max_layers: 32,
    max_channels: 1024,
    max_row_col: 1024,
    frame_size_max: 1 << 21,
    max_flatten_pixels: 256,
    max_pad: 2,
    max_output_shift: 15,
    max_stream_layers: 8,
    min_operands: 2,
    max_operands: 16,
    max_pool_last_operands: 2,
    max_conv1d_kernel: 9,
    conv1d_stretch_span: 9,
    max_dilation_1d_kernel: 3,
    max_dilation_1d_pad: 0,
    max_dilation_1d: 1023,
    max_pool_dilation: 1,
    max_pool_passes: 1,
    transposed_stride: 2,
    transposed_output_pad: 1,
    max_transposed_pad: 2,
    conv2d_kernel_sizes: [1, 3],
    transposed_kernel_size: 3,
    emulation_kernel_size: 3,
};

/// The MAX78002's limits (izer device "AI87"; the chip is [`super::chip::MAX78002`]).
/// `kernel_words_per_processor` is the smaller memory of 60 processors; the first of each
/// quadrant has [`super::chip::Chip::kernel_words_large`].
pub const MAX78002_LIMITS: Limits = Limits {
    processors: 64,
    quadrants: 4,
    processors_per_quadrant: 16,
    processors_per_data_instance: 4,
    kernel_words_per_processor: 4096,
    kernel_word_bits: 72,
    bias_bytes_per_quadrant: 2048,
    data_instances: 16,
    data_instance_bytes: 81920,
    out_offset_end: 0x5_0000,
    max_layers: 128,
    max_channels: 1024,
    max_row_col: 2048,
    frame_size_max: 1 << 21,
    max_flatten_pixels: 256,
    max_pad: 2,
    max_output_shift: 15,
    max_stream_layers: 8,
    min_operands: 2,
    max_operands: 16,
    max_pool_last_operands: 2,
    max_conv1d_kernel: 9,
    conv1d_stretch_span: 9,
    max_dilation_1d_kernel: 3,
    max_dilation_1d_pad: 0,
    max_dilation_1d: 2047,
    max_pool_dilation: 16,
    max_pool_passes: 65536,
    transposed_stride: 2,
    transposed_output_pad: 1,
    max_transposed_pad: 2,
    conv2d_kernel_sizes: [1, 3],
    transposed_kernel_size: 3,
    emulation_kernel_size: 3,
};

/// How a channel count is spread over the processors: `passes` passes of at most
/// `per_pass` channels each (izer `expand` / `expand_thresh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expansion {
    pub passes: usize,
    pub per_pass: usize,
}

impl Limits {
    /// izer's rule: `passes = ceil(c / 64)`, `per_pass = ceil(c / passes)`, and when `c > 64`
    /// `per_pass` is rounded up to a multiple of 4 (at most 64).
    pub fn expansion(&self, channels: usize) -> Expansion {
        let procs = self.processors as usize;
        let shared = self.processors_per_data_instance as usize;
        let passes = channels.div_ceil(procs).max(1);
        let mut per_pass = channels.div_ceil(passes);
        if channels > procs {
            per_pass = per_pass.next_multiple_of(shared).min(procs);
        }
        Expansion { passes, per_pass }
    }

    /// Processors `16·q … 16·q + 15` of quadrant `q` as a bit mask.
    pub fn quadrant_bits(&self, quadrant: u32) -> u64 {
        let width = self.processors_per_quadrant;
        ((1u64 << width) - 1) << (quadrant * width)
    }

    /// Total kernel memory in bytes (izer's "Weight memory … out of" figure).
    pub fn kernel_memory_bytes(&self) -> u32 {
        self.processors * self.kernel_words_per_processor * self.kernel_word_bits / 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_izer() {
        let e = |c| MAX78000_LIMITS.expansion(c);
        assert_eq!(
            e(1),
            Expansion {
                passes: 1,
                per_pass: 1
            }
        );
        assert_eq!(
            e(60),
            Expansion {
                passes: 1,
                per_pass: 60
            }
        );
        assert_eq!(
            e(64),
            Expansion {
                passes: 1,
                per_pass: 64
            }
        );
        assert_eq!(
            e(65),
            Expansion {
                passes: 2,
                per_pass: 36
            }
        );
        assert_eq!(
            e(100),
            Expansion {
                passes: 2,
                per_pass: 52
            }
        );
        assert_eq!(
            e(112),
            Expansion {
                passes: 2,
                per_pass: 56
            }
        );
        assert_eq!(
            e(128),
            Expansion {
                passes: 2,
                per_pass: 64
            }
        );
        assert_eq!(
            e(1024),
            Expansion {
                passes: 16,
                per_pass: 64
            }
        );
    }

    #[test]
    fn derived_sizes() {
        assert_eq!(MAX78000_LIMITS.kernel_memory_bytes(), 442_368);
        assert_eq!(MAX78000_LIMITS.quadrant_bits(2), 0x0000_ffff_0000_0000);
        assert_eq!(
            MAX78000_LIMITS.data_instances * MAX78000_LIMITS.data_instance_bytes,
            512 * 1024
        );
        assert_eq!(
            MAX78002_LIMITS.data_instances * MAX78002_LIMITS.data_instance_bytes,
            1280 * 1024
        );
    }
}

/// One violated hardware limit: the layer, the YAML key to change, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("layer {layer}: `{key}`: {message}")]
pub struct LimitError {
    pub layer: usize,
    /// The network-description key the user must change (`kernel_size`, `processors`, …).
    pub key: &'static str,
    /// What is wrong, including the limit.
    pub message: String,
}
