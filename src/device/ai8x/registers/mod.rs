//! Register programming of the ai8x CNN accelerators for a placed graph (spec `cnn-c.md`
//! §5–§7): the writes of `cnn_init()`, `cnn_configure()` and `cnn_start()`, with addresses and
//! values, in izer's order. Register numbers and field layouts are the chip's
//! ([`RegisterLayout`](super::chip::RegisterLayout)).
//!
//! Owns which register gets which value. Must not format C (`crate::emit`), nor allocate
//! kernels or bias (it reads `kernel_map` and `resources`).

mod hw;
mod layer;
mod stream;

use super::chip::{Chip, RegSlot};
use super::kernel_map::allocate_kernels;
use super::kernels::KernelGeometry;
use super::limits::LimitError;
use super::memmap::{control_register, layer_register, stream_register};
use super::placement::DataFormat;
use super::resources::{allocate_bias, bias_len};
use crate::ir::Graph;
use hw::HwLayer;

/// Per-layer registers by meaning; where each is on a chip (or whether the chip has it) is
/// the chip's [`RegisterLayout`](super::chip::RegisterLayout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerReg {
    /// The layer that runs next (MAX78002).
    NextLayer,
    Rcnt,
    Ccnt,
    Oned,
    Prcnt,
    Pccnt,
    Stride,
    WptrBase,
    WptrToffs,
    WptrMoffs,
    WptrChoffs,
    RptrBase,
    Lctl,
    Lctl2,
    /// Kernel start and end in one register (MAX78000).
    Mcnt,
    /// Kernel end (MAX78002).
    MaskCount,
    /// Kernel start (MAX78002).
    MaskOffset,
    /// Output channels the layer computes, minus one (MAX78002).
    OutputChannels,
    Tptr,
    Ena,
    Post,
    Stream1,
    Stream2,
    Fmax,
}

impl LayerReg {
    /// What the register holds, in the words of the generated code's comments.
    pub fn label(self) -> &'static str {
        match self {
            LayerReg::NextLayer => "Next Layer",
            LayerReg::Rcnt => "Rows",
            LayerReg::Ccnt => "Columns",
            LayerReg::Oned => "1D",
            LayerReg::Prcnt => "Pooling rows",
            LayerReg::Pccnt => "Pooling columns",
            LayerReg::Stride => "Stride",
            LayerReg::WptrBase => "SRAM write ptr",
            LayerReg::WptrToffs => "Write ptr time slot offs",
            LayerReg::WptrMoffs => "Write ptr mask offs",
            LayerReg::WptrChoffs => "Write ptr multi-pass channel offs",
            LayerReg::RptrBase => "SRAM read ptr",
            LayerReg::Lctl => "Layer control",
            LayerReg::Lctl2 => "Layer control 2",
            LayerReg::Mcnt => "Mask offset and count",
            LayerReg::MaskCount => "Mask count",
            LayerReg::MaskOffset => "Mask offset",
            LayerReg::OutputChannels => "Output channel count",
            LayerReg::Tptr => "TRAM ptr max",
            LayerReg::Ena => "Mask and processor enables",
            LayerReg::Post => "Post processing register",
            LayerReg::Stream1 => "Stream processing start",
            LayerReg::Stream2 => "Stream processing delta",
            LayerReg::Fmax => "Rollover",
        }
    }

    /// Address of this register of `layer` in `quadrant` on `chip`; `None` when the chip has
    /// no such register.
    pub fn address(self, chip: &Chip, quadrant: u32, layer: u32) -> Option<u32> {
        match chip.registers.slot(self)? {
            RegSlot::Layer(n) => Some(layer_register(chip, quadrant, n, layer)),
            RegSlot::Stream(n) => stream_register(chip, quadrant, n, layer),
        }
    }
}

/// Control registers of a quadrant (word index from the quadrant's control base).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtlReg {
    Ctl = 0,
    Sram = 1,
    LayerCount = 2,
    /// Memory self-test, which also clears the registers (izer `REG_SRAM_TEST`).
    SramTest = 3,
    /// The frame size (izer `REG_IFRM`; its word index is the chip's).
    FrameSize,
}

impl CtlReg {
    /// Word index from the quadrant's control base on `chip`.
    pub fn index(self, chip: &Chip) -> u32 {
        match self {
            CtlReg::FrameSize => chip.map.frame_size_register,
            r => r as u32,
        }
    }
}

/// What a write targets (for labels; the address is in [`RegWrite::addr`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Layer(LayerReg),
    Control(CtlReg),
    /// The control register written to start a chip's clocks before anything else.
    ClockEnable,
    SelfTest(SelfTest),
    FifoControl,
    FastFifoControl,
    FastFifoInterrupts,
    AonControl,
}

