//! `sampledata.h`: the sample input as the MAX78000 data memory (or the input FIFOs) must
//! receive it (spec `weights-h.md` §6, izer `load.load` / `load.loadfifo` with the default
//! `--compact-data`).
//!
//! Owns how the first layer's input is packed into 32-bit words (HWC four channels per word,
//! CHW four pixels per word, multi-pass merging, element-wise operands, `in_offset`, FIFOs),
//! where each block goes, and the header text. Must not touch `main.c` text (a later emitter
//! reuses [`input_loads`] for `load_input()`), kernels or biases (`weights.h`), or the
//! known-answer data (`crate::device::max78000::kat`). The `#define` syntax itself is
//! [`crate::device::max78000::c_define`].
//!
//! Two izer behaviours are reproduced on purpose:
//! * multi-pass HWC input: a quad's define is written when the quad is reached in the *last*
//!   pass, so the defines come in last-pass order;
//! * the per-word pass gap of CHW input is never applied; multi-pass CHW input is rejected
//!   (izer stops with an error for embedded code).
//!
//! izer's "data overlap" diagnostic for misconfigured layer-0 processor maps is not repeated
//! here; the placement checks in `crate::device::max78000` own processor-map validity.

use crate::device::max78000::{DataFormat, Limits, MAX78000, c_define, data_address};
use crate::ir::Graph;
use ndarray::Array3;
use thiserror::Error;

/// izer switches that change how the input is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InputOptions {
    /// izer `--fifo`: the input is streamed through the input FIFOs instead of being copied
    /// into data memory.
    pub fifo: bool,
}

/// Base of the input-FIFO data registers (FIFO `f` at `+ 4·f`).
pub const FIFO_DATA_BASE: u32 = 0x5000_0008;
/// FIFO status register (bit `f` set while FIFO `f` is full).
pub const FIFO_STATUS: u32 = 0x5000_0004;

/// Words per line in the defines.
const COLUMNS: usize = 8;

/// Where one block of input words goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadTarget {
    /// Copied (`memcpy32`) to consecutive data-memory words starting at the load's address.
    Memory,
    /// Written word by word to the data register of input FIFO `n` (the load's address).
    Fifo(u32),
}

/// One block of input words: one `SAMPLE_INPUT_<n>` define and one load in `load_input()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLoad {
    /// Define name, `SAMPLE_INPUT_<n>` (`n` = first processor of the block, or FIFO number).
    pub name: String,
    /// The `<n>` of the name (the C array is `input_<n>`).
    pub index: u32,
    /// Data-memory byte address of the first word, or the FIFO's data register.
    pub address: u32,
    pub target: LoadTarget,
    /// Input channels held, per pass for multi-pass HWC input (first, last), in the order
    /// izer comments them in `main.c`.
    pub channels: Vec<(usize, usize)>,
    pub words: Vec<u32>,
}

/// Why the input cannot be laid out.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EmitError {
    #[error("the graph has no layers")]
    NoLayers,
    #[error("layer {layer}: not placed on the MAX78000")]
    NotPlaced { layer: usize },
    #[error(
        "sample input has shape {actual:?}; layer 0 reads {channels} channel(s) x {operands} operand(s) of {rows}x{cols}"
    )]
    InputShape {
        actual: Vec<usize>,
        channels: usize,
        operands: usize,
        rows: usize,
        cols: usize,
    },
    #[error("multi-pass CHW input ({channels} channels) cannot be loaded by embedded code")]
    MultiPassChw { channels: usize },
    #[error("{what} input supports one operand only; layer 0 has {operands}")]
    Operands { what: &'static str, operands: usize },
    #[error("layer 0 processors {map:#018x} cannot take the {channels}-channel input: {why}")]
    ProcessorMap {
        map: u64,
        channels: usize,
        why: &'static str,
    },
    #[error("layer 0 input offset 0x{offset:x} puts the input past the 32-bit address space")]
    Address { offset: u32 },
}

/// The first layer's view of the input: geometry and placement.
struct Layer0 {
    chw: bool,
    processors: u64,
    in_offset: u32,
    channels: usize,
    rows: usize,
    cols: usize,
    operands: usize,
    passes: usize,
    per_pass: usize,
}

