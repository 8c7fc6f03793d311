//! Kernel memory of one layer: how izer lays its weights out in 72-bit kernel words.
//!
//! Owns the kernel geometry as placed on the hardware (streaming 1×1 → 3×3 emulation, dilated
//! Conv1d stretching, flatten slots, sub-8-bit packing), the per-processor column bookkeeping
//! and the bytes each column receives (izer's kernel loader with the weight values). Must not
//! place layers in memory (`kernel_map`) nor format any text (`crate::emit`).

use super::Placement;
use super::chip::Chip;
use super::limits::Expansion;
use super::placement::ProcessorMask;
use crate::ir::{Graph, Node, NodeId, Op, WeightBits};
use ndarray::ArrayD;

/// One weighted layer's kernels as izer places them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelGeometry {
    /// Bytes of one kernel after the hardware rewrites (`kh·kw`, Conv1d length, 1 for Linear).
    pub kernel_len: usize,
    pub bits: WeightBits,
    /// izer `input_chan`: the operator's input channels, before flattening.
    pub in_channels: usize,
    pub out_channels: usize,
    pub input: Expansion,
    pub output: Expansion,
    pub processors: ProcessorMask,
    pub output_processors: ProcessorMask,
    /// Flatten layers: one-byte slots per (output channel, input processor),
    /// `in_channels · pooled H·W / input.per_pass`.
    pub flatten_slots: Option<usize>,
}

/// Kernel-memory columns one input processor writes, relative to the layer's first column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorColumns {
    pub processor: u32,
    pub columns: Vec<u32>,
}

/// Contents of the kernel-memory columns one input processor writes, relative to the layer's
/// first column: `(column, bytes B[0..9])`, ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorBytes {
    pub processor: u32,
    pub columns: Vec<(u32, Vec<u8>)>,
}

/// A layer's footprint: the block the allocator reserves and the columns actually written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelLayout {
    /// Columns that must be free on every used processor (izer `kern_len`).
    pub span: u32,
    /// Per used input processor, ascending.
    pub processors: Vec<ProcessorColumns>,
}

impl KernelGeometry {
    /// Geometry of layer `layer` of `graph`; `None` for weight-less or unplaced layers.
    pub fn of(graph: &Graph, layer: NodeId, chip: &Chip) -> Option<Self> {
        let node = graph.nodes.get(layer)?;
        let emulate_1x1 = emulates_1x1(graph, layer, chip);
        Self::of_node(node, emulate_1x1, chip)
    }

    /// Geometry of `node`; `emulate_1x1` says whether a 1×1 convolution runs as 3×3 (streaming).
    pub fn of_node(node: &Node, emulate_1x1: bool, chip: &Chip) -> Option<Self> {
        let limits = &chip.limits;
        let place = node.annex.get::<Placement>()?;
        let kernel_len = match node.op {
            Op::Conv2d(c) | Op::ConvTranspose2d(c) => {
                let k = c.kernel[0] * c.kernel[1];
                if k == 1 && emulate_1x1 {
                    limits.emulation_kernel_size.pow(2)
                } else {
                    k
                }
            }
            Op::Conv1d(c) => conv1d_hw_len(c.kernel[0], c.dilation[0], chip),
            Op::Linear { .. } => 1,
            Op::Passthrough | Op::Eltwise(_) => return None,
        };
        let in_channels = node.in_shape.channels;
        let input = limits.expansion(in_channels);
        let flatten_slots = node.flatten.then(|| {
            (in_channels * node.pooled_shape.dims.pixels()).div_ceil(input.per_pass.max(1))
        });
        Some(KernelGeometry {
            kernel_len,
            bits: node.quant.weight_bits.unwrap_or(WeightBits::B8),
            in_channels,
            out_channels: node.out_shape.channels,
            input,
            output: limits.expansion(node.out_shape.channels),
            processors: place.processors,
            output_processors: place.output_processors,
            flatten_slots,
        })
    }

