//! GTI Lightspeeur back end: what qtool writes for GTI's tools — the tensors of a `GTICNN`
//! entry in the full-model JSON (gti.md §4.2) and the host FC layers' `.bin` files (§4.4).

pub mod fc_bin;
pub mod gticnn_io;

pub use fc_bin::{FcBinError, FcLayer, fc_bin, read_fc_bin};
pub use gticnn_io::{cnn_inputs, cnn_outputs};
