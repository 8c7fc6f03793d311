//! MAX78000 CNN accelerator: hardware limits, placement data, checks and resource use.

mod kernels;
mod limits;
mod placement;
#[cfg(test)]
mod testutil;

pub use kernels::{KernelGeometry, KernelLayout, ProcessorColumns};
pub use limits::{Expansion, Limits, MAX78000};
pub use placement::{
    DataBuffer, DataFormat, NetworkPlacement, OutputWidth, Placement, ProcessorMask, UnloadRegion,
};
