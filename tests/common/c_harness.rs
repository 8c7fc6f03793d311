//! Host-compiled equivalence harness for generated ai8x C projects (test support; the
//! MAX78000 window by default, the MAX78002's through [`HarnessChip`]).
//!
//! Owns the Rust side of `tests/c/`: it compiles a project's C files with the system `gcc`
//! against the SDK stand-in in `tests/c/sdk_stub/`, runs the result and parses what it prints.
//!
//! * [`register_image`]: `cnn.c` run as `cnn_init(); cnn_configure(); cnn_load_weights();
//!   cnn_load_bias(); cnn_start();` with the accelerator window `0x5000_0000..0x5120_0000`
//!   backed by plain memory; the image is every non-zero 32-bit word afterwards.
//! * [`main_calls`]: `main.c` (+ `softmax.c`) linked with recording stand-ins of the `cnn_*`
//!   API and the SDK; one entry per call `main()` makes, in order.
//!   Also the ordered stores of `cnn_load_weights()` ([`register_run`]), which plain memory
//!   alone would partly hide (overlapping `--mexpress` chunks).
//! * [`compare_images`] / [`compare_writes`] / [`compare_calls`] explain the first
//!   differences readably;
//!   [`assert_same_registers`] / [`assert_same_calls`] compare two project folders.
//!
//! Without `gcc` the helpers that tests call first ([`gcc_available`], the `assert_*`) print a
//! loud SKIPPED line to stderr (like `reference_dir`) instead of failing.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Accelerator address → 32-bit value, non-zero words only.
pub type RegisterImage = BTreeMap<u32, u32>;

/// Which chip's address window the register harness maps (and names addresses by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HarnessChip {
    /// `0x5000_0000..0x5120_0000`.
    #[default]
    Max78000,
    /// `0x5000_0000..0x5500_0000` (built with `-DHARNESS_MAX78002`).
    Max78002,
}

impl HarnessChip {
    fn defines(self) -> &'static [&'static str] {
        match self {
            HarnessChip::Max78000 => &[],
            HarnessChip::Max78002 => &["-DHARNESS_MAX78002"],
        }
    }
}

/// `tests/c`, the harness's C sources.
fn harness_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/c")
}

/// Whether `gcc` runs here. When it does not, says so loudly on stderr (past the test
/// harness's output capture) so that a skipped comparison is never mistaken for a pass.
pub fn gcc_available() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    let found = *FOUND.get_or_init(|| {
        Command::new("gcc")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !found {
        let msg = "\n!!!!! SKIPPED: `gcc` is not available; the host-compiled C equivalence \
                   harness did NOT run !!!!!\n";
        let _ = std::io::stderr().lock().write_all(msg.as_bytes());
    }
    found
}

/// Flags for every harness build: the generated C casts between 32-bit integers and pointers
/// (fine on the host because the accelerator window lies below 4 GiB), so those warnings are
/// off; -O0 keeps compilation quick and the volatile accesses exactly as written.
const CFLAGS: &[&str] = &[
    "-std=gnu11",
    "-O0",
    "-fno-strict-aliasing",
    "-Wno-int-to-pointer-cast",
    "-Wno-pointer-to-int-cast",
    "-Wno-format",
];

fn tail(text: &[u8], max_lines: usize) -> String {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(max_lines);
    lines[start..].join("\n")
}

fn run_gcc(args: &[std::ffi::OsString], what: &str) -> Result<(), String> {
    let out = Command::new("gcc")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run gcc for {what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "gcc failed to build {what}:\n{}",
            tail(&out.stderr, 40)
        ))
    }
}

fn exit_explanation(out: &Output) -> String {
    match out.status.code() {
        Some(3) => "main.c called fail() (it would loop forever)".into(),
        Some(97) => "logging the stores of cnn_load_weights() failed".into(),
        Some(98) => "the accelerator window could not be mapped at 0x50000000".into(),
        Some(124) => "timed out (a wait loop that never ends?)".into(),
        Some(c) => format!("exit status {c}"),
        None => format!("killed: {}", out.status),
    }
}

fn required_file(project_dir: &Path, name: &str) -> Result<PathBuf, String> {
    let path = project_dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} is missing", path.display()))
    }
}