    /// Weight bytes izer counts for this layer (`elements · bits / 8`, its "Weight memory").
    pub fn weight_bytes(&self) -> usize {
        let per_output = self
            .flatten_slots
            .map_or(self.in_channels * self.kernel_len, |s| {
                s * self.input.per_pass
            });
        self.out_channels * per_output * usize::from(self.bits.bits()) / 8
    }

    /// How the layer's bytes pack into words; `None` without output processors.
    fn packing(&self, chip: &Chip) -> Option<Packing> {
        let limits = &chip.limits;
        let om = self.output_processors;
        let first_out = om.first()?;
        let last_out = om.iter().last()? as usize;
        let q = usize::from(self.bits.bits());
        let qf = 8 / q;
        let k = self.kernel_len;
        let start_col = (first_out % limits.processors_per_data_instance) as usize;
        let out_exp = self.output.passes;
        let span_first = first_out as usize - if out_exp > 1 { start_col } else { 0 };
        let in_exp = if self.flatten_slots.is_some() {
            1
        } else {
            self.input.passes
        };
        let mut kc = ((last_out + 1 - span_first) * out_exp * in_exp) as i64;
        if let Some(s) = self.flatten_slots {
            let unused = (out_exp * om.count() as usize) as i64 - self.out_channels as i64;
            kc = (kc - unused) * s as i64;
        }
        let kc = kc.max(0) as usize;
        let res = (kc % qf) * k * (qf - 1);
        Some(Packing {
            qf,
            first_out,
            start_col,
            in_exp,
            word_bytes: (limits.kernel_word_bits / 8) as usize,
            span: (kc * k * q + res).div_ceil(limits.kernel_word_bits as usize),
        })
    }

    /// Columns the allocator reserves (izer `kern_len`).
    pub fn span(&self, chip: &Chip) -> u32 {
        self.packing(chip).map_or(0, |p| p.span as u32)
    }

    /// Kernels the mask-count register must cover (izer `kern_count`): the output span in
    /// kernels, leading dummy outputs of the first quad included; flatten layers count one
    /// per byte slot. `None` without output processors.
    pub fn kern_count(&self, chip: &Chip) -> Option<u32> {
        let pk = self.packing(chip)?;
        let om = self.output_processors;
        let out_exp = self.output.passes;
        let first = pk.first_out as usize - if out_exp > 1 { pk.start_col } else { 0 };
        let last = om.iter().last()? as usize;
        let per_out = out_exp * pk.in_exp;
        let mut count = ((last + 1 - first) * per_out + pk.start_col * per_out) as i64;
        if let Some(s) = self.flatten_slots {
            let unused = (out_exp * om.count() as usize) as i64 - self.out_channels as i64;
            count = (count - unused) * s as i64;
        }
        Some(count.max(0) as u32)
    }

    /// Replay izer's kernel loader without the weight values: which columns each used input
    /// processor writes (zero padding included; output-map gaps and leading dummy columns
    /// excluded, as in izer's kernel map).
    pub fn layout(&self, chip: &Chip) -> KernelLayout {
        let Some(pk) = self.packing(chip) else {
            return KernelLayout {
                span: 0,
                processors: Vec::new(),
            };
        };
        let mut kern_len = pk.span;
        let processors = self
            .processors
            .iter()
            .enumerate()
            .map(|(ch, processor)| ProcessorColumns {
                processor,
                columns: self
                    .processor_walk(&pk, ch, &mut kern_len, None)
                    .used()
                    .map(|(c, _)| c)
                    .collect(),
            })
            .collect();
        KernelLayout {
            span: pk.span as u32,
            processors,
        }
    }