/// One 32-bit register write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegWrite {
    pub addr: u32,
    pub value: u32,
    pub target: Target,
    /// Written even when the value is 0 (all other zero writes are skipped: the registers
    /// are zero after reset).
    pub forced: bool,
}

impl RegWrite {
    fn new(addr: u32, value: u32, target: Target) -> Self {
        RegWrite {
            addr,
            value,
            target,
            forced: false,
        }
    }

    /// Whether the write appears in the generated code.
    pub fn emitted(&self) -> bool {
        self.forced || self.value != 0
    }
}

/// The writes configuring one layer in one quadrant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerBlock {
    pub layer: usize,
    pub quadrant: u32,
    pub writes: Vec<RegWrite>,
}

/// Options that change register values (izer's spelling in the field docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterOptions {
    /// `--fifo`: the input arrives through the FIFOs.
    pub fifo: bool,
    /// `--mexpress` (izer's default): fast kernel loading.
    pub mexpress: bool,
    /// `--avg-pool-rounding`.
    pub avg_pool_rounding: bool,
    /// `--fast-fifo` (with `fifo`): the RISC-V core's fast FIFO feeds the input.
    pub fast_fifo: bool,
}

impl Default for RegisterOptions {
    fn default() -> Self {
        RegisterOptions {
            fifo: false,
            mexpress: true,
            avg_pool_rounding: false,
            fast_fifo: false,
        }
    }
}

/// One step of `cnn_init()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitStep {
    Write(RegWrite),
    /// Spin until the bits `mask` of the register at `addr` are all set.
    WaitUntilSet {
        addr: u32,
        mask: u32,
    },
    /// A blank line between groups of writes.
    Break,
}

/// What a write to the self-test register does in `cnn_init()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfTest {
    /// Start clearing the registers (and the bias memory).
    Clear,
    /// Return the self-test to idle.
    Reset,
}

/// The memory self-test's commands that clear registers (izer `BIST_ZERO_EX`,
/// `BIST_ZERO_BOTH_EX` with the bias memory) and its done bit (`BIST_ZERO_WAIT`).
const BIST_ZERO: u32 = 1 << 12 | 1 << 11 | 1 << 7;
const BIST_ZERO_BIAS: u32 = BIST_ZERO | 1 << 10;
const BIST_ZERO_DONE: u32 = 1 << 25;

/// Every register write of `cnn_init()`, `cnn_configure()` and `cnn_start()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterProgram {
    /// Quadrants the network uses, ascending (quadrant 0 first).
    pub quadrants: Vec<u32>,
    pub init: Vec<InitStep>,
    pub layers: Vec<LayerBlock>,
    /// With `--fifo`: the FIFO control writes closing `cnn_configure()`.
    pub fifo_control: Vec<RegWrite>,
    /// `cnn_start()`: one enable per used quadrant...
    pub enables: Vec<RegWrite>,
    /// ... then the master enable of the first quadrant.
    pub master: RegWrite,
}

impl RegisterProgram {
    /// The writes of `cnn_init()` (its waits and breaks left out).
    pub fn init_writes(&self) -> Vec<RegWrite> {
        self.init
            .iter()
            .filter_map(|s| match s {
                InitStep::Write(w) => Some(*w),
                _ => None,
            })
            .collect()
    }
}

/// What the per-layer computations share.
pub(super) struct Network<'a> {
    pub layers: Vec<HwLayer<'a>>,
    pub quadrants: Vec<u32>,
    /// Kernel column offset and kernel count per layer (convolutions).
    pub kernels: Vec<Option<(u32, u32)>>,
    /// Bias quadrant and byte offset per layer.
    pub bias: Vec<Option<(u32, u32)>>,
    pub chw_input: bool,
    pub fifo: bool,
    pub chip: &'a Chip,
}

impl<'a> Network<'a> {
    fn new(graph: &'a Graph, chip: &'a Chip, fifo: bool) -> Result<Self, LimitError> {
        let limits = &chip.limits;
        let n = graph.nodes.len();
        let mut layers = Vec::with_capacity(n);
        for ll in 0..n {
            layers.push(HwLayer::of(graph, ll, chip).ok_or_else(|| LimitError {
                layer: ll,
                key: "processors",
                message: "the layer has no ai8x placement".into(),
            })?);
        }
        let mut used = layers.iter().fold(0u64, |a, l| a | l.place.processors.0);
        if let Some(last) = layers.last() {
            used |= last.place.output_processors.0;
        }
        let quadrants: Vec<u32> = (0..limits.quadrants)
            .filter(|&q| used & limits.quadrant_bits(q) != 0)
            .collect();
        if quadrants.first() != Some(&0) {
            return Err(LimitError {
                layer: 0,
                key: "processors",
                message: "quadrant 0 must be used".into(),
            });
        }
        let map = allocate_kernels(graph, chip)?;
        let source = |ll: usize| {
            map.reused
                .iter()
                .find(|(l, _)| *l == ll)
                .map_or(ll, |(_, s)| *s)
        };
        let kernels = (0..n)
            .map(|ll| {
                let src = source(ll);
                let offs = map.offsets[src]?;
                let count = KernelGeometry::of(graph, src, chip)?.kern_count(chip)?;
                Some((offs, count))
            })
            .collect();
        let bias_map = allocate_bias(graph, chip);
        let bias = (0..n)
            .map(|ll| {
                if bias_len(graph, ll, chip) == 0 {
                    return None;
                }
                bias_map.placement[ll].or_else(|| {
                    (0..ll)
                        .find(|&o| {
                            bias_len(graph, o, chip) > 0
                                && graph.nodes[o].bias == graph.nodes[ll].bias
                        })
                        .and_then(|o| bias_map.placement[o])
                })
            })
            .collect();
        let chw_input = layers
            .first()
            .is_some_and(|l| l.place.data_format == DataFormat::Chw);
        Ok(Network {
            layers,
            quadrants,
            kernels,
            bias,
            chw_input,
            fifo,
            chip,
        })
    }
}

