//! izer's command-line options as plain data: the shared option vocabulary of the ai8x
//! devices (ai8x-synthesis drives MAX78000 and MAX78002 with the same flags).
//!
//! Owns only the values as given; the device that honours an option decides what it means
//! (and refuses combinations it cannot build). Another tool family's options get a struct of
//! their own beside this one. Must not parse command lines (the CLI does) or know a device.

/// izer's options, each as the command line gave it (`false`/`None`/empty when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IzerOptions {
    /// `--avg-pool-rounding`: round 2-D average pooling.
    pub avg_pool_rounding: bool,
    /// `--mlator`: unload through the mlator.
    pub mlator: bool,
    /// `--max-checklines N`: keep the first N+1 checked values.
    pub max_checklines: Option<usize>,
    /// `--no-bias LIST` (layer numbers) …
    pub no_bias: Vec<usize>,
    /// … or `--no-bias` alone: every layer.
    pub no_bias_all: bool,
    /// `--stop-after N`: layer N ends the network.
    pub stop_after: Option<usize>,
    /// `--input-offset N`: byte offset of the first layer's input in data memory.
    pub input_offset: Option<u32>,
    pub softmax: bool,
    pub fifo: bool,
    pub fast_fifo: bool,
    pub no_unload: bool,
    pub no_kat: bool,
    /// `--timer N`.
    pub timer: Option<u32>,
    /// `--boost PORT.PIN`.
    pub boost: Option<(u32, u32)>,
    pub energy: bool,
    pub riscv: bool,
    pub riscv_debug: bool,
    /// `--board-name` (izer's default `EvKit_V1` when `None`).
    pub board_name: Option<String>,
}
