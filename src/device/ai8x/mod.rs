//! The ai8x CNN accelerators (MAX78000, MAX78002): one module parameterised by the chip's
//! constants ([`Chip`]): hardware limits, placement data, checks, resource use, address map,
//! known-answer data (`sampleoutput.h`), operation statistics, the `inspect` report, the
//! bit-exact integer engine ([`sim`]) and the [`Ai8xTarget`] that offers them to the jobs,
//! once per chip.

mod check;
mod chip;
mod inspect;
mod kat;
mod kernel_map;
mod kernels;
mod limits;
mod memmap;
mod placement;
mod registers;
mod resources;
pub mod sim;
mod stats;
mod target;
#[cfg(test)]
pub(crate) mod testutil;
pub mod training;
mod widths;

pub use check::{check_graph, project_writer_gap, violations, violations_with};
pub use chip::{
    Chip, ChipId, Clocks, CountStop, Features, MAX78000, MAX78000_REGISTERS, MAX78002,
    MAX78002_REGISTERS, MemoryMap, RegSlot, RegisterLayout,
};
pub use inspect::{InspectReport, inspect_ai8x, render_text};
pub use kat::{
    CheckWord, KatError, KatMismatch, KatOptions, OutputLayout, Quad, Run, RunHeader, c_define,
    check_words, compare, parse_sample_output, render_sample_output, runs, sample_output_words,
};
pub use kernel_map::{KernelImage, KernelMap, allocate_kernels, kernel_image};
pub use kernels::{KernelGeometry, KernelLayout, ProcessorBytes, ProcessorColumns};
pub use limits::{Expansion, LimitError, Limits};
pub use memmap::{
    bias_base, control_register, data_address, instance_offset, kernel_base, layer_register,
    stream_register,
};
pub use placement::{
    DataBuffer, DataFormat, NetworkPlacement, OutputWidth, Placement, ProcessorMask, UnloadRegion,
    chip_of,
};
pub use registers::{
    CtlReg, InitStep, LayerBlock, LayerReg, RegWrite, RegisterOptions, RegisterProgram, SelfTest,
    Target, register_program,
};
pub use resources::{
    BiasMap, LayerResources, Totals, allocate_bias, bias_image, data_bytes, graph_resources,
    layer_resources, totals,
};
pub use stats::{LayerOps, MemoryUse, graph_ops, layer_ops, memory_use, total_ops};
pub use target::Ai8xTarget;
pub use widths::{implicit_shift, supports, total_shift, weight_bits};

mod describe;

pub use describe::{describe, izer_shape};
