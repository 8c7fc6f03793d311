//! MAX78000 embedded-code files in the text izer (ai8x-synthesis) writes, default options.
//!
//! Owns the C text of each file. Must not allocate memory or derive layouts:
//! `crate::device::max78000` does that.

mod error;
mod options;
pub mod sampledata_h;
mod unload;
pub mod weights_h;

pub use error::EmitError;
pub use options::ProjectOptions;
pub use unload::cnn_unload;
pub use weights_h::{bias_memory, kernel_memory, weights_h};
