//! Shared helpers for integration tests: locating `../shared/reference`; `c_harness` builds
//! and runs generated C projects on the host.
#![allow(dead_code)]

pub mod c_harness;
pub mod c_text;
pub mod data;
pub mod tiny;

use std::io::Write;
use std::path::{Path, PathBuf};

/// The ai8x (MAX78000) reference folder, or `None` when `../shared` is absent. The skip
/// message goes straight to the process's stderr, past the test harness's output capture, so
/// it is seen.
pub fn reference_dir() -> Option<PathBuf> {
    reference_dir_of("ai8x")
}

/// The MAX78002 (izer "ai87") reference folder, or `None` (said loudly) when absent.
pub fn reference_dir_ai87() -> Option<PathBuf> {
    reference_dir_of("ai87")
}

/// The reference folder of one chip's networks (`ai8x`: MAX78000, `ai87`: MAX78002), or
/// `None` (said loudly) when it is absent.
pub fn reference_dir_of(family: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference")
        .join(family);
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "\n!!!!! SKIPPED: {} is absent; comparisons with the reference tools did NOT run !!!!!\n",
        dir.display()
    );
    let _ = std::io::stderr().lock().write_all(msg.as_bytes());
    None
}

/// izer's command line `cmd` (from a golden `CMD.txt`) as `qtool convert` arguments: paths
/// mapped into the network's reference folder `net_dir`, the output under `out`,
/// `--sample-input` added where izer used its default.
pub fn izer_command_args(cmd: &str, net_dir: &Path, out: &Path) -> Vec<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    assert_eq!(words[0], "ai8xize.py");
    let local = |w: &str| {
        let name = Path::new(w).file_name().unwrap();
        net_dir.join(name).display().to_string()
    };
    let mut args = vec!["convert".to_string(), "-q".to_string()];
    let mut i = 1;
    let mut sample = false;
    while i < words.len() {
        let w = words[i];
        match w {
            "--checkpoint-file" | "--config-file" | "--sample-input" => {
                sample |= w == "--sample-input";
                args.extend([w.to_string(), local(words[i + 1])]);
                i += 1;
            }
            "--test-dir" => {
                args.extend([w.to_string(), out.display().to_string()]);
                i += 1;
            }
            _ => args.push(w.to_string()),
        }
        i += 1;
    }
    if !sample {
        let npy = std::fs::read_dir(net_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "npy"))
            .unwrap();
        args.extend(["--sample-input".to_string(), npy.display().to_string()]);
    }
    args
}

/// A generated file from its first `#define` on (header comments are each tool's own).
pub fn defines(p: &Path) -> String {
    let t = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    t[t.find("#define").unwrap_or(t.len())..].to_string()
}

/// The 15 reference networks: (folder, yaml, checkpoint, sample) paths.
pub fn reference_networks() -> Vec<(String, PathBuf, PathBuf, PathBuf)> {
    let Some(dir) = reference_dir() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut folders: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    folders.sort_by_key(|e| e.file_name());
    for f in folders {
        let p = f.path();
        let pick = |suffix: &str| {
            std::fs::read_dir(&p)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .find(|q| q.to_string_lossy().ends_with(suffix))
                .unwrap()
        };
        out.push((
            f.file_name().to_string_lossy().into_owned(),
            pick(".yaml"),
            pick(".pth.tar"),
            pick(".npy"),
        ));
    }
    assert_eq!(
        out.len(),
        15,
        "expected 15 reference networks in {}",
        dir.display()
    );
    out
}

/// Write a `.npy` file with the given dtype descriptor and shape text, and `payload` bytes.
pub fn write_npy(path: &std::path::Path, descr: &str, shape: &str, payload: &[u8]) {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(payload);
    std::fs::write(path, bytes).unwrap();
}

/// A reference network loaded into the IR with its checkpoint, and its sample as `[C,H,W]`.
pub fn load_reference(
    yaml: &std::path::Path,
    ckpt: &std::path::Path,
    sample: &std::path::Path,
) -> (qtool::netdesc::ai8x::Built, ndarray::Array3<i64>) {
    load_reference_on(yaml, ckpt, sample, qtool::device::ai8x::ChipId::Max78000)
}

