//! qtool: train, quantize, fuse, convert and simulate small CNNs for ultra-low-power CNN
//! accelerators, bit-exactly. Every stage reads and writes the graph IR in [`ir`].

pub mod checkpoint;
pub mod cli;
pub mod data;
pub mod device;
pub mod emit;
pub mod eval;
pub mod fuse;
pub mod io;
pub mod ir;
pub mod jobs;
pub mod netdesc;
pub mod quant;
pub mod sim;
pub mod train;
