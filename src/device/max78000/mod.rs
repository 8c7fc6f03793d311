//! MAX78000 CNN accelerator: hardware limits, placement data, checks, resource use, address
//! map, known-answer data (`sampleoutput.h`), operation statistics, the `inspect` report, the
//! bit-exact integer engine ([`sim`]) and the [`Max78000Target`] that offers them to the jobs.

mod check;
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

pub use check::{check_graph, violations, violations_with};
pub use inspect::{InspectReport, inspect_max78000, render_text};
pub use kat::{
    CheckWord, KatError, KatMismatch, KatOptions, OutputLayout, Quad, Run, RunHeader, c_define,
    check_words, compare, parse_sample_output, render_sample_output, runs, sample_output_words,
};
pub use kernel_map::{KernelImage, KernelMap, allocate_kernels, kernel_image};
pub use kernels::{KernelGeometry, KernelLayout, ProcessorBytes, ProcessorColumns};
pub use limits::{Expansion, LimitError, Limits, MAX78000};
pub use memmap::{
    BIAS_MEMORY_BASE, DATA_MEMORY_BASE, FAST_FIFO_BASE, FAST_FIFO_DATA, FAST_FIFO_STATUS,
    KERNEL_MEMORY_BASE, KERNEL_PROCESSOR_STRIDE, QUADRANT_STRIDE, bias_base, control_register,
    data_address, kernel_base, layer_register,
};
pub use placement::{
    DataBuffer, DataFormat, NetworkPlacement, OutputWidth, Placement, ProcessorMask, UnloadRegion,
};
pub use registers::{
    CtlReg, LayerBlock, LayerReg, RegWrite, RegisterOptions, RegisterProgram, Target,
    register_program,
};
pub use resources::{
    BiasMap, LayerResources, Totals, allocate_bias, bias_image, data_bytes, graph_resources,
    layer_resources, totals,
};
pub use stats::{LayerOps, MemoryUse, graph_ops, layer_ops, memory_use, total_ops};
pub use target::Max78000Target;
pub use widths::{implicit_shift, supports, total_shift, weight_bits};

mod describe;

pub use describe::{describe, izer_shape};
