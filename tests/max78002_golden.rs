//! MAX78002 `cnn.c` against izer's golden projects (`../shared/reference/ai87/<net>/golden`):
//! `qtool convert --device max78002` run with each golden `CMD.txt` line, then both `cnn.c`
//! files compiled on the host by the register harness (`tests/c/`, MAX78002 window) and their
//! accelerator images compared:
//!
//! * `*_registers`: every control, layer and streaming register except the two kernel-memory
//!   registers (`Mask count`, `Mask offset`) — independent of the kernel-memory layout;
//! * `*_mask_registers`: those two, which hold where the kernels were allocated;
//! * `*_memories`: the kernel and bias memories and the order of the kernel stores
//!   (`weights.h`).
//!
//! Also a few register values of the mnist golden worked out by hand from izer's field
//! layout (`mnist_hand_checked_values`).

mod common;

use assert_cmd::Command;
use common::c_harness::{self, HarnessChip, RegisterImage, RegisterRun};
use qtool::device::ai8x::{ChipId, LayerReg, MAX78002, RegisterProgram, Target};
use std::path::{Path, PathBuf};

const CHIP: HarnessChip = HarnessChip::Max78002;

/// Offset of an address inside its quadrant's block (`None` for the global registers).
fn quadrant_offset(addr: u32) -> Option<u32> {
    let rel = addr.checked_sub(0x5100_0000)?;
    Some(rel % 0x100_0000)
}

/// Whether `addr` is one of the kernel-memory registers (layer registers 14 and 15).
fn is_mask_register(addr: u32) -> bool {
    quadrant_offset(addr).is_some_and(|off| {
        (0x10_0000..0x10_8000).contains(&off) && matches!((off - 0x10_0000) % 0x100 / 4, 14 | 15)
    })
}

/// Whether `addr` is a register (global, control, layer or streaming), not a memory.
fn is_register(addr: u32) -> bool {
    quadrant_offset(addr).is_none_or(|off| off < 0x18_0000)
}

fn part(image: &RegisterImage, keep: impl Fn(u32) -> bool) -> RegisterImage {
    image
        .iter()
        .filter(|(a, _)| keep(**a))
        .map(|(a, v)| (*a, *v))
        .collect()
}

