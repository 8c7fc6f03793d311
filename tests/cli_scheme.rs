//! The device-independent schemes from the command line: `fakequant --scheme quantclip|gfpq`
//! on the documents' numbers, and every bad flag of `train`/`eval`/`fakequant` refused with
//! exit 2 and one line naming the flag and value; a scheme checkpoint refused by `quantize`,
//! `sim` and `convert`.

mod common;

use assert_cmd::Command;
use common::fails_cleanly;
use common::tiny::setup;
use ndarray::{ArrayD, IxDyn};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, values: &[f32]) -> PathBuf {
    let p = dir.join(name);
    let a = ArrayD::from_shape_vec(IxDyn(&[values.len()]), values.to_vec()).unwrap();
    qtool::io::npy::write_f32(&p, &a).unwrap();
    p
}

fn fakequant(args: &[&str], input: &Path, out: &Path) -> (Value, Vec<f32>) {
    let o = Command::cargo_bin("qtool")
        .unwrap()
        .arg("fakequant")
        .args(args)
        .args(["--json", "--overwrite", "--input"])
        .arg(input)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let y = qtool::io::npy::read_f32(out)
        .unwrap()
        .iter()
        .copied()
        .collect();
    (v, y)
}

#[test]
fn fakequant_reproduces_the_documents_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("y.npy");
    let x = write(dir.path(), "x.npy", &[0.30, -0.30, 1.7]);
    let (v, y) = fakequant(
        &["--scheme", "quantclip", "--bits", "8", "--msb", "0"],
        &x,
        &out,
    );
    assert_eq!(y, [0.296875, -0.3046875, 0.9921875]);
    assert_eq!(v["parameters"]["msb"], 0);
    let x = write(dir.path(), "x9.npy", &[377.8, -1008.0]);
    let (_, y) = fakequant(
        &["--scheme", "quantclip", "--bits", "8", "--msb", "9"],
        &x,
        &out,
    );
    assert_eq!(y, [376.0, -512.0]);
    // Values 1…1000 at p = 99: limits (5.995, 995.005), msb 10.
    let v1000: Vec<f32> = (1..=1000).map(|i| i as f32).collect();
    let x = write(dir.path(), "x1000.npy", &v1000);
    let args = [
        "--scheme",
        "quantclip",
        "--bits",
        "8",
        "--msb-percentile",
        "99",
    ];
    let (v, _) = fakequant(&args, &x, &out);
    let p = &v["parameters"];
    assert!((p["lower"].as_f64().unwrap() - 5.995).abs() < 1e-9, "{p}");
    assert!((p["upper"].as_f64().unwrap() - 995.005).abs() < 1e-9, "{p}");
    assert_eq!(p["msb"], 10);
    // GFPQ: the guide's sample 0…9 at 8 bits.
    let x = write(
        dir.path(),
        "g.npy",
        &(0..10).map(|i| i as f32).collect::<Vec<_>>(),
    );
    let (v, y) = fakequant(&["--scheme", "gfpq", "--bits", "8"], &x, &out);
    assert_eq!(v["parameters"]["k_max"], 50);
    assert_eq!((y[0], y[1], y[2], y[4], y[8]), (0.0, 1.0, 2.0, 4.0, 8.0));
    assert_eq!(y[9], 8.724062);
    // `apply` ignores the data; `update` keeps the wider coefficient.
    let args = [
        "--scheme",
        "gfpq",
        "--bits",
        "8",
        "--gfpq-mode",
        "apply",
        "--coefficient",
        "32",
    ];
    let (v, y) = fakequant(&args, &x, &out);
    assert_eq!(
        (v["parameters"]["k_max"].clone(), y[9]),
        (Value::from(32), 4.0)
    );
    let args = [
        "--scheme",
        "gfpq",
        "--bits",
        "8",
        "--gfpq-mode",
        "update",
        "--coefficient",
        "60",
    ];
    assert_eq!(fakequant(&args, &x, &out).0["parameters"]["k_max"], 60);
    let args = [
        "--scheme",
        "gfpq",
        "--bits",
        "8",
        "--gfpq-mode",
        "update",
        "--coefficient",
        "10",
    ];
    assert_eq!(fakequant(&args, &x, &out).0["parameters"]["k_max"], 50);
}

#[test]
fn bad_fakequant_flags_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let x = write(dir.path(), "x.npy", &[0.5]);
    let (x, out) = (x.to_str().unwrap(), dir.path().join("y.npy"));
    let out = out.to_str().unwrap();
    let fq = |extra: &[&str], needles: &[&str]| {
        let mut a = vec!["fakequant", "--input", x, "--out", out];
        a.extend_from_slice(extra);
        fails_cleanly(&a, needles);
    };
    fq(
        &["--scheme", "gfpq", "--bits", "12"],
        &["--bits 12", "8 or 16"],
    );
    fq(&["--scheme", "quantclip", "--bits", "8"], &["--msb"]);
    fq(
        &[
            "--scheme",
            "quantclip",
            "--bits",
            "8",
            "--msb-percentile",
            "0",
        ],
        &["--msb-percentile 0"],
    );
    fq(
        &[
            "--scheme",
            "quantclip",
            "--bits",
            "8",
            "--msb-percentile",
            "101",
        ],
        &["101"],
    );
    fq(
        &["--scheme", "quantclip", "--bits", "30", "--msb", "0"],
        &["30 bits"],
    );
    fq(
        &["--scheme", "gfpq", "--bits", "8", "--gfpq-mode", "apply"],
        &["--coefficient"],
    );
    fq(
        &["--scheme", "gfpq", "--bits", "8", "--gfpq-mode", "often"],
        &["--gfpq-mode", "often"],
    );
    // A non-float array names the file.
    let ints = dir.path().join("i.npy");
    common::write_npy(&ints, "<i8", "(2,)", &[0u8; 16]);
    fails_cleanly(
        &[
            "fakequant",
            "--scheme",
            "gfpq",
            "--bits",
            "8",
            "--input",
            ints.to_str().unwrap(),
            "--out",
            out,
        ],
        &["i.npy"],
    );
}