fn layer0(graph: &Graph, input: &Array3<i64>, limits: &Limits) -> Result<Layer0, EmitError> {
    let node = graph.nodes.first().ok_or(EmitError::NoLayers)?;
    let p = node
        .annex
        .max78000()
        .ok_or(EmitError::NotPlaced { layer: 0 })?;
    let channels = node.in_shape.channels;
    let (rows, cols) = node.in_shape.dims.hw();
    let operands = node.operands();
    let e = limits.expansion(channels);
    let s = input.shape();
    // izer reads data[c + op·C][row][col] and requires floor(data channels / C) = operands.
    if channels == 0 || s[0] / channels != operands || s[1] != rows || s[2] != cols {
        return Err(EmitError::InputShape {
            actual: s.to_vec(),
            channels,
            operands,
            rows,
            cols,
        });
    }
    Ok(Layer0 {
        chw: p.data_format == DataFormat::Chw,
        processors: p.processors.0,
        in_offset: p.in_offset,
        channels,
        rows,
        cols,
        operands,
        passes: e.passes,
        per_pass: e.per_pass,
    })
}

/// The unsigned byte izer stores for an input value.
fn byte(v: i64) -> u32 {
    (v & 0xff) as u32
}

/// The blocks of input words in the order izer writes them (spec `weights-h.md` §6).
pub fn input_loads(
    graph: &Graph,
    input: &Array3<i64>,
    opts: &InputOptions,
) -> Result<Vec<InputLoad>, EmitError> {
    let limits = &MAX78000;
    let l = layer0(graph, input, limits)?;
    match (opts.fifo, l.chw) {
        (false, false) => hwc_loads(&l, input, limits),
        (false, true) => chw_loads(&l, input, limits),
        (true, false) => fifo_hwc_loads(&l, input, limits),
        (true, true) => fifo_chw_loads(&l, input, limits),
    }
}

/// The whole `sampledata.h`: qtool's header comment, then one define per load.
pub fn sampledata_h(
    graph: &Graph,
    input: &Array3<i64>,
    opts: &InputOptions,
) -> Result<String, EmitError> {
    let loads = input_loads(graph, input, opts)?;
    let mut s =
        String::with_capacity(128 + loads.iter().map(|l| 12 * l.words.len() + 64).sum::<usize>());
    s.push_str(
        "// @generated by qtool: sample input for load_input() (MAX78000)\n\
         // One array per data-memory block or input FIFO, 32-bit words.\n\n",
    );
    for l in &loads {
        c_define(&mut s, &l.name, &l.words, 8, COLUMNS);
    }
    Ok(s)
}

fn load(index: u32, address: u32, target: LoadTarget, words: Vec<u32>) -> InputLoad {
    InputLoad {
        name: format!("SAMPLE_INPUT_{index}"),
        index,
        address,
        target,
        channels: Vec::new(),
        words,
    }
}

/// Data-memory address of the block for processor `p` in pass `pass`.
fn block_address(l: &Layer0, limits: &Limits, p: u32, pass: usize) -> Result<u32, EmitError> {
    let offset = if pass == 0 { l.in_offset } else { 0 };
    data_address(limits, p, offset, (pass * l.operands) as u64).ok_or(EmitError::Address {
        offset: l.in_offset,
    })
}

/// The words one quad of processors receives in one pass (before merging the passes).
#[derive(Clone)]
struct PassBlock {
    words: Vec<u32>,
    address: u32,
    channels: (usize, usize),
}

