//! `qtool convert --device MAX78002` on the seven MAX78002 reference networks
//! (`../shared/reference/ai87`), each with the options of its line in izer's
//! `gen-demos-max78002.sh` (and that script's `--device MAX78002 --timer 0 --display-checkpoint
//! --verbose`):
//!
//! * every project file is written, for the MAX78002 (`TARGET := MAX78002`, no MAX78000 text),
//!   and the generated C compiles on the host against the SDK stand-in in `tests/c/sdk_stub`
//!   (`main.c`, `cnn.c`, `softmax.c`, and `main_riscv.c` with `--riscv`), and runs there:
//!   `cnn.c` in the register harness with the MAX78002's window mapped, `main()` through the
//!   calls harness to a passing known-answer check;
//! * where izer's output is kept (`golden/`: mnist, cifar-10, kws20_v3_1), against it: the C
//!   statements of `main.c` (comments and layout aside; the clock and PLL set-up included),
//!   the operation and memory summary of `main.c` and `cnn.h` character for character, every
//!   code line of the golden `cnn.h`, the Makefile's `TARGET` and `BOARD`, the softmax entry
//!   points, and the calls `main()` makes.

mod common;

use assert_cmd::Command;
use common::c_harness;
use common::c_text::{code, code_lines, statements, summary_block};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The MAX78002 reference folder, or `None` (said loudly) when `../shared` is absent.
fn reference_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/ai87");
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "\n!!!!! SKIPPED: {} is absent; the MAX78002 conversions did NOT run !!!!!\n",
        dir.display()
    );
    let _ = std::io::stderr().lock().write_all(msg.as_bytes());
    None
}

/// izer's common options in `gen-demos-max78002.sh`.
const COMMON: &str = "--device MAX78002 --timer 0 --display-checkpoint --verbose";

/// The network's line of `gen-demos-max78002.sh` (paths as izer has them; they are mapped to
/// the reference folder), the common options in the script's place.
fn izer_line(network: &str) -> String {
    let (head, tail) = match network {
        "mnist" => (
            "--prefix mnist --checkpoint-file trained/ai85-mnist-qat8-q.pth.tar \
             --config-file networks/mnist-chw-ai85.yaml --softmax",
            "",
        ),
        "mnist-riscv" => (
            "--prefix mnist-riscv --checkpoint-file trained/ai85-mnist-qat8-q.pth.tar \
             --config-file networks/mnist-chw-ai85.yaml --softmax",
            "--riscv --riscv-debug",
        ),
        "cifar-10" => (
            "--prefix cifar-10 --checkpoint-file trained/ai85-cifar10-qat8-q.pth.tar \
             --config-file networks/cifar10-nas.yaml --sample-input tests/sample_cifar-10.npy \
             --softmax",
            "",
        ),
        "kws20_v3_1" => (
            "--prefix kws20_v3_1 --checkpoint-file trained/ai87-kws20_v3-qat8-q.pth.tar \
             --config-file networks/ai87-kws20-v3-hwc.yaml --softmax",
            "",
        ),
        "cats-dogs" => (
            "--prefix cats-dogs --checkpoint-file trained/ai85-catsdogs-qat8-q.pth.tar \
             --config-file networks/cats-dogs-hwc-no-fifo.yaml --softmax",
            "",
        ),
        "camvid_unet" => (
            "--prefix camvid_unet --checkpoint-file trained/ai85-camvid-unet-large-fakept-q.pth.tar \
             --config-file networks/camvid-unet-large-fakept.yaml",
            "--overlap-data --mlator --no-unload --max-checklines 8192",
        ),
        "facedet_tinierssd" => (
            "--prefix facedet_tinierssd \
             --checkpoint-file trained/ai87-facedet-tinierssd-qat8-q.pth.tar \
             --config-file networks/ai87-facedet-tinierssd.yaml \
             --sample-input tests/sample_vggface2_facedetection.npy",
            "",
        ),
        other => panic!("no gen-demos-max78002.sh line for {other}"),
    };
    format!("ai8xize.py --test-dir out87 {head} {COMMON} {tail}")
}

