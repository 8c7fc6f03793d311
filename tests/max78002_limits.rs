//! Networks too large for the MAX78000 but within the MAX78002's limits: refused for
//! `--device max78000` with the limit named (exit 2), accepted for `--device max78002`.
//!
//! * 40 layers (MAX78000: 32, MAX78002: 128), trained, quantized, converted and simulated on
//!   the MAX78002 end to end on the tiny generated data set;
//! * a 200×200 input, whose 40,000 bytes in one data-memory instance exceed the MAX78000's
//!   32 KiB but fit the MAX78002's 80 KiB.

mod common;

use assert_cmd::Command;
use std::path::Path;
use std::process::Output;

fn qtool(args: &[&str], paths: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::cargo_bin("qtool").unwrap();
    cmd.args(args);
    for (flag, path) in paths {
        cmd.arg(flag).arg(path);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: {}\n{}",
        stderr(o),
        String::from_utf8_lossy(&o.stdout)
    );
}

/// `layers` layers on the tiny data set's 1×8×8 input: a 3×3 convolution to 4 channels,
/// `layers − 2` 1×1 convolutions, a flattening classifier to 3 classes; outputs alternate
/// between offsets 0x1000 and 0.
fn deep_net(layers: usize) -> String {
    let mut s = String::from("arch: deep\ndataset: generated\ninput: [1, 8, 8]\nlayers:\n");
    s.push_str(
        "  - processors: 0x1\n    op: conv2d\n    out_channels: 4\n    pad: 1\n    \
         activate: ReLU\n    out_offset: 0x1000\n",
    );
    for l in 1..layers - 1 {
        let offset = if l % 2 == 1 { 0 } else { 0x1000 };
        s.push_str(&format!(
            "  - processors: 0xf\n    op: conv2d\n    kernel_size: 1x1\n    pad: 0\n    \
             out_channels: 4\n    activate: ReLU\n    out_offset: 0x{offset:x}\n"
        ));
    }
    let offset = if layers.is_multiple_of(2) { 0 } else { 0x1000 };
    s.push_str(&format!(
        "  - processors: 0xf\n    op: mlp\n    flatten: true\n    out_channels: 3\n    \
         out_offset: 0x{offset:x}\n"
    ));
    s
}

#[test]
fn forty_layers_are_refused_for_max78000_and_run_on_max78002() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, _) = common::tiny::setup(tmp.path());
    let net = common::data::put(tmp.path(), "deep.yaml", deep_net(40).as_bytes());

    let o = qtool(&["inspect", "--device", "max78000"], &[("--network", &net)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("deep.yaml") && e.contains("`layers`") && e.contains("at most 32"),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");

    let o = qtool(
        &["inspect", "--json", "--device", "max78002"],
        &[("--network", &net)],
    );
    ok(&o, "inspect --device max78002");

    let run = tmp.path().join("run");
    let o = qtool(
        &[
            "train",
            "--quiet",
            "--device",
            "max78002",
            "--epochs",
            "1",
            "--batch-size",
            "16",
            "--threads",
            "2",
            "--dataset",
            "npy",
        ],
        &[("--network", &net), ("--data", &data), ("--out", &run)],
    );
    ok(&o, "train");
    let q = tmp.path().join("deep-q.safetensors");
    let o = qtool(
        &["quantize", "--device", "max78002"],
        &[
            ("--network", &net),
            ("--checkpoint", &run.join("best.safetensors")),
            ("--out", &q),
        ],
    );
    ok(&o, "quantize");

    let sample = tmp.path().join("sample.npy");
    let bytes: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37)).collect();
    std::fs::write(&sample, common::data::npy("|i1", &[1, 8, 8], &bytes)).unwrap();
    let project = tmp.path().join("project");
    let o = qtool(
        &["convert", "--device", "max78002", "--softmax"],
        &[
            ("--network", &net),
            ("--checkpoint", &q),
            ("--sample-input", &sample),
            ("--out", &project),
        ],
    );
    ok(&o, "convert --device max78002");
    for f in ["cnn.c", "cnn.h", "main.c", "weights.h", "sampleoutput.h"] {
        assert!(project.join(f).is_file(), "{f}");
    }
    let o = qtool(
        &["sim", "--device", "max78002"],
        &[
            ("--network", &net),
            ("--checkpoint", &q),
            ("--input", &sample),
            ("--expect", &project.join("sampleoutput.h")),
        ],
    );
    ok(&o, "sim --expect");

    let refused = tmp.path().join("refused");
    let o = qtool(
        &["convert", "--device", "max78000"],
        &[
            ("--network", &net),
            ("--checkpoint", &q),
            ("--sample-input", &sample),
            ("--out", &refused),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("at most 32"), "{}", stderr(&o));
    assert!(!refused.exists(), "nothing written for a refused network");
}

/// One 200×200 CHW channel in (40,000 bytes), pooled to 50×50 by the first layer and to
/// 12×12 by the second, which the classifier flattens.
const WIDE: &str = "arch: wide\ndataset: generated\ninput: [1, 200, 200]\nlayers:\n  - processors: 0x1\n    op: conv2d\n    out_channels: 1\n    max_pool: 4\n    pool_stride: 4\n    pad: 1\n    activate: ReLU\n    data_format: CHW\n    out_offset: 0xa000\n  - processors: 0x1\n    op: conv2d\n    out_channels: 1\n    max_pool: 4\n    pool_stride: 4\n    pad: 1\n    activate: ReLU\n    out_offset: 0\n  - processors: 0x1\n    op: mlp\n    flatten: true\n    out_channels: 3\n    out_offset: 0x1000\n";

#[test]
fn a_forty_kilobyte_instance_is_refused_for_max78000_and_fits_max78002() {
    let tmp = tempfile::tempdir().unwrap();
    let net = common::data::put(tmp.path(), "wide.yaml", WIDE.as_bytes());
    let o = qtool(&["inspect", "--device", "max78000"], &[("--network", &net)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("wide.yaml") && e.contains("layer 0"), "{e}");
    assert!(e.contains("32768-byte") && e.contains("in_offset"), "{e}");
    let o = qtool(&["inspect", "--device", "max78002"], &[("--network", &net)]);
    ok(&o, "inspect --device max78002");
}
