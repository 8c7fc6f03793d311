//! Kernel memory of one layer: how izer lays its weights out in 72-bit kernel words.
//!
//! Owns the kernel geometry as placed on the hardware (streaming 1×1 → 3×3 emulation, dilated
//! Conv1d stretching, flatten slots, sub-8-bit packing) and the per-processor column
//! bookkeeping. Must not place layers in memory (`kernel_map`) nor produce weight bytes (the
//! `weights.h` writer's job).

use super::limits::{Expansion, Limits};
use super::placement::ProcessorMask;
use crate::ir::{Graph, Node, NodeId, Op, WeightBits};

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
    pub fn of(graph: &Graph, layer: NodeId, limits: &Limits) -> Option<Self> {
        let node = graph.nodes.get(layer)?;
        let streams = |i: usize| {
            graph
                .nodes
                .get(i)
                .and_then(|n| n.annex.max78000())
                .is_some_and(|p| p.streaming)
        };
        // izer converts streaming 1×1 convolutions to 3×3 within the first stream-capable layers.
        let emulate_1x1 = layer <= limits.max_stream_layers
            && (streams(layer) || layer > 0 && streams(layer - 1));
        Self::of_node(node, emulate_1x1, limits)
    }

    /// Geometry of `node`; `emulate_1x1` says whether a 1×1 convolution runs as 3×3 (streaming).
    pub fn of_node(node: &Node, emulate_1x1: bool, limits: &Limits) -> Option<Self> {
        let place = node.annex.max78000()?;
        let kernel_len = match node.op {
            Op::Conv2d(c) | Op::ConvTranspose2d(c) => {
                let k = c.kernel[0] * c.kernel[1];
                if k == 1 && emulate_1x1 {
                    limits.emulation_kernel_size.pow(2)
                } else {
                    k
                }
            }
            Op::Conv1d(c) => conv1d_hw_len(c.kernel[0], c.dilation[0], limits),
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
    fn packing(&self, limits: &Limits) -> Option<Packing> {
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
    pub fn span(&self, limits: &Limits) -> u32 {
        self.packing(limits).map_or(0, |p| p.span as u32)
    }

    /// Replay izer's kernel loader without the weight values: which columns each used input
    /// processor writes (zero padding included; output-map gaps and leading dummy columns
    /// excluded, as in izer's kernel map).
    pub fn layout(&self, limits: &Limits) -> KernelLayout {
        let Some(pk) = self.packing(limits) else {
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
                columns: self.processor_columns(&pk, ch, &mut kern_len),
            })
            .collect();
        KernelLayout {
            span: pk.span as u32,
            processors,
        }
    }

    /// Columns written by the input processor of rank `ch` (izer's loop over output slots
    /// and input passes). `kern_len` is izer's running length, which flatten layers update.
    fn processor_columns(&self, pk: &Packing, ch: usize, kern_len: &mut usize) -> Vec<u32> {
        let (qf, k, in_exp) = (pk.qf, self.kernel_len, pk.in_exp);
        let flatten = self.flatten_slots;
        let in_chan = if flatten.is_some() {
            self.input.per_pass
        } else {
            self.in_channels
        };
        let rows = self.out_channels * in_chan;
        let in_ch = if flatten.is_some() {
            in_chan * qf
        } else {
            in_chan
        };
        let step = if flatten.is_some() { 1 } else { qf };
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
                    if ie * self.input.per_pass + ch < in_ch && src < rows {
                        col.emit(match flatten {
                            Some(s) if m < self.out_channels => {
                                let present = (0..qf).filter(|n| src + n * in_chan < rows).count();
                                (present * s).div_ceil(qf)
                            }
                            Some(_) => 0,
                            None => k,
                        });
                    } else {
                        col.emit(k / qf); // zero kernel for a channel the last pass lacks
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
        col.fill
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(c, _)| c as u32)
            .collect()
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

/// Hardware kernel length of a Conv1d of length `k` and dilation `d`.
fn conv1d_hw_len(k: usize, d: usize, limits: &Limits) -> usize {
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

/// Byte cursor over kernel columns (izer `col_target` and `kernels_used`).
struct Columns {
    target: usize,
    fill: Vec<u8>,
    word_bytes: usize,
}

impl Columns {
    fn new(word_bytes: usize) -> Self {
        Columns {
            target: 0,
            fill: Vec::new(),
            word_bytes,
        }
    }

    fn emit(&mut self, bytes: usize) {
        for _ in 0..bytes {
            if self.fill.len() <= self.target {
                self.fill.resize(self.target + 1, 0);
            }
            self.fill[self.target] += 1;
            if usize::from(self.fill[self.target]) == self.word_bytes {
                self.target += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests;
