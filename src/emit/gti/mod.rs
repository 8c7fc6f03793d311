//! GTI Lightspeeur back end: what qtool writes for GTI's tools. So far the derivation of a
//! `GTICNN` entry's input and output tensors for the full-model JSON (gti.md §4.2).

pub mod gticnn_io;

pub use gticnn_io::{CnnInput, CnnOutput, cnn_inputs, cnn_outputs};
