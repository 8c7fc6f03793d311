//! `qtool sim` from the command line: outputs, files, and exit code 2 with one line for bad
//! input.

mod common;

use assert_cmd::Command;
use std::path::PathBuf;

fn mnist() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let m = common::reference_dir()?.join("mnist");
    Some((
        m.join("mnist-chw-ai85.yaml"),
        m.join("ai85-mnist-qat8-q.pth.tar"),
        m.join("sample_mnist.npy"),
    ))
}

fn qtool() -> Command {
    Command::cargo_bin("qtool").unwrap()
}

#[test]
fn output_npy_holds_the_final_layer() {
    let Some((y, c, s)) = mnist() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    qtool()
        .args(["sim", "--device", "max78000", "-n"])
        .arg(&y)
        .arg("-c")
        .arg(&c)
        .arg("--input")
        .arg(&s)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    let a = qtool::io::npy::read_i64(&out).unwrap();
    assert_eq!(a.shape(), &[10]);
    assert_eq!(a[[7]], 416616);
    assert_eq!(a[[0]], -77992);
}

fn fails_with(args: &[&std::ffi::OsStr], needles: &[&str]) {
    let out = qtool().arg("sim").args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.contains("WARN")).collect();
    assert!(
        !lines.is_empty() && lines.len() <= 3 && !err.contains("panicked"),
        "{err}"
    );
    for n in needles {
        assert!(err.contains(n), "`{n}` missing from {err}");
    }
}

fn npy(dir: &std::path::Path, descr: &str, shape: &str, payload_len: usize) -> PathBuf {
    let p = dir.join("sample.npy");
    common::write_npy(&p, descr, shape, &vec![0; payload_len]);
    p
}

#[test]
fn bad_samples_are_refused() {
    let Some((y, c, _)) = mnist() else { return };
    let dir = tempfile::tempdir().unwrap();
    let base = [
        y.as_os_str(),
        "-c".as_ref(),
        c.as_os_str(),
        "--input".as_ref(),
    ];
    let float = npy(dir.path(), "<f8", "(1, 28, 28)", 8 * 784);
    fails_with(
        &[&["-n".as_ref()], &base[..], &[float.as_os_str()]].concat(),
        &["sample.npy", "float64"],
    );
    let flat = npy(dir.path(), "<i8", "(784,)", 8 * 784);
    fails_with(
        &[&["-n".as_ref()], &base[..], &[flat.as_os_str()]].concat(),
        &["sample.npy", "rank"],
    );
    let rgb = npy(dir.path(), "<i8", "(3, 28, 28)", 8 * 3 * 784);
    fails_with(
        &[&["-n".as_ref()], &base[..], &[rgb.as_os_str()]].concat(),
        &["layer 0", "input channels"],
    );
}

/// `sim --evaluate --json` of the MNIST reference network with `extra` flags, writing the
/// predictions to `pred`: the JSON report and the predictions.
fn evaluate(extra: &[&str], pred: &std::path::Path) -> Option<(serde_json::Value, Vec<i64>)> {
    let (y, c, _) = mnist()?;
    let out = qtool()
        .args(["sim", "-q", "--device", "max78000", "--evaluate", "--json"])
        .args(extra)
        .arg("-n")
        .arg(&y)
        .arg("-c")
        .arg(&c)
        .arg("--predictions")
        .arg(pred)
        .output()
        .unwrap();
    let v = common::success_json(&out);
    let p = qtool::io::npy::read_i64(pred).unwrap();
    assert_eq!(p.shape(), &[2000]);
    Some((v, p.iter().copied().collect()))
}

/// The reference MNIST checkpoint on the bundled 2,000-image test split, through the
/// simulator: izer's own example network, so the accuracy must be high (≥ 98 %).
#[test]
fn evaluate_reference_mnist_on_bundled_data() {
    let dir = tempfile::tempdir().unwrap();
    let Some((v, p)) = evaluate(&[], &dir.path().join("pred.npy")) else {
        return;
    };
    assert_eq!(v["samples"], 2000);
    assert!(v["top1"].as_f64().unwrap() >= 98.0, "{v}");
    assert!(v["images_per_s"].as_f64().unwrap() > 0.0);
    assert!(p.iter().all(|c| (0..10).contains(c)));
}

/// `--threads` changes the speed, never the numbers: one and two threads give the same
/// predictions and the accuracy the image-by-image engine gave (99.55 %).
#[test]
fn evaluate_gives_the_same_predictions_on_any_thread_count() {
    let Some((y, c, _)) = mnist() else { return };
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str| {
        let pred = dir.path().join(format!("pred{threads}.npy"));
        let (v, p) = evaluate(&["--threads", threads], &pred).expect("reference present");
        (v["top1"].as_f64().unwrap(), p)
    };
    let (top1_one, one) = run("1");
    let (top1_two, two) = run("2");
    assert_eq!(one, two);
    assert_eq!(top1_one, top1_two);
    assert!((top1_one - 99.55).abs() < 1e-9, "{top1_one}");
    qtool()
        .args(["sim", "--evaluate", "--threads", "0", "-n"])
        .arg(&y)
        .arg("-c")
        .arg(&c)
        .assert()
        .code(2);
}
