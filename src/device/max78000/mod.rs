//! MAX78000 CNN accelerator: hardware limits, placement data, checks and resource use.

mod check;
mod kernel_map;
mod kernels;
mod limits;
mod placement;
mod resources;
#[cfg(test)]
mod testutil;

pub use check::{LimitError, check_graph, violations, violations_with};
pub use kernel_map::{KernelMap, allocate_kernels};
pub use kernels::{KernelGeometry, KernelLayout, ProcessorColumns};
pub use limits::{Expansion, Limits, MAX78000};
pub use placement::{
    DataBuffer, DataFormat, NetworkPlacement, OutputWidth, Placement, ProcessorMask, UnloadRegion,
};
pub use resources::{
    BiasMap, LayerResources, Totals, allocate_bias, data_bytes, graph_resources, layer_resources,
    totals,
};

mod describe;

pub use describe::{describe, izer_shape};