/// What `cnn.c` does to the accelerator window in the register harness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRun {
    /// The non-zero words after `cnn_init(); cnn_configure(); cnn_load_weights();
    /// cnn_load_bias(); cnn_start();`.
    pub image: RegisterImage,
    /// Every store of `cnn_load_weights()` in order, as (word address, word after the store).
    /// With `--mexpress` the `KERNELS` chunks overlap on plain memory (cifar-10: 22,256 of
    /// 75,888 words are overwritten by later chunks), so only this log sees every kernel word.
    /// Empty from [`register_image`], and where the log is not supported (it needs x86_64
    /// Linux).
    pub weight_writes: Vec<(u32, u32)>,
}

/// The accelerator words `cnn.c` in `project_dir` leaves after `cnn_init(); cnn_configure();
/// cnn_load_weights(); cnn_load_bias(); cnn_start();` (built with `weights.h` and `cnn.h`
/// from the same folder).
pub fn register_image(project_dir: &Path) -> Result<RegisterImage, String> {
    Ok(run_registers(project_dir, false, HarnessChip::Max78000)?.image)
}

/// [`register_image`] together with the ordered stores of `cnn_load_weights()` (slower: each
/// store is trapped, about 40 µs each, ~3 s for cifar-10's 76,000).
pub fn register_run(project_dir: &Path) -> Result<RegisterRun, String> {
    run_registers(project_dir, true, HarnessChip::Max78000)
}

/// [`register_run`] with `chip`'s address window.
pub fn register_run_on(project_dir: &Path, chip: HarnessChip) -> Result<RegisterRun, String> {
    run_registers(project_dir, true, chip)
}

fn run_registers(
    project_dir: &Path,
    log_writes: bool,
    chip: HarnessChip,
) -> Result<RegisterRun, String> {
    let cnn_c = required_file(project_dir, "cnn.c")?;
    let c = harness_dir();
    let tmp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let exe = tmp.path().join("registers");
    let mut args: Vec<std::ffi::OsString> = CFLAGS.iter().map(Into::into).collect();
    args.extend(chip.defines().iter().map(Into::into));
    args.push("-I".into());
    args.push(c.join("sdk_stub").into());
    args.push("-I".into());
    args.push(project_dir.into());
    args.push("-o".into());
    args.push(exe.clone().into());
    for src in ["registers.c", "harness.c", "sdk_stub/sdk_stub.c"] {
        args.push(c.join(src).into());
    }
    args.push(cnn_c.into());
    let what = format!("the register harness for {}", project_dir.display());
    run_gcc(&args, &what)?;

    let mut cmd = Command::new(&exe);
    if log_writes {
        cmd.arg("--log-weight-writes");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "register harness for {} failed: {}\n{}",
            project_dir.display(),
            exit_explanation(&out),
            tail(&out.stderr, 20)
        ));
    }
    let text = String::from_utf8(out.stdout).map_err(|e| format!("harness output: {e}"))?;
    let mut run = RegisterRun {
        image: RegisterImage::new(),
        weight_writes: Vec::new(),
    };
    for line in text.lines() {
        let parse = |s: Option<&str>| s.and_then(|s| u32::from_str_radix(s, 16).ok());
        let (logged, rest) = match line.strip_prefix("w ") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let mut parts = rest.split(' ');
        match (parse(parts.next()), parse(parts.next()), parts.next()) {
            (Some(addr), Some(value), None) if logged => run.weight_writes.push((addr, value)),
            (Some(addr), Some(value), None) => {
                run.image.insert(addr, value);
            }
            _ => return Err(format!("unexpected register harness line {line:?}")),
        }
    }
    Ok(run)
}

/// The calls `main()` of `main.c` in `project_dir` makes, in order (linked with the folder's
/// `softmax.c` when present, `cnn.h`, `sampledata.h`, `sampleoutput.h`). Entries:
/// * `cnn_enable(0x00000000, 0x00010000)`, `cnn_init()`, … — the `cnn_*` API with arguments
///   (`cnn_unload()` without its buffer); `memcpy32(0x50400000, <196 words, fnv1a 0x…>, 196)`
///   with a digest of the copied words;
/// * `MXC_Delay(2000000)`, `MXC_LP_EnterSleepMode()`, … — SDK calls (`tests/c/sdk_stub`);
/// * `load_input()`, `check_output()`, `softmax_layer()`, `softmax_q17p14_q15()` — entries into
///   functions defined in `main.c` / `softmax.c` (arguments not captured; static functions
///   show as `<static function>()`);
/// * `printf("...")` — printed text, C-escaped.
///
/// `cnn_start()` stores the project's `SAMPLE_OUTPUT` in the accelerator memory and sets
/// `cnn_time` when the program sleeps (or after 0.5 s of spinning), so `check_output()`
/// passes; `fail()`, a crash or a 10 s timeout is an `Err` carrying the calls so far.
pub fn main_calls(project_dir: &Path) -> Result<Vec<String>, String> {
    main_calls_of(project_dir, "main.c")
}

