//! `qtool analyze --compare-sim`: the bit-exact simulator and the fake-quant model of
//! `eval --quantized` agree on every value of every layer, for ai8x's quantized MNIST
//! checkpoint and for a mixed-width QAT checkpoint quantized by `qtool quantize`; the JSON
//! report's schema; bad input exits 2 with one line naming the file.

mod common;

use common::data::put;
use common::{fails_cleanly, success_json};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

/// QAT from epoch 1 with 2- and 4-bit layers (the tiny network's layer1 and layer2).
const POLICY: &str = "start_epoch: 1\nweight_bits: 8\noverrides:\n  layer1:\n    weight_bits: 2\n  layer2:\n    weight_bits: 4\n";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn qtool(args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("qtool")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

/// `qtool analyze --compare-sim` of `ckpt` with `extra` flags.
fn analyze(net: &Path, ckpt: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "analyze",
        "--device",
        "max78000",
        "--network",
        s(net),
        "--checkpoint",
        s(ckpt),
        "--compare-sim",
    ];
    args.extend_from_slice(extra);
    qtool(&args)
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// The report has exactly the documented fields, with their types, one layer per node.
fn check_schema(v: &Value, images: u64, layers: usize) {
    assert_eq!(
        keys(v),
        [
            "all_identical",
            "checkpoint",
            "data",
            "dataset",
            "device",
            "images",
            "layers",
            "mode",
            "network"
        ]
    );
    assert_eq!(v["mode"], "compare-sim");
    assert_eq!(v["device"], "max78000");
    for k in ["checkpoint", "data", "dataset", "network"] {
        assert!(v[k].is_string(), "{k}: {}", v[k]);
    }
    assert!(v["all_identical"].is_boolean());
    assert_eq!(v["images"].as_u64(), Some(images));
    let rows = v["layers"].as_array().unwrap();
    assert_eq!(rows.len(), layers, "{v}");
    for (i, l) in rows.iter().enumerate() {
        assert_eq!(
            keys(l),
            [
                "cosine_float",
                "first_difference",
                "identical",
                "identical_percent",
                "index",
                "max_abs_difference",
                "name",
                "op",
                "shape",
                "values"
            ]
        );
        assert_eq!(l["index"].as_u64(), Some(i as u64));
        assert!(l["name"].is_string() && l["op"].is_string(), "{l}");
        let shape: Vec<u64> = l["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap())
            .collect();
        assert_eq!(shape.len(), 3, "{l}");
        assert_eq!(
            l["values"].as_u64(),
            Some(images * shape.iter().product::<u64>()),
            "{l}"
        );
        assert!(l["identical"].as_u64().unwrap() <= l["values"].as_u64().unwrap());
        let pct = l["identical_percent"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&pct), "{l}");
        assert!(l["max_abs_difference"].as_f64().unwrap() >= 0.0, "{l}");
        let cos = l["cosine_float"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&cos), "{l}");
        match &l["first_difference"] {
            Value::Null => {}
            d => assert_eq!(
                keys(d),
                ["channel", "fake_quant", "image", "simulator", "x", "y"]
            ),
        }
    }
}

/// Every value of every layer bit-identical; the fake-quant and float models close.
fn assert_all_identical(v: &Value, min_cosine: f64) {
    for l in v["layers"].as_array().unwrap() {
        assert_eq!(l["identical"], l["values"], "not bit-identical: {l}");
        assert_eq!(l["identical_percent"].as_f64(), Some(100.0), "{l}");
        assert_eq!(l["max_abs_difference"].as_f64(), Some(0.0), "{l}");
        assert!(l["first_difference"].is_null(), "{l}");
        let cos = l["cosine_float"].as_f64().unwrap();
        assert!(cos >= min_cosine, "float model far from fake-quant: {l}");
    }
    assert_eq!(v["all_identical"], true);
}

/// The per-layer numbers, for the test log.
fn log_layers(what: &str, v: &Value) {
    for l in v["layers"].as_array().unwrap() {
        eprintln!(
            "{what}: layer {} {} {}: {}/{} identical, cosine {}",
            l["index"], l["name"], l["op"], l["identical"], l["values"], l["cosine_float"]
        );
    }
}

