//! `sampledata.h`: the sample input as the MAX78000 data memory (or the input FIFOs) must
//! receive it (spec `weights-h.md` §6, izer `load.load` / `load.loadfifo` with the default
//! `--compact-data`).
//!
//! Owns how the first layer's input is packed into 32-bit words (HWC four channels per word,
//! CHW four pixels per word, multi-pass merging, element-wise operands, `in_offset`, FIFOs,
//! the latter in `sampledata_h/fifo.rs`), where each block goes, and the header text. Must
//! not touch `main.c` text (a later emitter reuses [`input_loads`] for `load_input()`),
//! kernels or biases (`weights.h`), or the known-answer data
//! (`crate::device::ai8x::kat`). The `#define` syntax itself is
//! [`crate::device::ai8x::c_define`].
//!
//! Two izer behaviours are reproduced on purpose:
//! * multi-pass HWC input: a quad's define is written when the quad is reached in the *last*
//!   pass, so the defines come in last-pass order;
//! * the per-word pass gap of CHW input is never applied; multi-pass CHW input is rejected
//!   (izer stops with an error for embedded code).
//!
//! izer's "data overlap" diagnostic for misconfigured layer-0 processor maps is not repeated
//! here; the placement checks in `crate::device::ai8x` own processor-map validity.

use super::EmitError;
use crate::device::ai8x::Placement;
use crate::device::ai8x::{Chip, DataFormat, c_define, chip_of, data_address};
use crate::ir::Graph;
use ndarray::Array3;
use std::fmt::Write as _;

mod fifo;
use fifo::{fifo_chw_loads, fifo_hwc_loads};

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