/// [`main_calls`] for the `main()` in `main_file` of `project_dir`: `main_riscv.c` is the
/// application of a `--riscv` project (its `asm volatile("wfi")` assembles to a no-op on the
/// host, so its wait spins until the stand-in interrupt), whose `main.c` is the Arm loader.
pub fn main_calls_of(project_dir: &Path, main_file: &str) -> Result<Vec<String>, String> {
    main_calls_on(project_dir, main_file, HarnessChip::Max78000)
}

/// [`main_calls_of`] with `chip`'s accelerator window mapped.
pub fn main_calls_on(
    project_dir: &Path,
    main_file: &str,
    chip: HarnessChip,
) -> Result<Vec<String>, String> {
    let main_c = required_file(project_dir, main_file)?;
    let c = harness_dir();
    let tmp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let exe = tmp.path().join("calls");
    let mut args: Vec<std::ffi::OsString> = CFLAGS.iter().map(Into::into).collect();
    // Record entries into the project's functions, but not into the harness's own.
    let mut exclude = std::ffi::OsString::from("-finstrument-functions-exclude-file-list=");
    exclude.push(c.as_os_str());
    exclude.push("/");
    args.extend(chip.defines().iter().map(Into::into));
    args.extend([
        "-fno-builtin".into(),
        "-finstrument-functions".into(),
        exclude,
        "-rdynamic".into(),
        "-I".into(),
        c.join("sdk_stub").into(),
        "-I".into(),
        project_dir.into(),
        "-o".into(),
        exe.clone().into(),
    ]);
    for src in ["calls.c", "harness.c", "sdk_stub/sdk_stub.c"] {
        args.push(c.join(src).into());
    }
    args.push(main_c.into());
    let softmax_c = project_dir.join("softmax.c");
    if softmax_c.is_file() {
        args.push(softmax_c.into());
    }
    let what = format!("the calls harness for {}", project_dir.display());
    run_gcc(&args, &what)?;

    let out = Command::new(&exe)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "calls harness for {} failed: {}\n--- last calls ---\n{}\n--- stderr ---\n{}",
            project_dir.display(),
            exit_explanation(&out),
            tail(&out.stdout, 15),
            tail(&out.stderr, 20)
        ));
    }
    let text = String::from_utf8(out.stdout).map_err(|e| format!("harness output: {e}"))?;
    Ok(text.lines().map(str::to_owned).collect())
}

/// The function name of each call entry (the text before its `(`).
pub fn call_names(calls: &[String]) -> Vec<&str> {
    calls
        .iter()
        .map(|c| c.split_once('(').map_or(c.as_str(), |(name, _)| name))
        .collect()
}

/// Layer register names by index `R` (address `Q(g) + 0x10 + R·0x80 + 4·L`).
const LAYER_REGS: [&str; 21] = [
    "RCNT",
    "CCNT",
    "ONED",
    "PRCNT",
    "PCCNT",
    "STRIDE",
    "WPTR_BASE",
    "WPTR_TOFFS",
    "WPTR_MOFFS",
    "WPTR_CHOFFS",
    "RPTR_BASE",
    "LCTL",
    "MCNT",
    "TPTR",
    "ENA",
    "POST",
    "STREAM1",
    "STREAM2",
    "FMAX",
    "IFRM",
    "LCTL2",
];

/// MAX78002 per-layer register names by index `R` (address `Q(g) + 0x10_0000 + 4·R +
/// 0x100·L`).
const LAYER_REGS_78002: [&str; 20] = [
    "NXTLYR",
    "RCNT",
    "CCNT",
    "ONED",
    "PRCNT",
    "PCCNT",
    "STRIDE",
    "WPTR_BASE",
    "WPTR_TOFFS",
    "WPTR_MOFFS",
    "WPTR_CHOFFS",
    "RPTR_BASE",
    "LCTL",
    "LCTL2",
    "MCNT1",
    "MCNT2",
    "OCHAN",
    "TPTR",
    "ENA",
    "POST",
];

