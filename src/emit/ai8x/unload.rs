//! The `cnn_unload()` function of `cnn.c` (spec `cnn-c.md` §9): C that copies the output
//! layers from data memory into the caller's buffer, in izer's text.
//!
//! Owns which outputs are unloaded, the order of the reads and their C text. Must not work out
//! where a value lies in data memory (that is `crate::device::ai8x::OutputLayout`, shared
//! with the known-answer words; only izer's `write_gap` quirk below is applied here) nor write
//! any other part of `cnn.c`.
//!
//! izer quirks kept on purpose (checked against `izer/unload.py`):
//! * 32-bit reads: a run's length is counted by comparing neighbours from the start of the
//!   whole list, not from the run's start; the tracked address advances by whole unroll chunks.
//! * 8-bit reads: consecutive groups are compared only by address, not by their byte lanes.
//! * With a `write_gap`, izer multiplies the instance's base as well as the word index by
//!   `write_gap + 1`, so such reads differ from the known-answer addresses.
//! * `--riscv` alone adds no flash attribute: izer's `--riscv-cache` defaults on with it.

use super::{EmitError, ProjectOptions};
use crate::device::ai8x::{
    Chip, KatError, LayerReg, OutputLayout, OutputWidth, Quad, chip_of, control_register,
    instance_offset,
};
use crate::device::ai8x::{NetworkPlacement, Placement};
use crate::ir::Graph;
use std::fmt::Write;

/// Statements per `for` body of 32-bit reads (izer `--unroll-wide`).
const WIDE_CHUNK: i64 = 8;
/// Statements per `for` body of 8-bit reads (izer `--unroll-8bit`).
const NARROW_CHUNK: i64 = 1;
/// Statements per `for` body of mlator reads (izer `--unroll-mlator`).
const MLATOR_CHUNK: usize = 8;
/// Per-layer registers the mlator set-up writes (layer 0's copy): the write pointer base and
/// the second layer control register; the mlator data register is the chip's
/// (`MemoryMap::mlator_register`).
const WRITE_POINTER_BASE: LayerReg = LayerReg::WptrBase;
const LAYER_CONTROL_2: LayerReg = LayerReg::Lctl2;
/// `CTL` values around mlator reads: bit 3 alone turns it off; bit 16 loads the write pointer
/// and bits 17–18 pick the byte lane (izer's `READY_SEL` is 0 on the MAX78000).
const MLATOR_OFF: u32 = 1 << 3;
const MLATOR_ON: u32 = 1 << 16 | 1 << 3;

/// One output to unload: izer's name for it, a layer index for errors, where it lies.
struct Unloaded {
    what: String,
    layer: usize,
    layout: OutputLayout,
}

/// The complete `int cnn_unload(...)` function, from its header to the blank line after `}`.
pub fn cnn_unload(graph: &Graph, opts: &ProjectOptions) -> Result<String, EmitError> {
    let chip = chip_of(graph);
    let outputs = unloaded(graph)?;
    let bytes = outputs.iter().any(|o| o.layout.width == OutputWidth::Bits8);
    let mut w = Writer {
        bytes,
        ..Writer::default()
    };
    let mut any_mlator = false;
    for o in &outputs {
        if opts.mlator && uses_mlator(&o.layout) {
            any_mlator = true;
            w.mlator_output(chip, o)?;
        } else {
            w.output(chip, o)?;
        }
    }
    let mut text = format!(
        "int cnn_unload(uint32_t *out_buf{})\n{{\n",
        if bytes { "32" } else { "" }
    );
    if bytes && w.any_read {
        text.push_str("  uint8_t *out_buf = (uint8_t *) out_buf32;\n  uint32_t val;\n");
    }
    if !bytes || w.any_read {
        text.push_str("  volatile uint32_t *addr;\n");
    }
    if any_mlator {
        text.push_str("  volatile uint32_t *mlat, *ctrl;\n");
    }
    if w.need_i || any_mlator && MLATOR_CHUNK > 1 {
        text.push_str("  int i;\n");
    }
    if w.need_offs {
        text.push_str("  uint32_t offs;\n");
    }
    text.push_str(&w.body);
    text.push_str("\n  return CNN_OK;\n}\n\n");
    Ok(text)
}