#[test]
fn bad_training_flags_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (data, net) = setup(dir.path());
    let (data, net) = (data.to_str().unwrap(), net.to_str().unwrap());
    let train = |extra: &[&str], needles: &[&str]| {
        let mut a = vec![
            "train",
            "--network",
            net,
            "--data",
            data,
            "--dataset",
            "npy",
        ];
        a.extend_from_slice(extra);
        fails_cleanly(&a, needles);
    };
    let qc = ["--scheme", "quantclip", "--qat-start", "0"];
    for bad in ["8:6", "0:6:6", "8:6:x"] {
        train(
            &[&qc[..], &["--resolution", bad]].concat(),
            &["--resolution", bad],
        );
    }
    let r = ["--resolution", "8:8:8"];
    for p in ["0", "100.5", "-3"] {
        train(
            &[&qc[..], &r[..], &["--msb-percentile", p]].concat(),
            &["--msb-percentile", p],
        );
    }
    train(
        &[
            &qc[..],
            &r[..],
            &["--msb", "0:9:9", "--msb-percentile", "99"],
        ]
        .concat(),
        &["--msb"],
    );
    train(
        &["--scheme", "gfpq", "--bits", "12", "--qat-start", "0"],
        &["--bits 12"],
    );
    train(
        &["--scheme", "gfpq", "--bits", "8"],
        &["--init-from", "--qat-start"],
    );
    train(&[&qc[..], &r[..], &["--quant-w"]].concat(), &["--quant-w"]);
    train(&["--relax", "1"], &["--relax", "--progressive"]);
    train(
        &["--epochs-per-layer", "2"],
        &["--epochs-per-layer", "--progressive"],
    );
    train(
        &[
            &qc[..],
            &r[..],
            &["--progressive", "lock", "--epochs-per-layer", "0"],
        ]
        .concat(),
        &["--epochs-per-layer 0"],
    );
    train(
        &[
            &qc[..],
            &r[..],
            &["--progressive", "sometimes", "--epochs-per-layer", "1"],
        ]
        .concat(),
        &["--progressive", "sometimes"],
    );
    train(
        &["--progressive", "lock", "--epochs-per-layer", "1"],
        &["--progressive", "--scheme"],
    );
    train(&["--resolution", "8:8:8"], &["--resolution", "--scheme"]);
    train(
        &["--scheme", "int4", "--qat-start", "0"],
        &["--scheme int4"],
    );
}

#[test]
fn scheme_checkpoints_evaluate_but_do_not_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let (data, net) = setup(dir.path());
    let run = |args: &[&str]| {
        Command::cargo_bin("qtool")
            .unwrap()
            .args(args)
            .output()
            .unwrap()
    };
    let (d, n) = (data.to_str().unwrap(), net.to_str().unwrap());
    let f = dir.path().join("f");
    let common = ["--network", n, "--data", d, "--dataset", "npy", "--quiet"];
    let o = run(&[
        &["train"],
        &common[..],
        &["--epochs", "1", "--out", f.to_str().unwrap()],
    ]
    .concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fb = f.join("best.safetensors");
    let g = dir.path().join("g");
    let o = run(&[
        &["train"],
        &common[..],
        &[
            "--epochs",
            "1",
            "--scheme",
            "gfpq",
            "--bits",
            "8",
            "--init-from",
            fb.to_str().unwrap(),
        ],
        &["--out", g.to_str().unwrap()],
    ]
    .concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let gb = g.join("best.safetensors");
    let gs = gb.to_str().unwrap();
    // `eval` runs it (JSON), and post-training quantization of the float checkpoint too.
    for ck in [gs, fb.to_str().unwrap()] {
        let extra: &[&str] = if ck == gs {
            &[]
        } else {
            &["--scheme", "quantclip", "--resolution", "8:8:8"]
        };
        let o = run(&[&["eval", "--json", "--checkpoint", ck], &common[..6], extra].concat());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v["top1"].as_f64().unwrap() > 0.0);
    }
    // Already trained with a scheme: --scheme again is refused; so is --quantized with it.
    fails_cleanly(
        &[
            &[
                "eval",
                "--checkpoint",
                gs,
                "--scheme",
                "gfpq",
                "--bits",
                "8",
            ],
            &common[..6],
        ]
        .concat(),
        &["already quantization-aware"],
    );
    let out = dir.path().join("q.safetensors");
    fails_cleanly(
        &[
            "quantize",
            "--network",
            n,
            "--checkpoint",
            gs,
            "--out",
            out.to_str().unwrap(),
        ],
        &["--scheme gfpq", "qtool eval"],
    );
    fails_cleanly(
        &["sim", "--network", n, "--checkpoint", gs, "--evaluate"],
        &["--scheme gfpq"],
    );
    let prj = dir.path().join("prj");
    fails_cleanly(
        &[
            "convert",
            "--network",
            n,
            "--checkpoint",
            gs,
            "--out",
            prj.to_str().unwrap(),
        ],
        &["--scheme gfpq"],
    );
}