/// A readable name for an accelerator address on `chip`.
pub fn describe_address_on(chip: HarnessChip, addr: u32) -> String {
    match chip {
        HarnessChip::Max78000 => describe_address(addr),
        HarnessChip::Max78002 => describe_address_78002(addr),
    }
}

/// A readable name for an accelerator address (MAX78002 map: quadrant `q` at
/// `0x5100_0000 + q·0x100_0000`).
fn describe_address_78002(addr: u32) -> String {
    let Some(rel) = addr.checked_sub(0x5000_0000) else {
        return "outside the accelerator".into();
    };
    if rel < 0x100_0000 {
        return match rel {
            0x0 => "FIFO_CTL".into(),
            0x4 => "FIFO_STAT".into(),
            0x8..=0x14 => format!("FIFO {} data", (rel - 8) / 4),
            0x1000 => "AON_CTL".into(),
            _ => "global register".into(),
        };
    }
    let (q, off) = (rel / 0x100_0000 - 1, rel % 0x100_0000);
    match off {
        0x0 => format!("quadrant {q} CTL"),
        0x4 => format!("quadrant {q} SRAM"),
        0x8 => format!("quadrant {q} LCNT_MAX"),
        0xc => format!("quadrant {q} SRAM_TEST"),
        0x10_8060 => format!("quadrant {q} IFRM"),
        0x11_0000 => format!("quadrant {q} MLAT"),
        0x10_0000..0x10_8000 => {
            let (l, r) = ((off - 0x10_0000) / 0x100, (off - 0x10_0000) % 0x100 / 4);
            match LAYER_REGS_78002.get(r as usize) {
                Some(name) => format!("quadrant {q} layer {l} {name}"),
                None => format!("quadrant {q} layer {l} register {r}"),
            }
        }
        0x10_8000..0x10_8060 => {
            let (r, l) = ((off - 0x10_8000) / 0x20, (off - 0x10_8000) % 0x20 / 4);
            let name = ["STREAM1", "STREAM2", "FMAX"][r as usize];
            format!("quadrant {q} layer {l} {name}")
        }
        0x18_0000..0x20_0000 => format!("quadrant {q} bias memory +0x{:04x}", off - 0x18_0000),
        0x20_0000..0x40_0000 => format!("quadrant {q} TRAM +0x{:06x}", off - 0x20_0000),
        0x40_0000..0x80_0000 => {
            format!("quadrant {q} kernel memory +0x{:06x}", off - 0x40_0000)
        }
        0x80_0000.. => format!("quadrant {q} data memory +0x{:06x}", off - 0x80_0000),
        _ => format!("quadrant {q} register +0x{off:06x}"),
    }
}

/// A readable name for an accelerator address (MAX78000 map).
pub fn describe_address(addr: u32) -> String {
    let Some(rel) = addr.checked_sub(0x5000_0000) else {
        return "outside the accelerator".into();
    };
    let (window, off) = (rel / 0x40_0000, rel % 0x40_0000);
    match off {
        0..0x10_0000 if window == 0 => match rel {
            0x0 => "FIFO_CTL".into(),
            0x4 => "FIFO_STAT".into(),
            0x8..=0x14 => format!("FIFO {} data", (rel - 8) / 4),
            0x1000 => "AON_CTL".into(),
            _ => "global register".into(),
        },
        0..0x10_0000 => format!("quadrant {} data memory +0x{off:05x}", window - 1),
        0x10_0000..0x10_8000 => {
            let reg = off - 0x10_0000;
            let q = window;
            match reg {
                0x0 => format!("quadrant {q} CTL"),
                0x4 => format!("quadrant {q} SRAM"),
                0x8 => format!("quadrant {q} LCNT_MAX"),
                0xc => format!("quadrant {q} SRAM_TEST"),
                0x1000 => format!("quadrant {q} MLAT"),
                0x10..0xab0 => {
                    let (r, l) = ((reg - 0x10) / 0x80, (reg - 0x10) % 0x80 / 4);
                    format!("quadrant {q} layer {l} {}", LAYER_REGS[r as usize])
                }
                _ => format!("quadrant {q} register +0x{reg:04x}"),
            }
        }
        0x10_8000..0x11_0000 => format!("quadrant {window} bias memory +0x{:04x}", off - 0x10_8000),
        0x11_0000..0x18_0000 => format!("quadrant {window} TRAM +0x{:05x}", off - 0x11_0000),
        0x18_0000..0x20_0000 => {
            format!("quadrant {window} kernel memory +0x{:05x}", off - 0x18_0000)
        }
        _ => format!("quadrant {window} +0x{off:06x}"),
    }
}