/// Compute the register program of `graph` (placed for `chip`, checked) with `opts`.
pub fn register_program(
    graph: &Graph,
    chip: &Chip,
    opts: &RegisterOptions,
) -> Result<RegisterProgram, LimitError> {
    let net = Network::new(graph, chip, opts.fifo)?;
    if opts.fast_fifo {
        fast_fifo_rules(&net)?;
    }
    let final_layer = graph.nodes.len().saturating_sub(1) as u32;
    let init = init_steps(&net, opts, final_layer);
    let control = |q: u32, reg: CtlReg, value: u32| {
        RegWrite::new(
            control_register(chip, q, reg.index(chip)),
            value,
            Target::Control(reg),
        )
    };

    let mut layers = Vec::new();
    for ll in 0..net.layers.len() {
        for &q in &net.quadrants {
            let mut regs = layer::layer_registers(&net, ll, q)?;
            stream::push_stream(&net, ll, &mut regs)?;
            let mut writes = Vec::with_capacity(regs.len() + 1);
            for (r, v) in regs {
                let addr = r.address(chip, q, ll as u32).ok_or_else(|| LimitError {
                    layer: ll,
                    key: "processors",
                    message: format!("the {} has no register \"{}\"", chip.part, r.label()),
                })?;
                writes.push(RegWrite::new(addr, v, Target::Layer(r)));
            }
            if ll == 0 && opts.fifo {
                writes.push(control(q, CtlReg::FrameSize, stream::frame_size(&net)));
            }
            layers.push(LayerBlock {
                layer: ll,
                quadrant: q,
                writes,
            });
        }
    }

    let first_map = net.layers.first().map_or(0, |l| l.place.processors.0);
    let fifo_control = fifo_control(&net, opts, first_map);
    // The fast FIFO also feeds the processors after the first of each group of four.
    let fifo_group = opts.fast_fifo && !(first_map != 1 && first_map & 0x0e == 0);
    let fifo_bits = |q: u32| {
        if !opts.fifo {
            0
        } else if first_map & 0x0f << (16 * q) != 0 {
            1 << 15 | u32::from(opts.fast_fifo) << 22 | u32::from(fifo_group) << 23
        } else {
            1 << 15
        }
    };
    let streaming = net.layers.iter().any(|l| l.place.streaming);
    let mut start = 1 << 3;
    if streaming {
        start |= 1 << 14;
    }
    if opts.avg_pool_rounding {
        start |= 1 << 13;
    }
    if opts.fifo {
        start |= 1 << 11;
        if streaming {
            start |= 1 << 19;
        }
    }
    if opts.mexpress {
        start |= 1 << 20;
    }
    // The pipeline stays on (izer's default where there is one): only a streaming CHW first
    // layer sets a bit.
    if chip.registers.pipeline_off_bit.is_some()
        && net.layers.first().is_some_and(|l| l.place.streaming)
        && net.chw_input
    {
        start |= 1 << 6;
    }
    let first = net.quadrants[0];
    let enables = net
        .quadrants
        .iter()
        .map(|&q| {
            let mut f = 1 << 11 | fifo_bits(q);
            if q != first {
                f |= 1;
            }
            control(q, CtlReg::Ctl, start | f | first << 9)
        })
        .collect();
    let mut master = start | 1;
    if first_map & 0x0f << (16 * first) != 0 {
        master |= fifo_bits(first);
    }
    Ok(RegisterProgram {
        quadrants: net.quadrants,
        init,
        layers,
        fifo_control,
        enables,
        master: control(first, CtlReg::Ctl, master),
    })
}