    /// Replay izer's kernel loader with the weight values: per used input processor, the bytes
    /// of every column it writes (the columns of [`KernelGeometry::layout`]). `rows` are the
    /// layer's kernels as [`KernelGeometry::kernel_rows`] arranges them.
    pub fn fill(&self, chip: &Chip, rows: &[Vec<i64>]) -> Vec<ProcessorBytes> {
        let Some(pk) = self.packing(chip) else {
            return Vec::new();
        };
        let mut kern_len = pk.span;
        self.processors
            .iter()
            .enumerate()
            .map(|(ch, processor)| ProcessorBytes {
                processor,
                columns: self
                    .processor_walk(&pk, ch, &mut kern_len, Some(rows))
                    .used()
                    .map(|(c, b)| (c, b.to_vec()))
                    .collect(),
            })
            .collect()
    }

    /// The layer's kernels as izer's loader indexes them (its `kernel_reshaped`, after the
    /// hardware rewrites), from `node.weights` in the framework layout with values truncated
    /// to integers. Convolutions: row `o·in + c` of `kernel_len` values (row-major kernel;
    /// ConvTranspose2d flipped and swapped to `[out, in, kh, kw]` first; a streaming 1×1 at
    /// the 3×3 centre; a dilated Conv1d stretched or moved into the centre column of a 3×3).
    /// Linear: rows of one value. Flatten: row `o·per_pass + j` holds the `flatten_slots`
    /// values of output `o` for input processor rank `j`, pixel-major with the input pass
    /// fastest. `None` without weights or when their shape does not match the node.
    pub fn kernel_rows(&self, node: &Node) -> Option<Vec<Vec<i64>>> {
        let w = node.weights.as_ref()?;
        if w.shape() != node.weight_shape()?.as_slice() {
            return None;
        }
        if self.flatten_slots.is_some() {
            return flatten_rows(w, self.out_channels, self.input.passes, self.input.per_pass);
        }
        let k = self.kernel_len;
        let int = |v: f32| v as i64;
        let values: Vec<f32> = w.iter().copied().collect();
        let rows = match node.op {
            Op::Linear { .. } => values.iter().map(|&v| vec![int(v)]).collect(),
            Op::Conv2d(c) => {
                let taps = c.kernel[0] * c.kernel[1];
                values
                    .chunks(taps)
                    .map(|chunk| {
                        let mut row = vec![0; k];
                        if taps == 1 {
                            row[k / 2] = int(chunk[0]); // 1×1 (emulated at the 3×3 centre)
                        } else {
                            row.iter_mut().zip(chunk).for_each(|(r, &v)| *r = int(v));
                        }
                        row
                    })
                    .collect()
            }
            Op::ConvTranspose2d(c) => {
                let (kh, kw) = (c.kernel[0], c.kernel[1]);
                let (cin, cout) = (w.shape()[0], w.shape()[1]);
                let mut rows = Vec::with_capacity(cin * cout);
                for o in 0..cout {
                    for i in 0..cin {
                        let mut row = vec![0; k];
                        for u in 0..kh {
                            for v in 0..kw {
                                let val = int(w[[i, o, kh - 1 - u, kw - 1 - v]]);
                                let at = if kh * kw == 1 { k / 2 } else { u * kw + v };
                                row[at] = val;
                            }
                        }
                        rows.push(row);
                    }
                }
                rows
            }
            Op::Conv1d(c) => {
                let (len, d) = (c.kernel[0], c.dilation[0]);
                values
                    .chunks(len)
                    .map(|taps| {
                        let mut row = vec![0; k];
                        let at = |t: usize| {
                            if k == len {
                                t
                            } else if k == (len - 1) * d + 1 {
                                t * d // stretched: d − 1 zeros between taps
                            } else {
                                // 3×3 emulation: centre column, bottom-aligned
                                let side = k.isqrt();
                                (side - len + t) * side + side / 2
                            }
                        };
                        taps.iter()
                            .enumerate()
                            .for_each(|(t, &v)| row[at(t)] = int(v));
                        row
                    })
                    .collect()
            }
            Op::Passthrough | Op::Eltwise(_) => return None,
        };
        Some(rows)
    }