/// izer's outputs to unload: the network's `unload` list if it has entries, else the layers
/// marked `output`, else the final layer. (The known-answer words always add the final layer.)
fn unloaded(graph: &Graph) -> Result<Vec<Unloaded>, EmitError> {
    if let Some(regions) = graph
        .annex
        .get::<NetworkPlacement>()
        .and_then(|n| n.unload.as_ref())
        && !regions.is_empty()
    {
        return Ok(regions
            .iter()
            .enumerate()
            .map(|(i, r)| Unloaded {
                what: format!("unload sequence #{i}"),
                layer: i,
                layout: OutputLayout::of_region(r),
            })
            .collect());
    }
    let placed = |layer: usize| {
        graph.nodes[layer]
            .annex
            .get::<Placement>()
            .ok_or(EmitError::NotPlaced { layer })
    };
    let mut layers = Vec::new();
    for &layer in &graph.outputs {
        if placed(layer)?.output {
            layers.push(layer);
        }
    }
    if layers.is_empty() {
        layers.extend(graph.outputs.last());
    }
    layers
        .into_iter()
        .map(|layer| {
            let node = &graph.nodes[layer];
            let (rows, cols) = node.out_shape.dims.hw();
            Ok(Unloaded {
                what: match &node.name {
                    Some(name) => format!("layer {layer} ({name})"),
                    None => format!("layer {layer}"),
                },
                layer,
                layout: OutputLayout::of_layer(placed(layer)?, node.out_shape.channels, rows, cols),
            })
        })
        .collect()
}

/// Whether izer would read this output through the mlator: 8-bit, at least four values per
/// channel, and whole words per channel unless there is a single channel.
fn uses_mlator(l: &OutputLayout) -> bool {
    let xy = l.pixels();
    l.width == OutputWidth::Bits8 && xy >= 4 && (l.channels <= 1 || xy.is_multiple_of(4))
}

/// izer's source address of a quad's first value at `pixel` (see the module docs for the
/// `write_gap` quirk).
fn source(chip: &Chip, o: &Unloaded, quad: &Quad, pixel: usize) -> Result<i64, EmitError> {
    let kat = o.layout.address(chip, o.layer, quad, pixel, 0)?;
    let instance = instance_offset(chip, quad.processor);
    let address = u64::from(kat) + u64::from(o.layout.write_gap) * u64::from(instance);
    u32::try_from(address).map(i64::from).map_err(|_| {
        KatError::Address {
            layer: o.layer,
            channel: quad.first_channel,
            pixel,
        }
        .into()
    })
}

/// Address of layer 0's register `reg` in quadrant `q`.
fn register(chip: &Chip, q: u32, reg: LayerReg) -> Result<u32, EmitError> {
    reg.address(chip, q, 0).ok_or(EmitError::MissingRegister {
        chip: chip.part,
        register: reg.label(),
    })
}

/// Positions of the quad's enabled processors.
fn lanes(quad: &Quad) -> impl Iterator<Item = i64> + '_ {
    (0..8).filter(move |j| quad.lanes >> j & 1 == 1)
}

/// The body text and what its declarations need.
#[derive(Default)]
struct Writer {
    /// Some output is 8-bit: the buffer is written byte by byte (izer's `o_width == 8`).
    bytes: bool,
    body: String,
    need_i: bool,
    need_offs: bool,
    any_read: bool,
    /// izer's tracked read address (0: none yet).
    addr: i64,
    /// Bytes of output written by the earlier outputs.
    written: usize,
    /// An earlier output exists (the byte pointer must be moved on).
    later: bool,
    /// izer's last read word (`read_addr`): set by byte-wise reads and mlator reads, which
    /// skip reprogramming the mlator when the next word follows.
    read_addr: Option<i64>,
    /// izer's next mlator write position in bytes (`write_addr`).
    write_addr: Option<usize>,
}

impl Writer {
    /// The comment that opens an output's reads.
    fn heading(&mut self, o: &Unloaded) {
        let l = &o.layout;
        let _ = write!(
            self.body,
            "\n  // Custom unload for this network, {}: {}-bit data, shape: ({}, {}, {})\n",
            o.what,
            l.width.bits(),
            l.channels,
            l.rows,
            l.cols
        );
        if self.bytes && l.pixels() != 1 {
            self.need_offs = true;
        }
    }

    fn output(&mut self, chip: &Chip, o: &Unloaded) -> Result<(), EmitError> {
        let l = &o.layout;
        self.heading(o);
        let xy = l.pixels();
        let quads = l.quads(chip, o.layer)?;
        self.any_read |= !quads.is_empty();
        // Sources quad by quad, pixel by pixel, lane by lane: word addresses, and the byte
        // lane for byte-wise reads.
        let mut list = Vec::new();
        for quad in &quads {
            for pixel in 0..xy {
                let base = source(chip, o, quad, pixel)?;
                for (k, j) in lanes(quad).enumerate() {
                    // 32-bit values: consecutive words when all are wide, but by lane position
                    // when read byte by byte (izer's two rules).
                    match (self.bytes, l.width) {
                        (false, _) => list.push((base + 4 * k as i64, 0)),
                        (true, OutputWidth::Bits32) => {
                            list.extend((0..4).map(|s| (base + 4 * j, s)));
                        }
                        (true, OutputWidth::Bits8) => list.push((base, j)),
                    }
                }
            }
        }
        if !list.is_empty() {
            if self.bytes {
                self.bytes_reads(&list, xy);
            } else {
                self.word_reads(&list);
            }
        }
        self.written += l.channels * xy * l.value_bytes() as usize;
        self.later = true;
        Ok(())
    }

