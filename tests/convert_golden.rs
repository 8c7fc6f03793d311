//! `qtool convert` run with each golden project's own izer command line (program name
//! changed, paths mapped to the reference files) against what izer wrote:
//!
//! * `weights.h`, `sampledata.h`, `sampleoutput.h`: every `#define` the same;
//! * `cnn.c`: compiled on the host against the SDK stand-in in `tests/c/`, it leaves the same
//!   words in the accelerator's registers and memories (and stores the weights in the same
//!   order) as izer's `cnn.c`;
//! * `main.c`: the same sequence of calls;
//! * all nine files are there, none carries izer's licence block.

mod common;

use assert_cmd::Command;
use common::c_harness;
use std::path::{Path, PathBuf};

/// izer's command line from `CMD.txt` as qtool arguments: paths mapped into the reference
/// folder, the output under `out`, `--sample-input` added where izer used its default.
fn qtool_args(net_dir: &Path, out: &Path) -> Vec<String> {
    let cmd = std::fs::read_to_string(net_dir.join("golden/CMD.txt")).unwrap();
    let words: Vec<&str> = cmd.lines().next().unwrap().split_whitespace().collect();
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

/// The file from its first `#define` on (header comments are qtool's own).
fn defines(p: &Path) -> String {
    let t = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    t[t.find("#define").unwrap_or(t.len())..].to_string()
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
        let text =
            std::fs::read_to_string(ours.join(f)).unwrap_or_else(|e| panic!("{network}/{f}: {e}"));
        assert!(
            !text.contains("Maxim Integrated"),
            "{network}/{f}: licence text"
        );
    }
    for f in ["weights.h", "sampledata.h", "sampleoutput.h"] {
        assert_eq!(
            defines(&ours.join(f)),
            defines(&golden.join(f)),
            "{network}/{f}"
        );
    }
    c_harness::assert_same_registers(&golden, &ours);
    c_harness::assert_same_calls(&golden, &ours);
}

golden_tests!(check);
