//! qtool: train, quantize, fuse, convert and simulate small CNNs for ultra-low-power CNN
//! accelerators, bit-exactly. Every stage reads and writes the graph IR in [`ir`].

pub mod atomic;
pub mod checkpoint;
pub mod cli;
pub mod convert;
pub mod data;
pub mod device;
pub mod emit;
pub mod eval;
pub mod fuse;
pub mod inspect;
pub mod ir;
pub mod load;
pub mod netdesc;
pub mod quant;
pub mod quantize;
pub mod sim;
pub mod train;