/// HWC: four channels per word, one block per quad of processors, passes merged.
fn hwc_loads(
    l: &Layer0,
    input: &Array3<i64>,
    limits: &Limits,
) -> Result<Vec<InputLoad>, EmitError> {
    let procs = limits.processors as usize;
    let quad = limits.processors_per_data_instance as usize;
    let pixels = l.rows * l.cols;
    let per_operand = input.shape()[0] / l.operands;
    let block_len = l.operands * pixels;
    let limit = l.per_pass * l.passes;
    // Per processor: the blocks of the passes seen so far.
    let mut pending: Vec<Vec<PassBlock>> = vec![Vec::new(); procs];
    let mut out = Vec::new();
    let mut c = 0usize;
    for ch in (0..limits.max_channels).step_by(quad) {
        let p = ch % procs;
        let bits = (l.processors >> p) & 0xf;
        if bits == 0 {
            continue;
        }
        let num = bits.count_ones() as usize;
        let pass = c / l.per_pass;
        let address = block_address(l, limits, p as u32, pass)?;
        let mut words = Vec::with_capacity(block_len);
        for pix in 0..pixels {
            let (row, col) = (pix / l.cols, pix % l.cols);
            for op in 0..l.operands {
                let mut val = 0u32;
                let mut this_c = c;
                for i in 0..4 {
                    if bits >> i & 1 == 1 {
                        if this_c < per_operand {
                            val |= byte(input[[this_c + op * l.channels, row, col]]) << (8 * i);
                        }
                        this_c += 1;
                    }
                }
                words.push(val);
            }
        }
        pending[p].push(PassBlock {
            words,
            address,
            channels: (c, c + num - 1),
        });
        if pass == l.passes - 1 {
            let blocks = &pending[p];
            let mut merged = vec![0u32; l.passes * block_len];
            for (i, block) in blocks.iter().enumerate() {
                for (j, &v) in block.words.iter().enumerate() {
                    let target =
                        i * l.operands + (j / l.operands) * l.passes * l.operands + j % l.operands;
                    *merged.get_mut(target).ok_or(EmitError::ProcessorMap {
                        map: l.processors,
                        channels: l.channels,
                        why: "a quad of processors is reached more often than there are passes",
                    })? = v;
                }
            }
            let mut ld = load(p as u32, blocks[0].address, LoadTarget::Memory, merged);
            ld.channels = blocks.iter().map(|b| b.channels).collect();
            out.push(ld);
        }
        c += num;
        if c >= limit {
            break;
        }
    }
    Ok(out)
}

/// CHW: one channel per processor, four pixels per word.
fn chw_loads(
    l: &Layer0,
    input: &Array3<i64>,
    limits: &Limits,
) -> Result<Vec<InputLoad>, EmitError> {
    if l.passes > 1 {
        return Err(EmitError::MultiPassChw {
            channels: l.channels,
        });
    }
    if l.operands != 1 {
        return Err(EmitError::Operands {
            what: "CHW",
            operands: l.operands,
        });
    }
    let procs = limits.processors as usize;
    let limit = l.per_pass * l.passes;
    let mut out = Vec::new();
    let mut c = 0usize;
    for ch in 0..limits.max_channels {
        let p = ch % procs;
        if (l.processors >> p) & 1 == 0 {
            continue;
        }
        if c >= input.shape()[0] {
            return Err(EmitError::ProcessorMap {
                map: l.processors,
                channels: l.channels,
                why: "more processors than input channels",
            });
        }
        let address = block_address(l, limits, p as u32, c / l.per_pass)?;
        let mut ld = load(
            ch as u32,
            address,
            LoadTarget::Memory,
            pixel_words(input, c, l.cols, l.rows * l.cols),
        );
        ld.channels = vec![(c, c)];
        out.push(ld);
        c += 1;
        if c >= limit {
            break;
        }
    }
    Ok(out)
}

/// Channel `c` with pixels `4i … 4i+3` (row-major) packed into word `i`, zero-filled.
fn pixel_words(input: &Array3<i64>, c: usize, cols: usize, pixels: usize) -> Vec<u32> {
    (0..pixels.div_ceil(4))
        .map(|i| {
            (0..4)
                .filter(|b| 4 * i + b < pixels)
                .map(|b| {
                    let pix = 4 * i + b;
                    byte(input[[c, pix / cols, pix % cols]]) << (8 * b)
                })
                .fold(0, |a, v| a | v)
        })
        .collect()
}

fn fifo_load(f: usize, words: Vec<u32>, channels: (usize, usize)) -> InputLoad {
    let mut ld = load(
        f as u32,
        FIFO_DATA_BASE + 4 * f as u32,
        LoadTarget::Fifo(f as u32),
        words,
    );
    ld.channels = vec![channels];
    ld
}