/// `Ok` when both images hold the same words; otherwise the number of differing words and the
/// first few, each as address (named), expected value and actual value (absent = 0).
pub fn compare_images(expected: &RegisterImage, actual: &RegisterImage) -> Result<(), String> {
    compare_images_on(HarnessChip::Max78000, expected, actual)
}

/// [`compare_images`] naming addresses on `chip`.
pub fn compare_images_on(
    chip: HarnessChip,
    expected: &RegisterImage,
    actual: &RegisterImage,
) -> Result<(), String> {
    let mut diffs = Vec::new();
    let addrs: std::collections::BTreeSet<u32> =
        expected.keys().chain(actual.keys()).copied().collect();
    for addr in addrs {
        let (e, a) = (
            expected.get(&addr).copied().unwrap_or(0),
            actual.get(&addr).copied().unwrap_or(0),
        );
        if e != a {
            diffs.push((addr, e, a));
        }
    }
    if diffs.is_empty() {
        return Ok(());
    }
    const SHOWN: usize = 20;
    let mut msg = format!(
        "{} of {} accelerator words differ (expected {} non-zero words, got {}); first {}:\n",
        diffs.len(),
        expected.len().max(actual.len()),
        expected.len(),
        actual.len(),
        diffs.len().min(SHOWN)
    );
    for &(addr, e, a) in diffs.iter().take(SHOWN) {
        msg += &format!(
            "  0x{addr:08x} ({}): expected 0x{e:08x}, got 0x{a:08x}\n",
            describe_address_on(chip, addr)
        );
    }
    Err(msg)
}

/// `Ok` when both `cnn_load_weights()` store logs are equal; otherwise the first differing
/// store, named.
pub fn compare_writes(expected: &[(u32, u32)], actual: &[(u32, u32)]) -> Result<(), String> {
    compare_writes_on(HarnessChip::Max78000, expected, actual)
}

/// [`compare_writes`] naming addresses on `chip`.
pub fn compare_writes_on(
    chip: HarnessChip,
    expected: &[(u32, u32)],
    actual: &[(u32, u32)],
) -> Result<(), String> {
    let first = expected
        .iter()
        .zip(actual)
        .position(|(e, a)| e != a)
        .unwrap_or(expected.len().min(actual.len()));
    if first == expected.len() && first == actual.len() {
        return Ok(());
    }
    let show = |w: Option<&(u32, u32)>| match w {
        Some(&(addr, value)) => {
            format!(
                "0x{value:08x} at 0x{addr:08x} ({})",
                describe_address_on(chip, addr)
            )
        }
        None => "<no store>".into(),
    };
    Err(format!(
        "cnn_load_weights() stores differ at store #{first} (expected {} stores, got {}):\n  \
         expected {}\n  got      {}\n",
        expected.len(),
        actual.len(),
        show(expected.get(first)),
        show(actual.get(first))
    ))
}

/// [`compare_images`] and [`compare_writes`] together (both reports when both differ).
pub fn compare_runs(expected: &RegisterRun, actual: &RegisterRun) -> Result<(), String> {
    compare_runs_on(HarnessChip::Max78000, expected, actual)
}

/// [`compare_runs`] naming addresses on `chip`.
pub fn compare_runs_on(
    chip: HarnessChip,
    expected: &RegisterRun,
    actual: &RegisterRun,
) -> Result<(), String> {
    let errors: Vec<String> = [
        compare_images_on(chip, &expected.image, &actual.image),
        compare_writes_on(chip, &expected.weight_writes, &actual.weight_writes),
    ]
    .into_iter()
    .filter_map(Result::err)
    .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join(""))
    }
}

