//! `qtool convert` refuses networks that break a MAX78000 hardware limit (5×5 kernel, 33
//! layers, a flatten of more than 16,384 values): exit code 2, a short message naming the file,
//! the layer and the YAML key, and no output directory. The same generator with legal
//! parameters converts, so the refusals are about the limit and nothing else.
//!
//! Everything (YAML, native checkpoint, sample input) is generated here.

mod common;

use assert_cmd::Command;
use ndarray::{ArrayD, IxDyn};
use qtool::checkpoint::native::{LayerMeta, NativeCheckpoint, NativeMeta};
use qtool::ir::{QuantAttrs, QuantScheme, WeightBits};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A generated network: a `kernel`×`kernel` Conv2d from a 1-channel `h`×`w` CHW input to
/// `channels` channels, `layers − 2` 3×3 Conv2d `channels → channels`, then a Linear over the
/// flattened `channels`×`h`×`w` map to 10 outputs.
#[derive(Clone, Copy)]
struct Net {
    kernel: usize,
    layers: usize,
    channels: usize,
    h: usize,
    w: usize,
}

const LEGAL: Net = Net {
    kernel: 3,
    layers: 3,
    channels: 16,
    h: 8,
    w: 8,
};
const OUTPUTS: usize = 10;
const OUTPUT_SHIFT: i32 = -1;