/// `cnn_init()`: on chips that clear their registers first, the clocks, the AON control, the
/// SRAM control and the clearing self-test, then per quadrant the stopped control register and
/// the layer count; otherwise the AON control, then per quadrant control, SRAM control and
/// layer count.
fn init_steps(net: &Network, opts: &RegisterOptions, final_layer: u32) -> Vec<InitStep> {
    let chip = net.chip;
    let control = |q: u32, reg: CtlReg, value: u32, target: Target| {
        RegWrite::new(control_register(chip, q, reg.index(chip)), value, target)
    };
    let write = |q: u32, reg: CtlReg, value: u32| {
        InitStep::Write(control(q, reg, value, Target::Control(reg)))
    };
    let aon = InitStep::Write(RegWrite {
        forced: true,
        ..RegWrite::new(chip.map.aon_control, 0, Target::AonControl)
    });
    let mut ctl = 1 << 3;
    if opts.fifo {
        ctl |= 1 << 15;
    }
    if opts.mexpress {
        ctl |= 1 << 20;
    }
    let mut steps = Vec::new();
    let clear = chip.features.register_clear;
    if clear {
        for &q in &net.quadrants {
            steps.push(InitStep::Write(control(
                q,
                CtlReg::Ctl,
                1 << 3,
                Target::ClockEnable,
            )));
        }
        steps.push(aon);
        for &q in &net.quadrants {
            steps.push(write(q, CtlReg::Sram, 0x40e));
        }
        let bias = net.bias.iter().any(Option::is_some);
        let command = if bias { BIST_ZERO_BIAS } else { BIST_ZERO };
        let test = |q: u32, value: u32, what: SelfTest| {
            control(q, CtlReg::SramTest, value, Target::SelfTest(what))
        };
        for &q in &net.quadrants {
            steps.push(InitStep::Write(test(q, command, SelfTest::Clear)));
        }
        for &q in &net.quadrants {
            steps.push(InitStep::WaitUntilSet {
                addr: control_register(chip, q, CtlReg::SramTest.index(chip)),
                mask: BIST_ZERO_DONE,
            });
        }
        for &q in &net.quadrants {
            steps.push(InitStep::Write(RegWrite {
                forced: true,
                ..test(q, 0, SelfTest::Reset)
            }));
        }
        steps.push(InitStep::Break);
    } else {
        steps.push(aon);
    }
    for &q in &net.quadrants {
        steps.push(write(q, CtlReg::Ctl, ctl));
        if !clear {
            steps.push(write(q, CtlReg::Sram, 0x40e));
        }
        steps.push(write(q, CtlReg::LayerCount, final_layer));
    }
    steps
}

/// The writes closing `cnn_configure()` with `--fifo`: the FIFO control register (enabling
/// the FIFOs whose processors take input channels), or with `--fast-fifo` the fast FIFO's
/// interrupt enable (0) and control (asynchronous, threshold 10).
fn fifo_control(net: &Network, opts: &RegisterOptions, first_map: u64) -> Vec<RegWrite> {
    if !opts.fifo {
        return Vec::new();
    }
    if opts.fast_fifo {
        return vec![
            RegWrite::new(
                net.chip.map.fast_fifo_base + 0x8,
                0,
                Target::FastFifoInterrupts,
            ),
            RegWrite::new(
                net.chip.map.fast_fifo_base,
                10 << 4,
                Target::FastFifoControl,
            ),
        ];
    }
    let mut v = 0x02 << 2 | 0x02 << 7 | 1 << 11;
    let channels = net.layers.first().map_or(0, |l| l.node.in_shape.channels);
    for c in 0..channels {
        if first_map & 1 << ((c % 4) * 16) != 0 {
            v |= 1 << (c % 4 + 12);
        }
    }
    vec![RegWrite::new(
        net.chip.map.fifo_control,
        v,
        Target::FifoControl,
    )]
}

/// What the fast FIFO can feed: one CHW channel or up to four HWC channels, into an 8-bit
/// convolution.
fn fast_fifo_rules(net: &Network) -> Result<(), LimitError> {
    let Some(first) = net.layers.first() else {
        return Ok(());
    };
    let channels = first.node.in_shape.channels;
    let err = |key: &'static str, message: String| {
        Err(LimitError {
            layer: 0,
            key,
            message,
        })
    };
    if net.chw_input && channels > 1 {
        return err(
            "in_channels",
            format!("the fast FIFO takes a single CHW channel, not {channels}"),
        );
    }
    if !net.chw_input && channels > 4 {
        return err(
            "in_channels",
            format!("the fast FIFO takes up to four HWC channels, not {channels}"),
        );
    }
    if first.place.output_width.bits() != 8 {
        return err(
            "output_width",
            "a layer fed by the fast FIFO must write 8-bit output".into(),
        );
    }
    if !first.op.convolves() {
        return err(
            "operation",
            "the fast FIFO needs a convolution in the first layer".into(),
        );
    }
    Ok(())
}
