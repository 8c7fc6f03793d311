//! MAX78000 CNN accelerator: hardware limits, placement data and checks.

mod placement;

pub use placement::{
    DataBuffer, DataFormat, NetworkPlacement, OutputWidth, Placement, ProcessorMask, UnloadRegion,
};