fn layer0(graph: &Graph, input: &Array3<i64>, chip: &Chip) -> Result<Layer0, EmitError> {
    let limits = &chip.limits;
    let node = graph.nodes.first().ok_or(EmitError::NoLayers)?;
    let p = node
        .annex
        .get::<Placement>()
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
    let chip = chip_of(graph);
    let l = layer0(graph, input, chip)?;
    match (opts.fifo, l.chw) {
        (false, false) => hwc_loads(&l, input, chip),
        (false, true) => chw_loads(&l, input, chip),
        (true, false) => fifo_hwc_loads(&l, input, chip),
        (true, true) => fifo_chw_loads(&l, input, chip),
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
    let _ = write!(
        s,
        "// @generated by qtool: sample input for load_input() ({})\n\
         // One array per data-memory block or input FIFO, 32-bit words.\n\n",
        chip_of(graph).part
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
fn block_address(l: &Layer0, chip: &Chip, p: u32, pass: usize) -> Result<u32, EmitError> {
    let offset = if pass == 0 { l.in_offset } else { 0 };
    data_address(chip, p, offset, (pass * l.operands) as u64).ok_or(EmitError::Address {
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
fn hwc_loads(l: &Layer0, input: &Array3<i64>, chip: &Chip) -> Result<Vec<InputLoad>, EmitError> {
    let limits = &chip.limits;
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
        let address = block_address(l, chip, p as u32, pass)?;
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
fn chw_loads(l: &Layer0, input: &Array3<i64>, chip: &Chip) -> Result<Vec<InputLoad>, EmitError> {
    let limits = &chip.limits;
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
        let address = block_address(l, chip, p as u32, c / l.per_pass)?;
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

#[cfg(test)]
mod tests {
    //! Paths the golden networks do not take: operands, multi-pass gaps, CHW gaps, FIFOs.
    use super::*;
    use crate::device::ai8x::ProcessorMask;
    use crate::device::ai8x::testutil::{conv2d, graph, node, place};
    use crate::ir::{Eltwise, EltwiseOp, Op, Shape};

    /// `data[c][r][x] = f(c, r·W + x)`.
    fn data(c: usize, h: usize, w: usize, f: impl Fn(usize, usize) -> i64) -> Array3<i64> {
        Array3::from_shape_fn((c, h, w), |(c, r, x)| f(c, r * w + x))
    }

    fn summary(loads: &[InputLoad]) -> Vec<(String, u32, usize)> {
        loads
            .iter()
            .map(|l| (l.name.clone(), l.address, l.words.len()))
            .collect()
    }

    #[test]
    fn c_define_layout() {
        let mut s = String::new();
        c_define(&mut s, "X", &(0..10).collect::<Vec<u32>>(), 8, 8);
        assert_eq!(
            s,
            "#define X { \\\n  0x00000000, 0x00000001, 0x00000002, 0x00000003, 0x00000004, \
             0x00000005, 0x00000006, 0x00000007, \\\n  0x00000008, 0x00000009 \\\n}\n"
        );
        let mut s = String::new();
        c_define(&mut s, "B", &[0xab, 1], 2, 16);
        assert_eq!(s, "#define B { \\\n  0xab, 0x01 \\\n}\n");
    }

    #[test]
    fn hwc_two_operands_interleave_per_pixel() {
        let mut n = node(Op::Eltwise(EltwiseOp::Add), Shape::d2(3, 2, 2));
        n.eltwise = Some(Eltwise {
            op: EltwiseOp::Add,
            operands: 2,
            pool_first: true,
        });
        place(&mut n).in_offset = 0x100;
        let g = graph(vec![n]);
        let input = data(6, 2, 2, |c, p| (16 * c + p) as i64);
        let loads = input_loads(&g, &input, &InputOptions::default()).unwrap();
        assert_eq!(summary(&loads), [("SAMPLE_INPUT_0".into(), 0x5040_0100, 8)]);
        // Word per (pixel, operand): channels 0–2 of operand op are data channels 3·op + 0…2.
        assert_eq!(loads[0].words[0], 0x0020_1000);
        assert_eq!(loads[0].words[1], 0x0050_4030);
        assert_eq!(loads[0].words[6], 0x0023_1303);
        assert_eq!(loads[0].words[7], 0x0053_4333);
        assert_eq!(loads[0].channels, [(0, 2)]);
    }

    #[test]
    fn hwc_multi_pass_merges_passes_per_pixel() {
        // 72 channels: 2 passes of 36 on processors 0–35 (quads 0, 4, …, 32).
        let g = graph(vec![conv2d(72, 8, 1, 1)]);
        let input = data(72, 1, 1, |c, _| c as i64 - 64);
        let loads = input_loads(&g, &input, &InputOptions::default()).unwrap();
        assert_eq!(loads.len(), 9);
        for (q, l) in loads.iter().enumerate() {
            let p = 4 * q as u32;
            assert_eq!(l.name, format!("SAMPLE_INPUT_{p}"));
            assert_eq!(
                Some(l.address),
                data_address(&crate::device::ai8x::MAX78000, p, 0, 0)
            );
            assert_eq!(
                l.channels,
                [(4 * q, 4 * q + 3), (36 + 4 * q, 36 + 4 * q + 3)]
            );
            for (e, w) in l.words.iter().enumerate() {
                let expect = (0..4)
                    .map(|b| byte((36 * e + 4 * q + b) as i64 - 64) << (8 * b))
                    .fold(0, |a, v| a | v);
                assert_eq!(*w, expect, "quad {q} pass {e}");
            }
        }
    }

    #[test]
    fn hwc_gaps_in_the_quad_take_channels_in_rank_order() {
        let mut n = conv2d(3, 4, 1, 1);
        place(&mut n).processors = ProcessorMask(0b1011 << 16);
        let g = graph(vec![n]);
        let input = data(3, 1, 1, |c, _| c as i64 + 1);
        let loads = input_loads(&g, &input, &InputOptions::default()).unwrap();
        assert_eq!(
            summary(&loads),
            [("SAMPLE_INPUT_16".into(), 0x5080_0000, 1)]
        );
        assert_eq!(loads[0].words, [0x0300_0201]);
    }

    #[test]
    fn chw_four_pixels_per_word_zero_filled() {
        let mut n = conv2d(3, 4, 3, 3);
        let p = place(&mut n);
        p.data_format = DataFormat::Chw;
        p.processors = ProcessorMask(0x111);
        p.in_offset = 0x40;
        let g = graph(vec![n]);
        let input = data(3, 3, 3, |c, p| (0x10 * c + p) as i64);
        let loads = input_loads(&g, &input, &InputOptions::default()).unwrap();
        assert_eq!(
            summary(&loads),
            [
                ("SAMPLE_INPUT_0".into(), 0x5040_0040, 3),
                ("SAMPLE_INPUT_4".into(), 0x5040_8040, 3),
                ("SAMPLE_INPUT_8".into(), 0x5041_0040, 3),
            ]
        );
        assert_eq!(loads[1].words, [0x1312_1110, 0x1716_1514, 0x0000_0018]);
    }

    #[test]
    fn chw_multi_pass_is_rejected() {
        let mut n = conv2d(65, 4, 2, 1);
        place(&mut n).data_format = DataFormat::Chw;
        let g = graph(vec![n]);
        let input = data(65, 2, 2, |_, _| 0);
        assert_eq!(
            input_loads(&g, &input, &InputOptions::default()),
            Err(EmitError::MultiPassChw { channels: 65 })
        );
    }

    #[test]
    fn input_shape_must_match_layer_0() {
        let g = graph(vec![conv2d(3, 4, 4, 3)]);
        let input = data(3, 4, 5, |_, _| 0);
        assert!(matches!(
            input_loads(&g, &input, &InputOptions::default()),
            Err(EmitError::InputShape { .. })
        ));
    }

    #[test]
    fn fifo_hwc_one_fifo_per_quadrant_used() {
        let mut n = conv2d(6, 4, 1, 3);
        place(&mut n).processors = ProcessorMask(0x3_000f);
        let g = graph(vec![n]);
        let input = data(6, 1, 1, |c, _| c as i64 + 1);
        let opts = InputOptions { fifo: true };
        let loads = input_loads(&g, &input, &opts).unwrap();
        assert_eq!(
            summary(&loads),
            [
                ("SAMPLE_INPUT_0".into(), 0x5000_0008, 1),
                ("SAMPLE_INPUT_1".into(), 0x5000_000c, 1),
            ]
        );
        assert_eq!(loads[0].words, [0x0403_0201]);
        assert_eq!(loads[1].words, [0x0000_0605]);
        assert_eq!(loads[1].target, LoadTarget::Fifo(1));

        // Quadrants 0 and 2: the second group would go to FIFO 2 of 2 (izer fails too).
        let mut n = conv2d(8, 4, 1, 3);
        place(&mut n).processors = ProcessorMask(0xf_0000_000f);
        let g = graph(vec![n]);
        let input = data(8, 1, 1, |_, _| 0);
        assert!(matches!(
            input_loads(&g, &input, &opts),
            Err(EmitError::ProcessorMap { .. })
        ));
    }

    #[test]
    fn fifo_chw_one_channel_per_fifo() {
        let mut n = conv2d(2, 4, 3, 3);
        let p = place(&mut n);
        p.data_format = DataFormat::Chw;
        p.processors = ProcessorMask(0x1_0001);
        let g = graph(vec![n]);
        let input = data(2, 3, 3, |c, p| (0x10 * c + p) as i64);
        let text = sampledata_h(&g, &input, &InputOptions { fifo: true }).unwrap();
        assert!(
            text.contains(
                "#define SAMPLE_INPUT_1 { \\\n  0x13121110, 0x17161514, 0x00000018 \\\n}\n"
            )
        );
        assert!(text.starts_with("// @generated by qtool"));
    }
}
