//! The `cnn_unload()` function of `cnn.c` (spec `cnn-c.md` §9): C that copies the output
//! layers from data memory into the caller's buffer, in izer's text.
//!
//! Owns which outputs are unloaded, the order of the reads and their C text. Must not work out
//! where a value lies in data memory (that is `crate::device::max78000::OutputLayout`, shared
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
use crate::device::max78000::{
    DATA_MEMORY_BASE, KatError, Limits, MAX78000, OutputLayout, OutputWidth, Quad, data_address,
};
use crate::ir::Graph;
use std::fmt::Write;

/// Statements per `for` body of 32-bit reads (izer `--unroll-wide`).
const WIDE_CHUNK: i64 = 8;
/// Statements per `for` body of 8-bit reads (izer `--unroll-8bit`).
const NARROW_CHUNK: i64 = 1;

/// One output to unload: izer's name for it, a layer index for errors, where it lies.
struct Unloaded {
    what: String,
    layer: usize,
    layout: OutputLayout,
}

/// The complete `int cnn_unload(...)` function, from its header to the blank line after `}`.
pub fn cnn_unload(graph: &Graph, opts: &ProjectOptions) -> Result<String, EmitError> {
    let outputs = unloaded(graph)?;
    if opts.mlator
        && let Some(o) = outputs.iter().find(|o| uses_mlator(&o.layout))
    {
        return Err(EmitError::MlatorUnload {
            what: o.what.clone(),
        });
    }
    let bytes = outputs.iter().any(|o| o.layout.width == OutputWidth::Bits8);
    let mut w = Writer {
        bytes,
        ..Writer::default()
    };
    for o in &outputs {
        w.output(&MAX78000, o)?;
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
    if w.need_i {
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
    if let Some(regions) = graph.annex.max78000().and_then(|n| n.unload.as_ref())
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
            .max78000()
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
fn source(limits: &Limits, o: &Unloaded, quad: &Quad, pixel: usize) -> Result<i64, EmitError> {
    let kat = o.layout.address(limits, o.layer, quad, pixel, 0)?;
    let instance = data_address(limits, quad.processor, 0, 0).map_or(0, |a| a - DATA_MEMORY_BASE);
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
}

impl Writer {
    fn output(&mut self, limits: &Limits, o: &Unloaded) -> Result<(), EmitError> {
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
        let xy = l.pixels();
        if self.bytes && xy != 1 {
            self.need_offs = true;
        }
        let quads = l.quads(limits, o.layer)?;
        self.any_read |= !quads.is_empty();
        // Sources quad by quad, pixel by pixel, lane by lane: word addresses, and the byte
        // lane for byte-wise reads.
        let mut list = Vec::new();
        for quad in &quads {
            for pixel in 0..xy {
                let base = source(limits, o, quad, pixel)?;
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