    /// izer's loader for the input processor of rank `ch` (its loop over output slots and
    /// input passes). `kern_len` is izer's running length, which flatten layers update. With
    /// `rows`, the weight bytes are written; without, only the byte counts matter.
    fn processor_walk(
        &self,
        pk: &Packing,
        ch: usize,
        kern_len: &mut usize,
        rows: Option<&[Vec<i64>]>,
    ) -> Columns {
        let (qf, k, in_exp) = (pk.qf, self.kernel_len, pk.in_exp);
        let q = 8 / qf;
        let mask = (1i64 << q) - 1;
        let flatten = self.flatten_slots;
        let in_chan = if flatten.is_some() {
            self.input.per_pass
        } else {
            self.in_channels
        };
        let row_count = self.out_channels * in_chan;
        let in_ch = if flatten.is_some() {
            in_chan * qf
        } else {
            in_chan
        };
        let step = if flatten.is_some() { 1 } else { qf };
        let row = |i: usize| rows.and_then(|r| r.get(i)).map(Vec::as_slice);
        let mut col = Columns::new(pk.word_bytes);
        let lead = pk.start_col * k * in_exp;
        col.target = lead / pk.word_bytes;
        col.emit(lead % pk.word_bytes / qf);
        let mut m = 0;
        for pass in 0..self.output.passes {
            let mut map = self.output_processors.0 >> pk.first_out;
            let mut slot = pass * self.output.per_pass;
            while slot < (pass + 1) * self.output.per_pass {
                while map != 0 && map & ((1 << qf) - 1) == 0 {
                    col.target += 1; // a gap in the output map skips a whole column
                    map >>= qf;
                }
                map >>= qf;
                let src = ch + m * in_ch;
                for ie in 0..in_exp {
                    if !(ie * self.input.per_pass + ch < in_ch && src < row_count) {
                        col.emit(k / qf); // zero kernel for a channel the last pass lacks
                        continue;
                    }
                    if m >= self.out_channels {
                        if flatten.is_none() {
                            col.emit(k); // all-zero vector past the last output
                        }
                        continue;
                    }
                    // Sub-kernels packed into one byte vector (izer's `idx` interleave).
                    let parts = (0..qf).filter_map(|n| {
                        let idx = n + ie * qf;
                        let r =
                            src + (idx % in_exp) * self.input.per_pass + (idx / in_exp) * in_chan;
                        (r < row_count).then_some((n, r))
                    });
                    if flatten.is_some() {
                        let mut values: Vec<i64> = Vec::new();
                        let mut present = 0;
                        for (_, r) in parts {
                            present += 1;
                            if let Some(v) = row(r) {
                                values.extend(v.iter().map(|x| x & mask));
                            }
                        }
                        let s = flatten.unwrap_or(0);
                        let bytes = (present * s).div_ceil(qf);
                        values.resize(bytes * qf, 0);
                        for b in 0..bytes {
                            let e = (0..qf).fold(0, |e, j| e | values[b * qf + j] << (j * q));
                            col.push(e as u8);
                        }
                    } else {
                        let mut vec = vec![0i64; k];
                        for (n, r) in parts {
                            if let Some(v) = row(r) {
                                for (t, x) in vec.iter_mut().zip(v) {
                                    *t |= (x & mask) << (n * q);
                                }
                            }
                        }
                        for &b in vec.iter().rev() {
                            col.push(b as u8);
                        }
                    }
                }
                slot += step;
                m += step;
            }
        }
        if col.fill.get(col.target).is_some_and(|&n| n > 0) {
            col.target += 1;
        }
        while col.target < pk.start_col + *kern_len {
            col.emit(1);
        }
        if flatten.is_some() {
            *kern_len = col.target; // izer carries this to the next processor
        }
        col
    }
}

/// Per-layer packing parameters of izer's kernel loader.
struct Packing {
    /// Weights per byte (`8 / bits`).
    qf: usize,
    first_out: u32,
    /// Leading dummy output slots (first output processor mod 4).
    start_col: usize,
    /// Input passes as the loader sees them (1 for flatten).
    in_exp: usize,
    word_bytes: usize,
    /// izer `kern_len`.
    span: usize,
}