#[test]
fn ai8x_quantized_mnist_checkpoint_is_bit_identical_on_every_layer() {
    let Some(refdir) = common::reference_dir() else {
        return;
    };
    let net = refdir.join("mnist/mnist-chw-ai85.yaml");
    let ckpt = refdir.join("mnist/ai85-mnist-qat8-q.pth.tar");
    let v = success_json(&analyze(&net, &ckpt, &["--json"]));
    log_layers("ai8x mnist", &v);
    check_schema(&v, 100, 5);
    assert_all_identical(&v, 0.999);
    assert_eq!(v["dataset"], "mnist");
    let ops: Vec<&str> = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["conv2d", "conv2d", "conv2d", "conv2d", "linear"]);

    // Text: a header, one row per layer, the verdict; --images picks the first N.
    let out = analyze(&net, &ckpt, &["--images", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 1 + 5 + 1, "{text}");
    assert!(lines[0].starts_with("3 images of "), "{text}");
    assert!(
        lines[1].contains("identical") && lines[1].contains("cos"),
        "{text}"
    );
    assert!(
        lines[2].contains("60x28x28") && lines[2].contains("100 %"),
        "{text}"
    );
    assert_eq!(lines[7], "every layer bit-identical", "{text}");
}

#[test]
fn qat_checkpoint_quantized_by_qtool_is_bit_identical_on_every_layer() {
    let dir = tempfile::tempdir().unwrap();
    let (data, net) = common::tiny::setup(dir.path());
    let policy = put(dir.path(), "policy.yaml", POLICY.as_bytes());
    let run = dir.path().join("run");
    let train = qtool(&[
        "train",
        "--quiet",
        "--network",
        s(&net),
        "--data",
        s(&data),
        "--dataset",
        "npy",
        "--epochs",
        "3",
        "--batch-size",
        "16",
        "--lr",
        "0.05",
        "--qat-policy",
        s(&policy),
        "--seed",
        "5",
        "--threads",
        "2",
        "--out",
        s(&run),
    ]);
    assert!(
        train.status.success(),
        "{}",
        String::from_utf8_lossy(&train.stderr)
    );
    let qat = run.join("best.safetensors");
    let quantized = dir.path().join("q.safetensors");
    let q = qtool(&[
        "quantize",
        "--network",
        s(&net),
        "--checkpoint",
        s(&qat),
        "--out",
        s(&quantized),
    ]);
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));

    // 30 test images: the default 100 asks for more than there are.
    let data_flags = ["--dataset", "npy", "--data-dir", s(&data)];
    let mut json = data_flags.to_vec();
    json.push("--json");
    let v = success_json(&analyze(&net, &quantized, &json));
    log_layers("qtool QAT (8/2/4 bits)", &v);
    check_schema(&v, 30, 3);
    assert_all_identical(&v, 0.999);
    assert_eq!(v["dataset"], "npy");

    let text = analyze(&net, &quantized, &data_flags);
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).ends_with("every layer bit-identical\n"));

    // The QAT checkpoint itself is not quantized: one line naming it.
    let args = [
        "analyze",
        "--network",
        s(&net),
        "--checkpoint",
        s(&qat),
        "--compare-sim",
        "--dataset",
        "npy",
        "--data-dir",
        s(&data),
    ];
    fails_cleanly(&args, &[s(&qat), "not a quantized checkpoint"]);
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let net = "networks/ai85net5.yaml";
    let missing = dir.path().join("none.pth.tar");
    let base = |ckpt: &Path| -> Vec<String> {
        ["analyze", "--network", net, "--checkpoint", s(ckpt)]
            .map(String::from)
            .to_vec()
    };
    let run = |extra: &[&str], ckpt: &Path, needles: &[&str]| {
        let mut args = base(ckpt);
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails_cleanly(&args, needles);
    };
    run(&["--compare-sim"], &missing, &["none.pth.tar"]);
    let garbage = put(dir.path(), "garbage.safetensors", b"not a checkpoint");
    run(&["--compare-sim"], &garbage, &["garbage.safetensors"]);
    // No mode (the range table, which reads the checkpoint first), and a mode with zero
    // images.
    for (extra, needle) in [
        (&[][..], "garbage.safetensors"),
        (&["--compare-sim", "--images", "0"][..], "--images"),
    ] {
        let mut args = base(&garbage);
        args.extend(extra.iter().map(|a| a.to_string()));
        let out = qtool(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
    }
    // A data folder that does not exist.
    let nodata = dir.path().join("nodata");
    run(
        &["--compare-sim", "--data-dir", s(&nodata)],
        &garbage,
        &["nodata"],
    );
    // A network description that does not exist.
    fails_cleanly(
        &[
            "analyze",
            "--network",
            s(&dir.path().join("none.yaml")),
            "--checkpoint",
            s(&garbage),
            "--compare-sim",
        ],
        &["none.yaml"],
    );
}