/// izer's and qtool's projects for golden network `net`: (temp dir kept alive, golden, ours),
/// or `None` (said loudly) without the reference data or `gcc`.
fn projects(net: &str) -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let net_dir = common::reference_dir_ai87()?.join(net);
    if !c_harness::gcc_available() {
        return None;
    }
    let golden = net_dir.join("golden");
    let cmd = std::fs::read_to_string(golden.join("CMD.txt")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let args = common::izer_command_args(cmd.lines().next().unwrap(), &net_dir, tmp.path());
    let prefix = args[args.iter().position(|a| a == "--prefix").unwrap() + 1].clone();
    let out = Command::cargo_bin("qtool")
        .unwrap()
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{net}: qtool {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = tmp.path().join(prefix);
    Some((tmp, golden, ours))
}

fn run(dir: &Path) -> RegisterRun {
    c_harness::register_run_on(dir, CHIP).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// Compare the part of both images that `keep` selects.
fn check_part(net: &str, what: &str, keep: impl Fn(u32) -> bool + Copy) {
    let Some((_tmp, golden, ours)) = projects(net) else {
        return;
    };
    let (g, o) = (run(&golden), run(&ours));
    let (g, o) = (part(&g.image, keep), part(&o.image, keep));
    assert!(!g.is_empty(), "{net}: no {what} in izer's image");
    if let Err(e) = c_harness::compare_images_on(CHIP, &g, &o) {
        panic!("{net}: {what} differ from izer's cnn.c\n{e}");
    }
}

fn registers(net: &str) {
    check_part(net, "registers", |a| is_register(a) && !is_mask_register(a));
}

fn mask_registers(net: &str) {
    check_part(net, "kernel-memory registers", is_mask_register);
}

fn memories(net: &str) {
    let Some((_tmp, golden, ours)) = projects(net) else {
        return;
    };
    let keep = |a: u32| !is_register(a);
    let (mut g, mut o) = (run(&golden), run(&ours));
    g.image = part(&g.image, keep);
    o.image = part(&o.image, keep);
    if let Err(e) = c_harness::compare_runs_on(CHIP, &g, &o) {
        panic!("{net}: kernel and bias memories differ from izer's\n{e}");
    }
}

#[test]
fn mnist_registers() {
    registers("mnist");
}

#[test]
fn cifar_10_registers() {
    registers("cifar-10");
}

#[test]
fn kws20_v3_1_registers() {
    registers("kws20_v3_1");
}

#[test]
fn mnist_mask_registers() {
    mask_registers("mnist");
}

#[test]
fn cifar_10_mask_registers() {
    mask_registers("cifar-10");
}

#[test]
fn kws20_v3_1_mask_registers() {
    mask_registers("kws20_v3_1");
}

#[test]
fn mnist_memories() {
    memories("mnist");
}

#[test]
fn cifar_10_memories() {
    memories("cifar-10");
}

#[test]
fn kws20_v3_1_memories() {
    memories("kws20_v3_1");
}

/// The mnist golden placed for the MAX78002 and its register program (izer's options).
fn mnist_program() -> Option<RegisterProgram> {
    let dir = common::reference_dir_ai87()?.join("mnist");
    let file = |ext: &str| {
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(ext))
            .unwrap()
    };
    let req = qtool::netdesc::ai8x::LoadRequest {
        network: file(".yaml"),
        checkpoint: Some(file(".pth.tar")),
        sample_input: Some(file(".npy")),
        ..Default::default()
    };
    let built = qtool::netdesc::ai8x::load_for(&req, ChipId::Max78002).unwrap();
    let cmd = std::fs::read_to_string(dir.join("golden/CMD.txt")).unwrap();
    let opts = common::golden_options("mnist", &cmd);
    let program = qtool::device::ai8x::register_program(
        &built.graph,
        &MAX78002,
        &qtool::emit::ai8x::cnn_c::register_options(&opts),
    )
    .unwrap();
    Some(program)
}

/// The value written to `reg` of `layer` in quadrant 0 (`None` when not written).
fn value(p: &RegisterProgram, layer: usize, reg: LayerReg) -> Option<u32> {
    let block = p
        .layers
        .iter()
        .find(|b| b.layer == layer && b.quadrant == 0)?;
    block
        .writes
        .iter()
        .find(|w| w.target == Target::Layer(reg))
        .map(|w| w.value)
}

/// Values from the mnist golden `cnn.c`, each worked out from izer's MAX78002 fields.
#[test]
fn mnist_hand_checked_values() {
    let Some(p) = mnist_program() else {
        return;
    };
    // Layer 0: 28 rows, pad 1: stop row 27, 1 byte to the next start, pad enable (bit 15)
    // with pad − 1 = 0 at bit 13.
    assert_eq!(value(&p, 0, LayerReg::Rcnt), Some(0x0001_801b));
    assert_eq!(value(&p, 0, LayerReg::Ccnt), Some(0x0001_801b));
    // Stride 1 (field 0) and the multi-pass input stride 1 at bit 4.
    assert_eq!(value(&p, 0, LayerReg::Stride), Some(0x10));
    // Output in instance 1 of the group: 0x800 words | 1 << 15.
    assert_eq!(value(&p, 0, LayerReg::WptrBase), Some(0x8800));
    assert_eq!(value(&p, 0, LayerReg::WptrMoffs), Some(0x8000));
    // A 3x3 kernel: (3 − 1) << 22 | (3 − 1) << 18 on top of the MAX78000 bits 0xb60.
    assert_eq!(value(&p, 0, LayerReg::Lctl), Some(0x0088_0b60));
    // Output span 0x1d8 at bit 12.
    assert_eq!(value(&p, 0, LayerReg::Lctl2), Some(0x001d_8000));
    // 60 output kernels: 59 · 8 = 0x1d8 past the layer's first column (mask offset).
    assert_eq!(value(&p, 0, LayerReg::OutputChannels), Some(0x3b));
    let (count, offset) = (
        value(&p, 0, LayerReg::MaskCount).unwrap(),
        value(&p, 0, LayerReg::MaskOffset).unwrap_or(0),
    );
    assert_eq!(count - offset, 0x1d8);
    // Layer 1: 28 rows pooled 2/2 with pad 2: stop 26, 30 bytes to the next start, pad − 1.
    assert_eq!(value(&p, 1, LayerReg::Rcnt), Some(0x001e_a01a));
    assert_eq!(value(&p, 1, LayerReg::Ccnt), Some(0x0002_a01a));
    assert_eq!(value(&p, 1, LayerReg::Stride), Some(0x21));
    // Layer 4 (linear, flattened): 1x1 kernel, 10 outputs of 16 passes.
    assert_eq!(value(&p, 4, LayerReg::Rcnt), Some(0x0001_0000));
    assert_eq!(value(&p, 4, LayerReg::Lctl2), Some(0x0004_800f));
    assert_eq!(value(&p, 4, LayerReg::OutputChannels), Some(0x9f));
    // No MAX78000 combined mask register on this chip.
    assert_eq!(value(&p, 0, LayerReg::Mcnt), None);
}

/// izer's mnist golden mask values, which need the MAX78002 kernel-memory layout.
#[test]
fn mnist_hand_checked_mask_values() {
    let Some(p) = mnist_program() else {
        return;
    };
    assert_eq!(value(&p, 0, LayerReg::MaskCount), Some(0x9ff8));
    assert_eq!(value(&p, 0, LayerReg::MaskOffset), Some(0x9e20));
}

/// `cnn_init()` clears the registers through the self-test, then stops the state machine.
#[test]
fn mnist_init_sequence() {
    let Some(p) = mnist_program() else {
        return;
    };
    let writes: Vec<(u32, u32)> = p
        .init_writes()
        .iter()
        .filter(|w| w.emitted())
        .map(|w| (w.addr, w.value))
        .collect();
    let mut expected = Vec::new();
    let q = |q: u32, off: u32| 0x5100_0000 + q * 0x100_0000 + off;
    expected.extend((0..4).map(|i| (q(i, 0), 0x8)));
    expected.push((0x5000_1000, 0));
    expected.extend((0..4).map(|i| (q(i, 4), 0x40e)));
    expected.extend((0..4).map(|i| (q(i, 0xc), 0x1c80)));
    expected.extend((0..4).map(|i| (q(i, 0xc), 0)));
    for i in 0..4 {
        expected.extend([(q(i, 0), 0x0010_0008), (q(i, 8), 4)]);
    }
    assert_eq!(writes, expected);
}