/// The project `qtool convert` writes for `network` into `out`, or qtool's complaint.
fn convert(net_dir: &Path, network: &str, out: &Path) -> Result<PathBuf, String> {
    let args = common::izer_command_args(&izer_line(network), net_dir, out);
    let r = Command::cargo_bin("qtool")
        .unwrap()
        .args(&args)
        .output()
        .unwrap();
    if r.status.success() {
        Ok(out.join(network))
    } else {
        Err(format!(
            "qtool {}\nexit {:?}\n{}",
            args.join(" "),
            r.status.code(),
            String::from_utf8_lossy(&r.stderr)
        ))
    }
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

/// The files of the project, for the MAX78002, and the C compiling on the host.
fn check_project(network: &str, ours: &Path, riscv: bool) {
    let mut files = vec![
        "cnn.c",
        "cnn.h",
        "main.c",
        "weights.h",
        "sampledata.h",
        "sampleoutput.h",
        "softmax.c",
        "Makefile",
        "project.mk",
    ];
    if riscv {
        files.extend(["main_riscv.c", "Makefile.ARM", "Makefile.RISCV"]);
    }
    for f in &files {
        assert!(ours.join(f).is_file(), "{network}/{f} is missing");
    }
    // The files of this part of the project (cnn.c and the data headers are checked by their
    // own tests).
    let own = [
        "main.c",
        "main_riscv.c",
        "cnn.h",
        "softmax.c",
        "Makefile",
        "Makefile.ARM",
        "Makefile.RISCV",
        "project.mk",
    ];
    for f in own.iter().filter(|f| files.contains(f)) {
        assert!(
            !read(ours, f).contains("MAX78000"),
            "{network}/{f} names the MAX78000"
        );
    }
    let makefile = if files.contains(&"Makefile.ARM") {
        "Makefile.ARM"
    } else {
        "Makefile"
    };
    assert!(
        read(ours, makefile).contains("TARGET := MAX78002\n"),
        "{network}/{makefile}"
    );
    assert!(read(ours, "cnn.h").contains("(MAX78002)"));
    let main = read(ours, "main.c");
    assert!(
        main.starts_with(&format!("// {network}\n")),
        "{network}/main.c"
    );
    assert!(main.contains("#include <assert.h>\n"));
    assert!(main.contains("MXC_GCR->ipll_ctrl |= MXC_F_GCR_IPLL_CTRL_EN;"));
    if riscv {
        assert!(read(ours, "Makefile").contains("(0x10280000 - __FlashStart)"));
        let app = read(ours, "main_riscv.c");
        assert!(app.contains("cnn_enable(MXC_S_GCR_PCLKDIV_CNNCLKSEL_IPLL"));
        assert!(app.contains("MXC_GCR->ipll_ctrl &= ~MXC_F_GCR_IPLL_CTRL_EN;"));
    } else {
        assert!(main.contains("MXC_GCR->ipll_ctrl &= ~MXC_F_GCR_IPLL_CTRL_EN;"));
    }
    if !c_harness::gcc_available() {
        return;
    }
    let sources: &[&str] = if riscv {
        &["main.c", "main_riscv.c", "cnn.c", "softmax.c"]
    } else {
        &["main.c", "cnn.c", "softmax.c"]
    };
    if let Err(e) = c_harness::compile_objects(ours, sources) {
        panic!("{network}: {e}");
    }
    run_in_harness(network, ours, riscv);
}

/// Against izer's own project for the network.
fn check_golden(network: &str, golden: &Path, ours: &Path) {
    let (gm, om) = (read(golden, "main.c"), read(ours, "main.c"));
    let (gh, oh) = (read(golden, "cnn.h"), read(ours, "cnn.h"));
    let summary = summary_block(&gm);
    assert_eq!(summary_block(&om), summary, "{network}: main.c summary");
    assert_eq!(
        summary_block(&gh),
        summary,
        "{network}: golden cnn.h summary"
    );
    assert_eq!(summary_block(&oh), summary, "{network}: cnn.h summary");

    let (a, b) = (statements(&code(&om)), statements(&code(&gm)));
    if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
        panic!(
            "{network}: main.c statement {i} differs:\n ours:  {:?}\n izer:  {:?}",
            &a[i.saturating_sub(2)..(i + 3).min(a.len())],
            &b[i.saturating_sub(2)..(i + 3).min(b.len())]
        );
    }

    let ours_lines = code_lines(&oh);
    for line in code_lines(&gh) {
        assert!(
            ours_lines.contains(&line),
            "{network}: cnn.h lacks `{line}`"
        );
    }

    let make_var = |text: &str, var: &str| {
        text.lines()
            .find_map(|l| {
                let (name, value) = l.split_once(":=").or_else(|| l.split_once("?="))?;
                (name.trim() == var).then(|| value.trim().to_string())
            })
            .unwrap_or_else(|| panic!("{network}: no {var} in a Makefile"))
    };
    let (gmk, omk) = (read(golden, "Makefile"), read(ours, "Makefile"));
    for var in ["TARGET", "BOARD"] {
        assert_eq!(make_var(&omk, var), make_var(&gmk, var), "{network}: {var}");
    }
    assert!(ours.join("project.mk").is_file());
    let (gs, os) = (read(golden, "softmax.c"), read(ours, "softmax.c"));
    for entry in [
        "void softmax_q17p14_q15(const q31_t *",
        "void softmax_shift_q17p14_q15(q31_t *",
    ] {
        let norm = |t: &str| code(t).replace("* ", "*").replace(" *", "*");
        let e = norm(entry);
        assert!(norm(&gs).contains(&e), "golden softmax.c: {entry}");
        assert!(norm(&os).contains(&e), "{network}/softmax.c: {entry}");
    }

    if !c_harness::gcc_available() {
        return;
    }
    for dir in [golden, ours] {
        if let Err(e) = c_harness::compile_objects(dir, &["main.c", "softmax.c"]) {
            panic!("{network}: {e}");
        }
    }
    c_harness::assert_same_calls_on(golden, ours, c_harness::HarnessChip::Max78002);
}

