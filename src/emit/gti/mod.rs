//! GTI Lightspeeur back end: what qtool writes for GTI's tools — the tensors of a `GTICNN`
//! entry in the full-model JSON (gti.md §4.2), the `filter.txt`/`bias.txt` coefficient texts
//! (§4.3, [`coef_text`]) and the host FC layers' `.bin` files (§4.4) — and qtool's own
//! checksummed container for chip `.dat` and model `.model` files ([`container`]), which GTI's
//! SDK cannot load (GTI's layouts are not public).

pub mod coef_text;
pub mod container;
pub mod fc_bin;
pub mod gticnn_io;
pub mod project;

pub use fc_bin::{FcBinError, FcLayer, fc_bin, read_fc_bin};
pub use gticnn_io::{cnn_inputs, cnn_outputs};
pub use project::{ProjectParts, SubLayerCoefs, project_files};