/// izer's flatten arrangement of Linear weights `[out, N]` (numpy `reshape(out, passes, -1)`,
/// swap the last two axes, `reshape(out·per_pass, -1)`).
fn flatten_rows(
    w: &ArrayD<f32>,
    out: usize,
    passes: usize,
    per_pass: usize,
) -> Option<Vec<Vec<i64>>> {
    let values: Vec<f32> = w.iter().copied().collect();
    let n = values.len().checked_div(out)?;
    let rows = out * per_pass;
    if passes == 0 || !n.is_multiple_of(passes) || !values.len().is_multiple_of(rows.max(1)) {
        return None;
    }
    let len = values.len() / rows;
    let chunk = n / passes;
    Some(
        (0..rows)
            .map(|r| {
                (0..len)
                    .map(|i| {
                        let f = r * len + i;
                        let (o, rem) = (f / n, f % n);
                        let (x, e) = (rem / passes, rem % passes);
                        values[o * n + e * chunk + x] as i64
                    })
                    .collect()
            })
            .collect(),
    )
}

/// Hardware kernel length of a Conv1d of length `k` and dilation `d`.
/// Whether izer runs layer `layer` on 3×3 kernel hardware if it is a 1×1 convolution: within
/// the first stream-capable layers, when it or the layer before it streams.
pub(super) fn emulates_1x1(graph: &Graph, layer: NodeId, chip: &Chip) -> bool {
    let limits = &chip.limits;
    let streams = |i: usize| {
        graph
            .nodes
            .get(i)
            .and_then(|n| n.annex.get::<Placement>())
            .is_some_and(|p| p.streaming)
    };
    layer <= limits.max_stream_layers && (streams(layer) || layer > 0 && streams(layer - 1))
}

fn conv1d_hw_len(k: usize, d: usize, chip: &Chip) -> usize {
    let limits = &chip.limits;
    if d <= 1 || k <= 1 {
        k
    } else if (k - 1) * d < limits.conv1d_stretch_span {
        (k - 1) * d + 1
    } else if k <= limits.max_dilation_1d_kernel {
        limits.emulation_kernel_size.pow(2) // emulated on 3×3 Conv2d kernels
    } else {
        k
    }
}

/// Byte cursor over kernel columns (izer `col_target`, `kernels_used` and `kernel_data`).
struct Columns {
    target: usize,
    /// Bytes written per column.
    fill: Vec<u8>,
    /// `word_bytes` bytes per column, `B[0]` first; written from the last byte down.
    data: Vec<u8>,
    word_bytes: usize,
}

impl Columns {
    fn new(word_bytes: usize) -> Self {
        Columns {
            target: 0,
            fill: Vec::new(),
            data: Vec::new(),
            word_bytes,
        }
    }

    /// Emit `bytes` zero bytes.
    fn emit(&mut self, bytes: usize) {
        for _ in 0..bytes {
            self.push(0);
        }
    }

    /// Emit one byte: it goes to `B[word_bytes − 1 − used]` of the current column.
    fn push(&mut self, byte: u8) {
        if self.fill.len() <= self.target {
            self.fill.resize(self.target + 1, 0);
            self.data.resize((self.target + 1) * self.word_bytes, 0);
        }
        let used = usize::from(self.fill[self.target]);
        self.data[self.target * self.word_bytes + self.word_bytes - 1 - used] = byte;
        self.fill[self.target] += 1;
        if used + 1 == self.word_bytes {
            self.target += 1;
        }
    }

    /// Columns written, ascending, with their bytes.
    fn used(&self) -> impl Iterator<Item = (u32, &[u8])> {
        self.fill
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(c, _)| {
                (
                    c as u32,
                    &self.data[c * self.word_bytes..(c + 1) * self.word_bytes],
                )
            })
    }
}

#[cfg(test)]
mod tests;