/// [`load_reference`] placed on `chip`.
pub fn load_reference_on(
    yaml: &std::path::Path,
    ckpt: &std::path::Path,
    sample: &std::path::Path,
    chip: qtool::device::ai8x::ChipId,
) -> (qtool::netdesc::ai8x::Built, ndarray::Array3<i64>) {
    let req = qtool::netdesc::ai8x::LoadRequest {
        network: yaml.to_path_buf(),
        checkpoint: Some(ckpt.to_path_buf()),
        sample_input: Some(sample.to_path_buf()),
        ..Default::default()
    };
    let built = qtool::netdesc::ai8x::load_for(&req, chip)
        .unwrap_or_else(|e| panic!("{}: {e}", yaml.display()));
    let input =
        qtool::device::ai8x::sim::input_tensor(&qtool::io::npy::read_i64(sample).unwrap()).unwrap();
    (built, input)
}

/// stdout of a successful command parsed as JSON (panics with stderr otherwise).
pub fn success_json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A reference network with izer golden outputs, loaded into the IR.
pub struct Golden {
    /// `../shared/reference/ai8x/<name>/golden`.
    pub dir: PathBuf,
    pub built: qtool::netdesc::ai8x::Built,
    /// The sample input as `[C, H, W]`.
    pub input: ndarray::Array3<i64>,
}

impl Golden {
    /// A file of izer's project.
    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file))
            .unwrap_or_else(|e| panic!("{}: {e}", self.dir.join(file).display()))
    }
}

/// The golden network `name` loaded with its checkpoint and sample, or `None` (said loudly)
/// when `../shared` is absent.
pub fn golden(name: &str) -> Option<Golden> {
    let dir = reference_dir()?;
    let (_, yaml, ckpt, sample) = reference_networks()
        .into_iter()
        .find(|n| n.0 == name)
        .unwrap_or_else(|| panic!("no reference network {name}"));
    let (built, input) = load_reference(&yaml, &ckpt, &sample);
    Some(Golden {
        dir: dir.join(name).join("golden"),
        built,
        input,
    })
}

/// One `#[test]` per golden network calling `check("<folder>")`: all five with
/// `golden_tests!(check)`, or a list: `golden_tests!(check, mnist => "mnist")`.
#[macro_export]
macro_rules! golden_tests {
    ($check:ident) => {
        golden_tests!(
            $check,
            mnist => "mnist",
            cifar_10 => "cifar-10",
            kws20_v3 => "kws20_v3",
            camvid_unet => "camvid_unet",
            cats_dogs => "cats-dogs",
        );
    };
    ($check:ident, $($test:ident => $folder:literal),+ $(,)?) => {
        $(
            #[test]
            fn $test() {
                $check($folder);
            }
        )+
    };
}

/// The project options of izer's command line in a golden `CMD.txt`.
pub fn golden_options(prefix: &str, cmd: &str) -> qtool::emit::ai8x::ProjectOptions {
    let line = cmd.lines().next().unwrap();
    let has = |flag: &str| line.split_whitespace().any(|w| w == flag);
    let timer = line
        .split_whitespace()
        .skip_while(|w| *w != "--timer")
        .nth(1)
        .map(|t| t.parse().unwrap());
    qtool::emit::ai8x::ProjectOptions {
        prefix: prefix.into(),
        command_line: line.into(),
        softmax: has("--softmax"),
        fifo: has("--fifo"),
        mlator: has("--mlator"),
        unload: !has("--no-unload"),
        kat: !has("--no-kat"),
        timer,
        ..qtool::emit::ai8x::ProjectOptions::default()
    }
}

/// Run `qtool ARGS`; check exit code 2, one to three lines on stderr (warnings aside), no
/// panic, and every `needle` in the message.
pub fn fails_cleanly(args: &[&str], needles: &[&str]) {
    let out = assert_cmd::Command::cargo_bin("qtool")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.contains("WARN")).collect();
    assert!(
        !lines.is_empty() && lines.len() <= 3,
        "expected 1..=3 lines, got: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace") && !err.contains("internal error"),
        "{err}"
    );
    for n in needles {
        assert!(err.contains(n), "`{n}` missing from: {err}");
    }
}