    /// An 8-bit output read through the mlator: per enabled processor (one channel), words of
    /// four consecutive values unscrambled by the hardware and stored whole.
    ///
    /// izer quirks kept: the channel named and written is the quad's first channel plus the
    /// lane's position (not its rank among enabled lanes); the write position of a value at
    /// `row, col` is `row · rows + col` (rows, not columns); the pointer set before a read is
    /// the value index, not the memory address; `ctrl`/`mlat` are set again when the walk
    /// reaches another quadrant, even on processors without outputs.
    fn mlator_output(&mut self, chip: &Chip, o: &Unloaded) -> Result<(), EmitError> {
        let limits = &chip.limits;
        let l = &o.layout;
        self.heading(o);
        let xy = l.pixels();
        let quads = l.quads(chip, o.layer)?;
        let per_quadrant = limits.processors_per_quadrant;
        let shared = limits.processors_per_data_instance;
        let mut quadrant = None;
        let mut prev: Option<&Quad> = None;
        for quad in &quads {
            // The processors izer walks to reach this quad: the empty ones after the previous
            // quad of the same pass, then the quad's own.
            let from = match prev {
                Some(p) if p.pass == quad.pass => p.processor + shared,
                _ => quad.processor,
            };
            for proc in (from..=quad.processor).step_by(shared as usize) {
                let q = proc / per_quadrant;
                if quadrant != Some(q) {
                    quadrant = Some(q);
                    let _ = write!(
                        self.body,
                        "  ctrl = (volatile uint32_t *) 0x{:08x};\n  \
                         mlat = (volatile uint32_t *) 0x{:08x};\n",
                        control_register(chip, q, 0),
                        control_register(chip, q, chip.map.mlator_register)
                    );
                }
            }
            prev = Some(quad);
            let q = quad.processor / per_quadrant;
            for lane in lanes(quad) {
                let channel = quad.first_channel + lane as usize;
                let _ = writeln!(self.body, "  // Channel {channel}");
                let mut pending = 0;
                for value in (0..xy).step_by(4) {
                    let (row, col) = if l.rows == 1 || l.cols == 1 {
                        (0, value)
                    } else {
                        (value / l.cols, value % l.cols)
                    };
                    let source = source(chip, o, quad, value / 4)?;
                    let target = channel * xy + row * l.rows + col + self.written;
                    if !target.is_multiple_of(4) {
                        return Err(EmitError::MlatorMisaligned {
                            what: o.what.clone(),
                            channel,
                            target,
                        });
                    }
                    if self.write_addr != Some(target) {
                        let _ = writeln!(self.body, "  offs = 0x{:04x};", target / 4);
                    }
                    if self.read_addr != Some(source) {
                        self.mlator_reads(pending);
                        pending = 0;
                        if value != 0 {
                            self.mlator_off();
                        }
                        let _ = write!(
                            self.body,
                            "  *((volatile uint32_t *) 0x{:08x}) = 0x{value:08x}; \
                             // Set SRAM address\n  \
                             *((volatile uint32_t *) 0x{:08x}) = 0x{:08x}; \
                             // Set pointer increment\n  \
                             *ctrl = 0x{:08x}; // Enable mlator, byte {lane}\n  \
                             asm volatile (\"\" : \"=m\" (*mlat) : \"r\" (*mlat)); // Prime\n",
                            register(chip, q, WRITE_POINTER_BASE)?,
                            register(chip, q, LAYER_CONTROL_2)?,
                            quad.pass,
                            MLATOR_ON | (lane as u32) << 17
                        );
                    }
                    pending += 1;
                    self.read_addr = Some(source + 4);
                    self.write_addr = Some(target + 4);
                }
                self.mlator_reads(pending);
                self.mlator_off();
            }
        }
        self.written += l.channels * xy;
        self.later = true;
        Ok(())
    }

    /// `n` stores of unscrambled words, as a `for` over whole chunks when it runs twice.
    fn mlator_reads(&mut self, mut n: usize) {
        const STORE: &str = "  out_buf32[offs++] = *mlat;\n";
        if n >= 2 * MLATOR_CHUNK {
            let _ = writeln!(self.body, "  for (i = 0; i < {}; i++) {{", n / MLATOR_CHUNK);
            for _ in 0..MLATOR_CHUNK {
                self.body.push_str("  ");
                self.body.push_str(STORE);
            }
            self.body.push_str("  }\n");
            n %= MLATOR_CHUNK;
        }
        for _ in 0..n {
            self.body.push_str(STORE);
        }
    }