/// Our project runs on the host: `cnn.c` in the register harness (the MAX78002 window
/// mapped), and `main()` (the RISC-V application's too) through the calls harness to izer's
/// known-answer check, which passes.
fn run_in_harness(network: &str, ours: &Path, riscv: bool) {
    if !c_harness::gcc_available() {
        return;
    }
    let chip = c_harness::HarnessChip::Max78002;
    if let Err(e) = c_harness::register_run_on(ours, chip) {
        panic!("{network}: cnn.c in the register harness: {e}");
    }
    let mains: &[&str] = if riscv {
        &["main.c", "main_riscv.c"]
    } else {
        &["main.c"]
    };
    for main in mains {
        let calls = c_harness::main_calls_on(ours, main, chip)
            .unwrap_or_else(|e| panic!("{network}/{main} in the calls harness: {e}"));
        if *main != "main.c" || !riscv {
            assert!(
                calls.iter().any(|c| c.contains("*** PASS ***")),
                "{network}/{main}: no PASS in {calls:?}"
            );
        }
    }
}

fn check(network: &str) {
    let Some(dir) = reference_dir() else {
        return;
    };
    let net_dir = dir.join(network);
    let tmp = tempfile::tempdir().unwrap();
    let ours = convert(&net_dir, network, tmp.path())
        .unwrap_or_else(|e| panic!("{network} does not convert:\n{e}"));
    check_project(network, &ours, network == "mnist-riscv");
    let golden = net_dir.join("golden");
    if golden.is_dir() {
        check_golden(network, &golden, &ours);
    }
}

#[test]
fn mnist() {
    check("mnist");
}

#[test]
fn mnist_riscv() {
    check("mnist-riscv");
}

#[test]
fn cifar_10() {
    check("cifar-10");
}

#[test]
fn kws20_v3_1() {
    check("kws20_v3_1");
}

#[test]
fn cats_dogs() {
    check("cats-dogs");
}

#[test]
fn camvid_unet() {
    check("camvid_unet");
}

#[test]
fn facedet_tinierssd() {
    check("facedet_tinierssd");
}
