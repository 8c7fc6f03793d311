//! The files of an ai8x (MAX78000, MAX78002) SDK project as izer (ai8x-synthesis
//! `ai8xize.py`) writes them: `cnn.c`, `cnn.h`, `main.c`, `weights.h`, `sampledata.h`,
//! `sampleoutput.h`, `softmax.c`, `Makefile`, `project.mk`, shaped by [`ProjectOptions`] and
//! the graph's chip.
//!
//! Owns the C text of each file and which files a project has ([`ai8x_project`]). Must not
//! allocate memory, derive layouts or compute register values: `crate::device::ai8x` does
//! that.

mod build_files;
pub mod cnn_c;
mod cnn_h;
mod error;
mod main_c;
mod options;
mod project;
pub mod sampledata_h;
mod summary;
mod unload;
pub mod weights_h;

pub use build_files::{SOFTMAX_C, makefile, project_mk, riscv_makefiles};
pub use cnn_c::cnn_c;
pub use cnn_h::cnn_h;
pub use error::EmitError;
pub use main_c::{main_c, main_riscv_c};
pub use options::ProjectOptions;
pub use project::{ConvertError, ConvertOptions, ai8x_project};
pub use summary::summary_comment;
pub use unload::cnn_unload;
pub use weights_h::{bias_memory, kernel_memory, weights_h};
