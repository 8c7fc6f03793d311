//! izer command-line options that change the text of a generated MAX78000 C project.
//!
//! Owns the option values only (with izer's defaults). Options that change the network itself
//! (`--stop-after`, `--no-bias`, `--input-offset`) are applied to the graph before emission and
//! are not here; options that only change the known-answer data live in
//! `crate::device::ai8x::KatOptions`.

/// What the emitters of `cnn.c`, `cnn.h`, `main.c` and the build files need to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectOptions {
    /// izer `--prefix`: the test name written into the sources and `printf`s.
    pub prefix: String,
    /// The qtool command line that generated the project, echoed in the header comments.
    pub command_line: String,
    /// `--softmax`: `main.c` unloads the output and runs a software softmax.
    pub softmax: bool,
    /// `--fifo`: the input is streamed through the four input FIFOs.
    pub fifo: bool,
    /// `--fast-fifo`: the fast FIFO interface (RISC-V only on MAX78000).
    pub fast_fifo: bool,
    /// `--mlator`: unload 8-bit output through the byte-lane unscrambler.
    pub mlator: bool,
    /// `cnn_unload()` is generated and called (`--no-unload` clears it).
    pub unload: bool,
    /// Known-answer test in `main.c` (`--no-kat` clears it).
    pub kat: bool,
    /// `--timer N`: time the inference with timer N.
    pub timer: Option<u32>,
    /// `--boost PORT.PIN`: drive the boost circuit enable pin.
    pub boost: Option<(u32, u32)>,
    /// `--energy`: measurement-friendly `main()` (no LED on start).
    pub energy: bool,
    /// `--riscv`: the network is driven by the RISC-V core.
    pub riscv: bool,
    /// `--riscv-debug`: keep the RISC-V debugger pins enabled.
    pub riscv_debug: bool,
    /// `--compact-data` (default): sample input as arrays copied with `memcpy32`.
    pub compact_data: bool,
    /// `--mexpress` (default): the fast kernel loader.
    pub mexpress: bool,
    /// `--avg-pool-rounding`: round average pooling results.
    pub avg_pool_rounding: bool,
    /// `--board-name`: the MSDK board the project builds for.
    pub board_name: String,
}

impl Default for ProjectOptions {
    fn default() -> Self {
        ProjectOptions {
            prefix: "cnn".into(),
            command_line: String::new(),
            softmax: false,
            fifo: false,
            fast_fifo: false,
            mlator: false,
            unload: true,
            kat: true,
            timer: None,
            boost: None,
            energy: false,
            riscv: false,
            riscv_debug: false,
            compact_data: true,
            mexpress: true,
            avg_pool_rounding: false,
            board_name: "EvKit_V1".into(),
        }
    }
}
