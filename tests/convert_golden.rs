//! `qtool convert` run with each golden project's own izer command line (program name
//! changed, paths mapped to the reference files) against what izer wrote:
//!
//! * `weights.h`, `sampledata.h`, `sampleoutput.h`: every `#define` the same;
//! * `cnn.c`: compiled on the host against the SDK stand-in in `tests/c/`, it leaves the same
//!   words in the accelerator's registers and memories (and stores the weights in the same
//!   order) as izer's `cnn.c`;
//! * `main.c`: the same sequence of calls;
//! * all nine files are there, none carries izer's licence block.
//!
//! `mnist-riscv` (izer's `--riscv --riscv-debug` variant of mnist, its izer output held out)
//! is checked against the mnist golden project instead, which izer generated from the same
//! checkpoint, configuration and sample: the same data headers and `cnn.c` registers, and
//! `main()` calls that differ only where izer's `toplevel.main` treats the RISC-V core
//! differently.

mod common;

use assert_cmd::Command;
use common::c_harness;
use std::path::{Path, PathBuf};

/// izer's command line from `CMD.txt` as qtool arguments: paths mapped into the reference
/// folder, the output under `out`, `--sample-input` added where izer used its default.
fn qtool_args(net_dir: &Path, out: &Path) -> Vec<String> {
    let cmd = std::fs::read_to_string(net_dir.join("golden/CMD.txt")).unwrap();
    common::izer_command_args(cmd.lines().next().unwrap(), net_dir, out)
}

/// `f` of our project exists without izer's licence text; a data header also has izer's
/// `#define`s.
fn check_file(network: &str, ours: &Path, golden: &Path, f: &str) {
    let text =
        std::fs::read_to_string(ours.join(f)).unwrap_or_else(|e| panic!("{network}/{f}: {e}"));
    assert!(
        !text.contains("Maxim Integrated"),
        "{network}/{f}: licence text"
    );
    if ["weights.h", "sampledata.h", "sampleoutput.h"].contains(&f) {
        assert_eq!(
            common::defines(&ours.join(f)),
            common::defines(&golden.join(f)),
            "{network}/{f}"
        );
    }
}

fn check(network: &str) {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let net_dir = dir.join(network);
    let golden = net_dir.join("golden");
    let tmp = tempfile::tempdir().unwrap();
    let args = qtool_args(&net_dir, tmp.path());
    let prefix = args[args.iter().position(|a| a == "--prefix").unwrap() + 1].clone();
    let r = Command::cargo_bin("qtool")
        .unwrap()
        .args(&args)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "{network}: qtool {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&r.stderr)
    );
    let ours: PathBuf = tmp.path().join(prefix);
    for f in [
        "cnn.c",
        "cnn.h",
        "main.c",
        "weights.h",
        "sampledata.h",
        "sampleoutput.h",
        "softmax.c",
        "Makefile",
        "project.mk",
    ] {
        check_file(network, &ours, &golden, f);
    }
    c_harness::assert_same_registers(&golden, &ours);
    c_harness::assert_same_calls(&golden, &ours);
}

golden_tests!(check);

/// The izer command line of the mnist-riscv reference network.
const MNIST_RISCV_CMD: &str = "ai8xize.py --test-dir out --prefix mnist-riscv \
    --checkpoint-file trained/ai85-mnist-qat8-q.pth.tar --config-file networks/mnist-chw-ai85.yaml \
    --softmax --device MAX78000 --timer 0 --display-checkpoint --verbose --riscv --riscv-debug";

/// What izer's RISC-V `main()` calls, derived from its Arm `main()` calls for the same network
/// (izer `toplevel.main`, `riscv=True`): no clock setup, "Waiting..." or debugger delay (the
/// Arm loader does those), `Debug_Init()` (`--riscv-debug`) and the RISC-V cache first, and
/// `asm volatile("wfi")` instead of the SDK sleep call while waiting for the CNN.
fn riscv_calls_from_arm(arm: &[String], arm_prefix: &str, prefix: &str) -> Vec<String> {
    let arm_only = [
        "MXC_ICC_Enable(MXC_ICC0)",
        "MXC_SYS_Clock_Select(MXC_SYS_CLOCK_IPO)",
        "SystemCoreClockUpdate()",
        "printf(\"Waiting...\\n\")",
        "MXC_Delay(2000000)",
        "MXC_LP_EnterSleepMode()",
    ];
    let title = |p: &str| format!("printf(\"\\n*** CNN Inference Test {p} ***\\n\")");
    let mut calls = vec![
        "Debug_Init()".to_string(),
        "MXC_ICC_Enable(MXC_ICC1)".to_string(),
    ];
    calls.extend(
        arm.iter()
            .filter(|c| !arm_only.contains(&c.as_str()))
            .map(|c| {
                if *c == title(arm_prefix) {
                    title(prefix)
                } else {
                    c.clone()
                }
            }),
    );
    calls
}

#[test]
fn mnist_riscv() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let net_dir = dir.join("mnist-riscv");
    let golden = dir.join("mnist/golden");
    let tmp = tempfile::tempdir().unwrap();
    let args = common::izer_command_args(MNIST_RISCV_CMD, &net_dir, tmp.path());
    let r = Command::cargo_bin("qtool")
        .unwrap()
        .args(&args)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "mnist-riscv: qtool {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&r.stderr)
    );
    let ours = tmp.path().join("mnist-riscv");
    for f in [
        "cnn.c",
        "cnn.h",
        "main.c",
        "main_riscv.c",
        "weights.h",
        "sampledata.h",
        "sampleoutput.h",
        "softmax.c",
        "Makefile",
        "Makefile.ARM",
        "Makefile.RISCV",
        "project.mk",
    ] {
        check_file("mnist-riscv", &ours, &golden, f);
    }
    // The RISC-V cnn.c differs from the Arm one only in its interrupt handler and vector.
    c_harness::assert_same_registers(&golden, &ours);
    if !c_harness::gcc_available() {
        return;
    }
    let loader = c_harness::main_calls(&ours).unwrap_or_else(|e| panic!("main.c: {e}"));
    assert_eq!(
        loader,
        [
            "MXC_ICC_Enable(MXC_ICC0)",
            "MXC_SYS_Clock_Select(MXC_SYS_CLOCK_IPO)",
            "SystemCoreClockUpdate()",
            "MXC_SYS_ClockEnable(MXC_SYS_PERIPH_CLOCK_SMPHR)",
            "MXC_NVIC_SetVector(RISCV_IRQn)",
            "MXC_Delay(2000000)",
            "MXC_SYS_ClockEnable(MXC_SYS_PERIPH_CLOCK_CPU1)",
            "MXC_LP_EnterSleepMode()",
        ]
    );
    let arm = c_harness::main_calls(&golden).unwrap_or_else(|e| panic!("golden main.c: {e}"));
    let riscv = c_harness::main_calls_of(&ours, "main_riscv.c")
        .unwrap_or_else(|e| panic!("main_riscv.c: {e}"));
    if let Err(e) =
        c_harness::compare_calls(&riscv_calls_from_arm(&arm, "mnist", "mnist-riscv"), &riscv)
    {
        panic!("main_riscv.c calls differ from izer's RISC-V main:\n{e}");
    }
}