/// `Ok` when both call lists are equal; otherwise the first differing position with context.
pub fn compare_calls(expected: &[String], actual: &[String]) -> Result<(), String> {
    let first = expected
        .iter()
        .zip(actual)
        .position(|(e, a)| e != a)
        .unwrap_or(expected.len().min(actual.len()));
    if first == expected.len() && first == actual.len() {
        return Ok(());
    }
    let mut msg = format!(
        "call sequences differ at call #{first} (expected {} calls, got {}):\n",
        expected.len(),
        actual.len()
    );
    for (i, call) in expected
        .iter()
        .enumerate()
        .take(first)
        .skip(first.saturating_sub(3))
    {
        msg += &format!("    #{i} {call}\n");
    }
    let absent = "<no call>".to_string();
    msg += &format!(
        "  expected #{first}: {}\n  got      #{first}: {}\n",
        expected.get(first).unwrap_or(&absent),
        actual.get(first).unwrap_or(&absent)
    );
    Err(msg)
}

/// Panics unless `cnn.c` of both folders leaves the same accelerator words and loads the
/// weights with the same stores (skips loudly without `gcc`).
pub fn assert_same_registers(golden_dir: &Path, ours_dir: &Path) {
    if !gcc_available() {
        return;
    }
    let golden = register_run(golden_dir).unwrap_or_else(|e| panic!("golden: {e}"));
    let ours = register_run(ours_dir).unwrap_or_else(|e| panic!("ours: {e}"));
    if let Err(e) = compare_runs(&golden, &ours) {
        panic!(
            "cnn.c register images differ\n  golden: {}\n  ours:   {}\n{e}",
            golden_dir.display(),
            ours_dir.display()
        );
    }
}

/// Panics unless `main.c` of both folders makes the same calls, and `main_riscv.c` too where
/// the golden folder has one (skips loudly without `gcc`).
pub fn assert_same_calls(golden_dir: &Path, ours_dir: &Path) {
    assert_same_calls_on(golden_dir, ours_dir, HarnessChip::Max78000)
}

/// [`assert_same_calls`] with `chip`'s accelerator window mapped.
pub fn assert_same_calls_on(golden_dir: &Path, ours_dir: &Path, chip: HarnessChip) {
    if !gcc_available() {
        return;
    }
    for file in ["main.c", "main_riscv.c"] {
        if file != "main.c" && !golden_dir.join(file).is_file() {
            continue;
        }
        let golden =
            main_calls_on(golden_dir, file, chip).unwrap_or_else(|e| panic!("golden {file}: {e}"));
        let ours =
            main_calls_on(ours_dir, file, chip).unwrap_or_else(|e| panic!("ours {file}: {e}"));
        if let Err(e) = compare_calls(&golden, &ours) {
            panic!(
                "{file} call sequences differ\n  golden: {}\n  ours:   {}\n{e}",
                golden_dir.display(),
                ours_dir.display()
            );
        }
    }
}

/// The values of a `#define NAME { 0x.., .. }` array in generated C text (`weights.h`,
/// `sampledata.h`, `sampleoutput.h`), or `None` when `name` is not defined there.
pub fn c_array_define(text: &str, name: &str) -> Option<Vec<u32>> {
    let start = text.find(&format!("#define {name} {{"))?;
    let body = &text[start..];
    let body = &body[body.find('{')? + 1..body.find('}')?];
    body.replace('\\', " ")
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            let v = v.trim_start_matches("0x").trim_start_matches("0X");
            u32::from_str_radix(v, 16).ok()
        })
        .collect::<Option<Vec<u32>>>()
}

/// A private copy of a project folder's files (for tests that alter one file).
pub fn copy_project(project_dir: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(project_dir).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), tmp.path().join(entry.file_name())).unwrap();
        }
    }
    tmp
}

/// Compiles `files` of `project_dir` to object files on the host (against the SDK stand-in,
/// with the folder's headers), without linking or running them: the check for projects whose
/// accelerator addresses the harness does not map. `Err` carries gcc's messages.
pub fn compile_objects(project_dir: &Path, files: &[&str]) -> Result<(), String> {
    let c = harness_dir();
    let tmp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    for file in files {
        let src = required_file(project_dir, file)?;
        let mut args: Vec<std::ffi::OsString> = CFLAGS.iter().map(Into::into).collect();
        args.extend([
            "-Wall".into(),
            "-Werror=implicit-function-declaration".into(),
            "-I".into(),
            c.join("sdk_stub").into(),
            "-I".into(),
            project_dir.into(),
            "-c".into(),
            "-o".into(),
            tmp.path().join(format!("{file}.o")).into(),
            src.into(),
        ]);
        run_gcc(&args, &format!("{} of {}", file, project_dir.display()))?;
    }
    Ok(())
}
