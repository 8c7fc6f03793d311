//! MAX78000 CNN accelerator: hardware limits, placement data, checks and resource use.

mod limits;
mod placement;

pub use limits::{Expansion, Limits, MAX78000};
pub use placement::{
    DataBuffer, DataFormat, NetworkPlacement, OutputWidth, Placement, ProcessorMask, UnloadRegion,
};
