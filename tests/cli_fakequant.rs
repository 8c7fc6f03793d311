//! `qtool fakequant`: one array through one quantizer from the command line — GTI's weight
//! and activation quantizers on gti.md's test vectors, and exit 2 with one line for bad flags.

use assert_cmd::Command;
use ndarray::{ArrayD, IxDyn};
use serde_json::Value;
use std::path::Path;

const K1: [f32; 9] = [0.30, -0.12, 0.05, -0.40, 0.00, 0.22, 0.08, -0.27, 0.61];

fn write(dir: &Path, name: &str, shape: &[usize], values: &[f32]) -> std::path::PathBuf {
    let p = dir.join(name);
    let a = ArrayD::from_shape_vec(IxDyn(shape), values.to_vec()).unwrap();
    qtool::io::npy::write_f32(&p, &a).unwrap();
    p
}

fn run(args: &[&str], input: &Path, out: &Path) -> std::process::Output {
    Command::cargo_bin("qtool")
        .unwrap()
        .arg("fakequant")
        .args(args)
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn gti_weight_and_activation_on_the_spec_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let k1 = write(dir.path(), "k1.npy", &[1, 1, 3, 3], &K1);
    // gti.md §5 vector 8: 2803, mask 5, shift 11, codes × 83.
    let out = dir.path().join("q.npy");
    const MASK5: [&str; 6] = ["--scheme", "gti-weight", "--chip", "2803", "--mask", "5"];
    let o = run(&[&MASK5[..], &["--json"]].concat(), &k1, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["parameters"]["shift"], 11);
    assert_eq!(v["shape"], serde_json::json!([1, 1, 3, 3]));
    let q = qtool::io::npy::read_f32(&out).unwrap();
    let ints: Vec<i32> = q.iter().map(|x| (x * 2048.0) as i32).collect();
    let codes = [7, -3, 1, -10, 0, 5, 2, -7, 15];
    assert_eq!(ints, codes.map(|c| c * 83));
    assert_eq!(v["levels"], 9);
    // The truncating variant (GTI's TensorFlow MDK).
    let t = dir.path().join("t.npy");
    let o = run(&[&MASK5[..], &["--truncate"]].concat(), &k1, &t);
    assert!(o.status.success());
    let ints: Vec<i32> = qtool::io::npy::read_f32(&t)
        .unwrap()
        .iter()
        .map(|x| (x * 2048.0) as i32)
        .collect();
    assert_eq!(ints, [7, -2, 1, -9, 0, 5, 1, -6, 15].map(|c| c * 83));
    // gti.md §5 vector 13: 5-bit ReLU with cap 6.
    let x = write(dir.path(), "x.npy", &[6], &[-1.0, 0.1, 2.9, 3.01, 5.9, 7.0]);
    let y = dir.path().join("y.npy");
    let o = run(&["--scheme", "gti-act", "--cap", "6"], &x, &y);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let codes: Vec<f32> = qtool::io::npy::read_f32(&y)
        .unwrap()
        .iter()
        .map(|v| (v * 31.0 / 6.0).round())
        .collect();
    assert_eq!(codes, [0.0, 1.0, 15.0, 16.0, 30.0, 31.0]);
    // An existing output is kept without --overwrite.
    let o = run(&["--scheme", "gti-act", "--cap", "6"], &x, &y);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_flags_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let k1 = write(dir.path(), "k1.npy", &[1, 1, 3, 3], &K1);
    let flat = write(dir.path(), "flat.npy", &[9], &K1);
    let out = dir.path().join("q.npy");
    let cases: [(&[&str], &Path, &str); 6] = [
        (
            &["--scheme", "gti-weight", "--chip", "2801", "--mask", "5"],
            &k1,
            "--mask 5: the 2801 has masks 1, 3",
        ),
        (
            &["--scheme", "gti-weight", "--mask", "5"],
            &k1,
            "--scheme gti-weight: needs --chip",
        ),
        (
            &["--scheme", "gti-weight", "--chip", "2803"],
            &k1,
            "needs --mask",
        ),
        (
            &["--scheme", "gti-act", "--cap", "-1"],
            &k1,
            "needs --cap, a positive number",
        ),
        (
            &["--scheme", "int4"],
            &k1,
            "--scheme int4: unknown quantizer (known: gti-weight, gti-act, quantclip, gfpq)",
        ),
        (
            &["--scheme", "gti-weight", "--chip", "2803", "--mask", "12"],
            &flat,
            "has shape [9]",
        ),
    ];
    for (args, input, expect) in cases {
        let o = run(args, input, &out);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(expect), "{args:?}: `{expect}` not in {err}");
        assert!(!out.exists());
    }
}