    fn mlator_off(&mut self) {
        let _ = writeln!(self.body, "  *ctrl = 0x{MLATOR_OFF:08x}; // Disable mlator");
    }

    /// 32-bit values copied word by word, in runs of equal address steps.
    fn word_reads(&mut self, list: &[(i64, i64)]) {
        let at = |i: usize| list[i].0;
        let mut idx = 0;
        while idx < list.len() {
            let delta = if idx + 1 < list.len() {
                at(idx + 1) - at(idx)
            } else {
                4
            };
            let mut run = 0;
            while idx + run + 1 < list.len() && at(run + 1) - at(run) == delta {
                run += 1;
            }
            self.set_addr(at(idx));
            let stmt = |p: &str| format!("{p}  *out_buf++ = {}", read(p, delta));
            let advanced = self.unrolled(run as i64 + 1, WIDE_CHUNK, stmt);
            self.addr += advanced;
            idx += run + 1;
        }
    }

    /// Values copied byte by byte: one read per word, one write per byte lane.
    fn bytes_reads(&mut self, list: &[(i64, i64)], xy: usize) {
        let short = xy == 1;
        if !short {
            self.body.push_str("  offs = 0x0000;\n");
        }
        if self.later {
            let _ = writeln!(
                self.body,
                "  out_buf = ((uint8_t *) out_buf32) + 0x{:04x};",
                self.written
            );
        }
        let mut idx = 0;
        while idx < list.len() {
            let address = list[idx].0;
            self.read_addr = Some(address);
            let shifts: Vec<i64> = list[idx..]
                .iter()
                .take_while(|e| e.0 == address)
                .map(|e| e.1)
                .collect();
            let n = shifts.len();
            let delta = list.get(idx + n).map_or(4, |e| e.0 - address);
            let mut run = 0;
            while idx + n * (run + 1) < list.len()
                && list[idx + n * (run + 1)].0 - list[idx + n * run].0 == delta
            {
                run += 1;
            }
            self.set_addr(address);
            let stmt = |p: &str| {
                let mut s = format!("{p}  val = {}", read(p, delta));
                for &shift in &shifts {
                    let value = match shift {
                        0 => "val".to_string(),
                        _ => format!("(val >> {})", 8 * shift),
                    };
                    let _ = match (short, shift) {
                        (true, _) => writeln!(s, "{p}  *out_buf++ = {value} & 0xff;"),
                        (false, 0) => writeln!(s, "{p}  out_buf[offs] = {value} & 0xff;"),
                        (false, _) => writeln!(
                            s,
                            "{p}  out_buf[offs+0x{:02x}] = {value} & 0xff;",
                            xy as i64 * shift
                        ),
                    };
                }
                if !short {
                    let _ = writeln!(s, "{p}  offs++;");
                }
                s
            };
            let advanced = self.unrolled(run as i64 + 1, NARROW_CHUNK, stmt);
            self.addr += 4 * advanced;
            idx += (run + 1) * n;
            if !short && idx < list.len() && n > 1 {
                let _ = writeln!(self.body, "  offs += 0x{:04x};", xy * (n - 1));
            }
        }
    }

    /// `addr = …;` unless the tracked address is already there.
    fn set_addr(&mut self, address: i64) {
        if self.addr == 0 || self.addr != address {
            let _ = writeln!(self.body, "  addr = (volatile uint32_t *) 0x{address:08x};");
            self.addr = address;
        }
    }

    /// `n` copies of `stmt` (given its indent prefix), as `for` loops over `chunk` copies when
    /// that runs more than once. Returns izer's advance of its tracked address, in reads.
    fn unrolled(&mut self, n: i64, chunk: i64, stmt: impl Fn(&str) -> String) -> i64 {
        let (mut remaining, mut advanced) = (n, 0);
        while remaining > 0 {
            let loops = (remaining / chunk).max(1);
            let prefix = if loops > 1 {
                self.need_i = true;
                let _ = writeln!(self.body, "  for (i = 0; i < {loops}; i++) {{");
                "  "
            } else {
                ""
            };
            for _ in 0..remaining.min(chunk) {
                self.body.push_str(&stmt(prefix));
            }
            if loops > 1 {
                self.body.push_str("  }\n");
            }
            remaining -= loops * chunk;
            advanced += loops * chunk;
        }
        advanced
    }
}

/// The read of one word and the step to the next (`delta` bytes), ending in a newline.
fn read(prefix: &str, delta: i64) -> String {
    if delta == 4 {
        "*addr++;\n".into()
    } else {
        let sign = if delta >= 0 { '+' } else { '-' };
        format!(
            "*addr;\n{prefix}  addr {sign}= 0x{:04x};\n",
            delta.abs() / 4
        )
    }
}

#[cfg(test)]
mod tests;
