//! Back ends that write deployable files: `max78000/` the SDK's C headers and sources from a
//! placed graph, `gti/` the host FC `.bin` files and the `GTICNN` tensors of GTI's full model.
//!
//! Owns file formats only: every number written comes from `device` (allocation, memory
//! images, addresses) or from the description it formats. Must not decide placement or
//! compute network arithmetic.

pub mod ai8x;
pub mod gti;