/// Why a processor map cannot feed the FIFOs (izer would loop or index past its buffers).
fn fifo_map_error(l: &Layer0) -> EmitError {
    EmitError::ProcessorMap {
        map: l.processors,
        channels: l.channels,
        why: "the FIFOs it implies do not match the channel count",
    }
}

/// FIFO input, HWC: FIFO `f` takes up to four channels per pixel for processors `16f…16f+3`.
fn fifo_hwc_loads(
    l: &Layer0,
    input: &Array3<i64>,
    limits: &Limits,
) -> Result<Vec<InputLoad>, EmitError> {
    if l.operands != 1 {
        return Err(EmitError::Operands {
            what: "FIFO",
            operands: l.operands,
        });
    }
    let quad_width = limits.processors_per_quadrant;
    let fifos = l.channels.div_ceil(4);
    // The processor bits each group of four channels is taken with, and its FIFO.
    let mut plan = Vec::with_capacity(fifos);
    let mut pmap = 0u64;
    let mut fifo = 0usize;
    for c in (0..l.channels).step_by(4) {
        if pmap == 0 {
            pmap = l.processors;
            fifo = 0;
        }
        while pmap & 0xf == 0 {
            if pmap == 0 {
                return Err(fifo_map_error(l));
            }
            pmap >>= quad_width;
            fifo += 1;
        }
        if fifo >= fifos {
            return Err(fifo_map_error(l));
        }
        plan.push((c, pmap & 0xf, fifo));
        pmap >>= quad_width;
        fifo += 1;
    }
    let pixels = l.rows * l.cols;
    let mut buffers = vec![vec![0u32; pixels]; fifos];
    for (c, bits, fifo) in &plan {
        for (pix, word) in buffers[*fifo].iter_mut().enumerate() {
            let (row, col) = (pix / l.cols, pix % l.cols);
            *word = (0..4)
                .filter(|b| bits >> b & 1 == 1 && c + b < l.channels)
                .map(|b| byte(input[[c + b, row, col]]) << (8 * b))
                .fold(0, |a, v| a | v);
        }
    }
    let mut channels = vec![(0, 0); fifos];
    for (c, _, fifo) in &plan {
        channels[*fifo] = (*c, (c + 3).min(l.channels - 1));
    }
    Ok(buffers
        .into_iter()
        .enumerate()
        .map(|(f, w)| fifo_load(f, w, channels[f]))
        .collect())
}

/// FIFO input, CHW: one channel per FIFO (processor `16f`), four pixels per word.
fn fifo_chw_loads(
    l: &Layer0,
    input: &Array3<i64>,
    limits: &Limits,
) -> Result<Vec<InputLoad>, EmitError> {
    if l.operands != 1 {
        return Err(EmitError::Operands {
            what: "FIFO",
            operands: l.operands,
        });
    }
    let quad_width = limits.processors_per_quadrant;
    let fifos = l.channels;
    let mut target = Vec::with_capacity(fifos);
    let mut pmap = 0u64;
    let mut fifo = 0usize;
    for _ in 0..l.channels {
        if pmap == 0 {
            pmap = l.processors;
            fifo = 0;
        }
        while pmap & 1 == 0 {
            if pmap == 0 {
                return Err(fifo_map_error(l));
            }
            pmap >>= quad_width;
            fifo += 1;
        }
        if fifo >= fifos {
            return Err(fifo_map_error(l));
        }
        target.push(fifo);
        pmap >>= quad_width;
        fifo += 1;
    }
    let pixels = l.rows * l.cols;
    let mut buffers = vec![vec![0u32; pixels.div_ceil(4)]; fifos];
    let mut channels = vec![(0, 0); fifos];
    for (c, &f) in target.iter().enumerate() {
        buffers[f] = pixel_words(input, c, l.cols, pixels);
        channels[f] = (c, c);
    }
    Ok(buffers
        .into_iter()
        .enumerate()
        .map(|(f, w)| fifo_load(f, w, channels[f]))
        .collect())
}
