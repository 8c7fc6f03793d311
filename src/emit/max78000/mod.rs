//! MAX78000 embedded-code files in the text izer (ai8x-synthesis) writes, default options.
//!
//! Owns the C text of each file. Must not allocate memory or derive layouts:
//! `crate::device::max78000` does that.

mod build_files;
pub mod cnn_c;
mod cnn_h;
mod error;
mod main_c;
mod options;
pub mod sampledata_h;
mod summary;
pub mod weights_h;

pub use build_files::{SOFTMAX_C, makefile, project_mk, riscv_makefiles};
pub use cnn_c::cnn_c;
pub use cnn_h::cnn_h;
pub use error::EmitError;
pub use main_c::{main_c, main_riscv_c};
pub use options::ProjectOptions;
pub use summary::summary_comment;
pub use weights_h::{bias_memory, kernel_memory, weights_h};