/// Small deterministic integer weights in [-3, 3] (never all zero, so 8-bit).
fn ints(shape: &[usize], seed: usize) -> ArrayD<f32> {
    let n = shape.iter().product::<usize>();
    let v = (0..n).map(|i| ((i * 5 + seed) % 7) as f32 - 3.0).collect();
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

/// Write `net.yaml`, `model.safetensors` and `sample.npy` into `dir`; returns their paths.
fn generate(dir: &Path, n: Net) -> (PathBuf, PathBuf, PathBuf) {
    let mask = |c: usize| format!("0x{:016x}", u64::MAX >> (64 - c));
    let mut yaml = String::from("arch: limitnet\ndataset: test\nlayers:\n");
    let mut tensors = Vec::new();
    let mut metas = Vec::new();
    for i in 0..n.layers {
        let name = format!("l{i}");
        let offset = if i % 2 == 0 { 0x2000 } else { 0 };
        let (shape, text) = if i + 1 == n.layers {
            let feats = n.channels * n.h * n.w;
            let procs = mask(n.channels);
            let t =
                format!("op: mlp\n    flatten: true\n    activate: None\n    processors: {procs}");
            (vec![OUTPUTS, feats], t)
        } else if i == 0 {
            let (k, pad) = (n.kernel, n.kernel / 2);
            let t = format!(
                "op: conv2d\n    kernel_size: {k}x{k}\n    pad: {pad}\n    activate: ReLU\n    data_format: CHW\n    processors: 0x0000000000000001"
            );
            (vec![n.channels, 1, k, k], t)
        } else {
            let procs = mask(n.channels);
            let t = format!(
                "op: conv2d\n    kernel_size: 3x3\n    pad: 1\n    activate: ReLU\n    processors: {procs}"
            );
            (vec![n.channels, n.channels, 3, 3], t)
        };
        write!(yaml, "  - {text}\n    out_offset: 0x{offset:04x}\n").unwrap();
        // ai8x stores the bias scaled by 2^(bits − 1); izer's mapping (and ours) divides it
        // back. Quantization is read from the `weight_bits`/`output_shift` tensors, as in
        // ai8x checkpoints; the metadata records the same values.
        let bias = ints(&[shape[0]], i + 100).mapv(|b| b * 128.0);
        tensors.extend([
            (format!("{name}.op.weight"), ints(&shape, i)),
            (format!("{name}.op.bias"), bias),
            (
                format!("{name}.weight_bits"),
                ArrayD::from_elem(IxDyn(&[1]), 8.0),
            ),
            (
                format!("{name}.output_shift"),
                ArrayD::from_elem(IxDyn(&[1]), OUTPUT_SHIFT as f32),
            ),
        ]);
        metas.push(LayerMeta {
            name,
            quant: QuantAttrs {
                scheme: QuantScheme::Max78000,
                weight_bits: Some(WeightBits::B8),
                bias_bits: Some(8),
                output_shift: Some(OUTPUT_SHIFT),
                act: None,
                ..QuantAttrs::default()
            },
        });
    }
    let y = dir.join("net.yaml");
    std::fs::write(&y, yaml).unwrap();
    let c = dir.join("model.safetensors");
    NativeCheckpoint {
        meta: NativeMeta::new("limitnet", Some(1), metas),
        tensors,
    }
    .write(&c)
    .unwrap();
    let s = dir.join("sample.npy");
    let pixels: Vec<u8> = (0..n.h * n.w)
        .flat_map(|i| ((i % 97) as i64 - 48).to_le_bytes())
        .collect();
    common::write_npy(&s, "<i8", &format!("(1, {}, {})", n.h, n.w), &pixels);
    (y, c, s)
}

/// Generate `n` in a fresh temp dir and run `qtool convert` on it into `<tmp>/proj`.
fn convert(n: Net) -> (std::process::Output, PathBuf, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let (y, c, s) = generate(tmp.path(), n);
    let out = tmp.path().join("proj");
    let r = Command::cargo_bin("qtool")
        .unwrap()
        .args(["convert", "--device", "max78000", "-n"])
        .arg(&y)
        .arg("-c")
        .arg(&c)
        .arg("--sample-input")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    (r, out, tmp)
}

/// Conversion of `n` exits 2 with a short stderr that names `net.yaml` and contains every
/// needle, and writes no output directory.
fn refused(n: Net, needles: &[&str]) {
    let (r, out, _tmp) = convert(n);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "stderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.contains("WARN")).collect();
    assert!(
        !lines.is_empty() && lines.len() <= 3,
        "expected 1..=3 lines, got: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    for needle in [&["net.yaml"], needles].concat() {
        assert!(err.contains(needle), "`{needle}` missing from: {err}");
    }
    assert!(!out.exists(), "{} was written", out.display());
}

#[test]
fn legal_parameters_convert() {
    // The generator's networks are valid, up to each limit the other tests cross.
    for n in [
        LEGAL,
        Net {
            layers: 32,
            ..LEGAL
        },
        // 64 × 16 × 16 = 16,384 values: the largest flatten.
        Net {
            layers: 2,
            channels: 64,
            h: 16,
            w: 16,
            ..LEGAL
        },
    ] {
        let (r, out, _tmp) = convert(n);
        assert!(
            r.status.success(),
            "{} layers, {}x{}x{}: {}",
            n.layers,
            n.channels,
            n.h,
            n.w,
            String::from_utf8_lossy(&r.stderr)
        );
        let cnn_c = std::fs::read_to_string(out.join("cnn.c")).unwrap();
        assert!(
            cnn_c.contains(&format!("Layer {}", n.layers - 1)),
            "{cnn_c}"
        );
        assert!(out.join("weights.h").is_file());
    }
}

#[test]
fn five_by_five_kernel_is_refused() {
    refused(
        Net { kernel: 5, ..LEGAL },
        &["layer 0", "`kernel_size`", "5x5"],
    );
}

#[test]
fn thirty_three_layers_are_refused() {
    refused(
        Net {
            layers: 33,
            ..LEGAL
        },
        &["layer 32", "`layers`", "32"],
    );
}

#[test]
fn flatten_of_more_than_16384_values_is_refused() {
    // 64 × 16 × 17 = 17,408 values (272 pixels per channel, at most 256).
    let n = Net {
        layers: 2,
        channels: 64,
        h: 16,
        w: 17,
        ..LEGAL
    };
    refused(n, &["layer 1", "`flatten`", "17408", "16384"]);
}
