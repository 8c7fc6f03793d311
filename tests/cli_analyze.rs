//! `qtool analyze` of float and scheme checkpoints through the binary: the range table, its
//! JSON schema and its statistics; `--extract` giving the logits `eval` scores; `--histograms`
//! writing decodable PNGs; `--compare` with its flags and exit codes; and every bad input
//! exiting 2 with one line naming the flag or file.

mod common;

use burn::tensor::Device;
use common::{fails_cleanly, success_json};
use qtool::data::{DatasetKind, Normalization, Split, load_dataset};
use qtool::train::model::{ModelOptions, TrainModel};
use qtool::train::step::images_tensor;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;

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

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A tiny problem, a float checkpoint trained for one epoch on it, and the folder.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    net: PathBuf,
    float: PathBuf,
}

/// One epoch of training on the tiny problem.
const TRAIN: &str = "train --quiet --dataset npy --epochs 1 --batch-size 16 --threads 2";

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let (data, net) = common::tiny::setup(&root);
        let run = root.join("run");
        let mut args: Vec<&str> = TRAIN.split_whitespace().collect();
        args.extend(["--network", s(&net), "--data", s(&data), "--seed", "3"]);
        args.extend(["--out", s(&run)]);
        ok(&qtool(&args));
        Fixture {
            _dir: dir,
            float: run.join("best.safetensors"),
            root,
            data,
            net,
        }
    }

    /// The analyze command line of `ckpt` on the fixture's data with `extra` flags.
    fn args<'a>(&'a self, ckpt: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "analyze",
            "--network",
            s(&self.net),
            "--checkpoint",
            s(ckpt),
        ];
        args.extend(["--data-dir", s(&self.data), "--dataset", "npy"]);
        args.extend_from_slice(extra);
        args
    }

    fn analyze(&self, ckpt: &Path, extra: &[&str]) -> Output {
        qtool(&self.args(ckpt, extra))
    }

    fn json(&self, ckpt: &Path, extra: &[&str]) -> Value {
        let mut args = extra.to_vec();
        args.push("--json");
        success_json(&self.analyze(ckpt, &args))
    }

    /// A checkpoint trained with `scheme` for one epoch from the float one.
    fn scheme_trained(&self, name: &str, scheme: &[&str]) -> PathBuf {
        let run = self.root.join(name);
        let mut args: Vec<&str> = TRAIN.split_whitespace().collect();
        args.extend(["--network", s(&self.net), "--data", s(&self.data)]);
        args.extend(["--init-from", s(&self.float), "--out", s(&run)]);
        args.extend_from_slice(scheme);
        ok(&qtool(&args));
        run.join("best.safetensors")
    }
}

const QUANTCLIP8: [&str; 4] = ["--scheme", "quantclip", "--resolution", "8:8:8"];
const GFPQ8: [&str; 4] = ["--scheme", "gfpq", "--bits", "8"];

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

/// `v` is an object with exactly the (sorted, space-separated) `names` as keys.
fn assert_keys(v: &Value, names: &str) {
    assert_eq!(keys(v), names.split_whitespace().collect::<Vec<_>>(), "{v}");
}

/// The report's common part, and which modes it holds (the others `null`).
fn check_report(v: &Value, modes: &[&str], scheme: Option<&str>) {
    assert_keys(
        v,
        "checkpoint compare data dataset device extract histograms images mode modes network normalization ranges scheme",
    );
    assert_eq!(v["mode"], "checkpoint");
    let got: Vec<&str> = v["modes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(got, modes);
    for m in ["ranges", "extract", "histograms", "compare"] {
        assert_eq!(v[m].is_null(), !modes.contains(&m), "{m}: {}", v[m]);
    }
    assert_eq!(v["device"], "max78000");
    assert_eq!(v["dataset"], "npy");
    assert_eq!(v["normalization"], "ai8x");
    assert_eq!(
        v["images"], 30,
        "every test image (fewer than the default 100)"
    );
    match scheme {
        Some(name) => assert_eq!(v["scheme"], name),
        None => assert!(v["scheme"].is_null()),
    }
}

/// One kind of values' ranges: the documented keys, limits ordered and covered by their msb,
/// nested by percentile, 100 % at the extremes.
fn check_tensor_ranges(r: &Value, percentiles: &[f64], values: u64) {
    assert_keys(r, "limits max min values");
    assert_eq!(r["values"].as_u64(), Some(values), "{r}");
    let (min, max) = (r["min"].as_f64().unwrap(), r["max"].as_f64().unwrap());
    let limits = r["limits"].as_array().unwrap();
    assert_eq!(limits.len(), percentiles.len());
    let mut last: Option<(f64, f64)> = None;
    for (l, &p) in limits.iter().zip(percentiles) {
        assert_keys(l, "lower msb percentile upper");
        assert_eq!(l["percentile"].as_f64(), Some(p));
        let (lo, hi) = (l["lower"].as_f64().unwrap(), l["upper"].as_f64().unwrap());
        let msb = l["msb"].as_i64().unwrap() as i32;
        assert!(min <= lo && lo <= hi && hi <= max, "{l} in [{min}, {max}]");
        let m = lo.abs().max(hi.abs());
        if m > 0.0 {
            assert!(2f64.powi(msb) >= m && 2f64.powi(msb - 1) < m, "{l}");
        }
        if p == 100.0 {
            assert_eq!((lo, hi), (min, max), "{l}");
        }
        if let Some((a, b)) = last {
            assert!(
                lo <= a && hi >= b,
                "wider limits for a larger percentile: {l}"
            );
        }
        last = Some((lo, hi));
    }
}

/// The range table of the tiny network: three quantized layers and all of them together.
fn check_ranges(v: &Value, percentiles: &[f64]) {
    let r = &v["ranges"];
    assert_keys(r, "all layers percentiles");
    let ps: Vec<f64> = r["percentiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap())
        .collect();
    assert_eq!(ps, percentiles);
    let layers = r["layers"].as_array().unwrap();
    // conv 1→4 3×3 on 8×8, conv 4→4 3×3 after pooling to 4×4, linear 64→3; 30 images.
    let expect = [
        ("conv2d", [36, 30 * 64, 30 * 4 * 64]),
        ("conv2d", [144, 30 * 4 * 16, 30 * 4 * 16]),
        ("linear", [192, 30 * 64, 30 * 3]),
    ];
    assert_eq!(layers.len(), expect.len());
    let mut totals = [0u64; 3];
    for (i, (l, (op, counts))) in layers.iter().zip(expect).enumerate() {
        assert_keys(l, "index input kernel name op output");
        assert_eq!(l["index"].as_u64(), Some(i as u64));
        assert_eq!(l["name"], format!("layer{i}"));
        assert_eq!(l["op"], op);
        for (k, what) in ["kernel", "input", "output"].iter().enumerate() {
            check_tensor_ranges(&l[*what], percentiles, counts[k]);
            totals[k] += counts[k];
        }
    }
    assert_keys(&r["all"], "input kernel output");
    for (k, what) in ["kernel", "input", "output"].iter().enumerate() {
        check_tensor_ranges(&r["all"][*what], percentiles, totals[k]);
        let min = layers.iter().map(|l| l[*what]["min"].as_f64().unwrap());
        assert_eq!(
            r["all"][*what]["min"].as_f64(),
            min.reduce(f64::min),
            "{what}"
        );
    }
    // The first layer's input is the ai8x-normalized image: n/128 in [−1, 127/128].
    let input = &layers[0]["input"];
    assert!(input["min"].as_f64().unwrap() >= -1.0 && input["max"].as_f64().unwrap() <= 1.0);
}

#[test]
fn range_table_of_float_and_scheme_models() {
    let f = Fixture::new();
    let default = [95.0, 98.0, 99.9, 99.99];
    let v = f.json(&f.float, &[]);
    check_report(&v, &["ranges"], None);
    check_ranges(&v, &default);

    let v = f.json(
        &f.float,
        &[&QUANTCLIP8[..], &["--percentiles", "50, 99,100"]].concat(),
    );
    check_report(&v, &["ranges"], Some("quantclip"));
    check_ranges(&v, &[50.0, 99.0, 100.0]);
    // quantclip truncates raw sums onto its grid (8 bits under an msb of about 0: steps of
    // about 2^−7), the float model's are not on it.
    let on_grid = |v: &Value| {
        let lower = v["ranges"]["layers"][0]["output"]["min"].as_f64().unwrap();
        (lower * 4096.0).fract() == 0.0
    };
    assert!(on_grid(&v), "{}", v["ranges"]["layers"][0]["output"]);
    let float = f.json(&f.float, &[]);
    assert!(
        !on_grid(&float),
        "{}",
        float["ranges"]["layers"][0]["output"]
    );

    let v = f.json(&f.float, &GFPQ8);
    check_report(&v, &["ranges"], Some("gfpq"));
    check_ranges(&v, &default);
    // The kernel is the checkpoint's, whatever the scheme.
    assert_eq!(
        v["ranges"]["layers"][1]["kernel"],
        float["ranges"]["layers"][1]["kernel"]
    );

    // A checkpoint trained with a scheme runs under it without --scheme.
    let trained = f.scheme_trained("qc", &QUANTCLIP8);
    let v = f.json(&trained, &["--ranges"]);
    check_report(&v, &["ranges"], Some("quantclip"));
    check_ranges(&v, &default);

    // Text: the model, a header with one column per percentile, three rows per layer and
    // three for all layers.
    let text = ok(&f.analyze(&f.float, &["--percentiles", "99,100"]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("float model, 30 images"), "{text}");
    let head = lines.iter().position(|l| l.starts_with("layer ")).unwrap();
    assert!(
        lines[head].contains(" 99 % ") && lines[head].ends_with(" 100 %"),
        "{text}"
    );
    assert_eq!(lines.len(), head + 1 + 4 * 3, "{text}");
    assert!(lines[head + 1].starts_with("layer0") && lines[head + 1].contains("kernel"));
    assert!(lines[head + 10].starts_with("(all layers)"), "{text}");
    assert!(lines[head + 1].contains("msb"), "{text}");
}

/// The float checkpoint's network and parameters, through the library.
fn float_graph(f: &Fixture) -> qtool::ir::Graph {
    let target = qtool::device::default_target();
    let test = load_dataset(DatasetKind::Npy, &f.data, Split::Test).unwrap();
    let mut graph = qtool::jobs::train::load_network(target.as_ref(), &f.net, None, &test).unwrap();
    qtool::train::progress::load_into(&f.float, &mut graph).unwrap();
    graph
}

/// The logits of the float checkpoint on the whole test split, through the library.
fn float_logits(f: &Fixture) -> Vec<f32> {
    let test = load_dataset(DatasetKind::Npy, &f.data, Split::Test).unwrap();
    let graph = float_graph(f);
    let device = Device::flex();
    let model = TrainModel::new(&graph, &ModelOptions::default(), &device).unwrap();
    let lut = Normalization::Ai8x.table();
    let x: Vec<f32> = test.images.iter().map(|&p| lut[usize::from(p)]).collect();
    let logits = model
        .forward(images_tensor(x, [test.len(), 1, 8, 8], &device))
        .unwrap();
    logits.into_data().try_into_vec_as::<f32>().unwrap()
}

/// `qtool eval --json` of the float checkpoint (with `scheme` flags).
fn eval(f: &Fixture, scheme: &[&str]) -> Value {
    let mut args = vec!["eval", "--json", "--network", s(&f.net)];
    args.extend([
        "--checkpoint",
        s(&f.float),
        "--data",
        s(&f.data),
        "--dataset",
        "npy",
    ]);
    args.extend_from_slice(scheme);
    success_json(&qtool(&args))
}

/// Mean cross-entropy (f64) and top-1 (percent) of logit rows against the test labels.
fn score(logits: &[f32], f: &Fixture) -> (f64, f64) {
    let test = load_dataset(DatasetKind::Npy, &f.data, Split::Test).unwrap();
    let k = logits.len() / test.len();
    let (mut loss, mut right) = (0.0, 0);
    for (row, &label) in logits.chunks(k).zip(&test.labels) {
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
        let sum: f64 = row.iter().map(|&v| (v as f64 - max).exp()).sum();
        loss += max + sum.ln() - row[usize::from(label)] as f64;
        let best = (0..k).max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)));
        right += usize::from(best == Some(usize::from(label)));
    }
    let n = test.len() as f64;
    (loss / n, 100.0 * right as f64 / n)
}

/// `logits` score the loss and top-1 `qtool eval` reports (with `scheme` flags).
fn scores_as_eval(logits: &[f32], f: &Fixture, scheme: &[&str]) {
    let e = eval(f, scheme);
    let (loss, top1) = score(logits, f);
    let want = e["loss"].as_f64().unwrap();
    assert!((loss - want).abs() < 1e-5, "{loss} vs {e}");
    assert_eq!(top1, e["top1"].as_f64().unwrap());
}

/// Each output is its raw sum plus its channel's bias, clamped to `[lo, 127/128]` (ReLU or
/// the MAX78000's 8-bit range); at least `min_inside` inside the clamp.
fn check_raw(raw: &[f32], out: &[f32], bias: &[f32], plane: usize, lo: f32, min_inside: usize) {
    let top = 127.0 / 128.0;
    let mut inside = 0;
    for (i, (r, o)) in raw.iter().zip(out).enumerate() {
        let y = r + bias[(i / plane) % bias.len()];
        assert!((y.clamp(lo, top) - o).abs() < 1e-5, "{i}: {y} vs {o}");
        inside += usize::from(y > lo && y < top);
    }
    assert!(inside >= min_inside, "{inside}");
}

fn read(dir: &Path, file: &str) -> (Vec<usize>, Vec<f32>) {
    let a = qtool::io::npy::read_f32(&dir.join(file)).unwrap();
    (a.shape().to_vec(), a.iter().copied().collect())
}

#[test]
fn extracted_last_layer_is_evals_logits() {
    let f = Fixture::new();
    let dir = f.root.join("extract");
    let v = f.json(&f.float, &["--extract", s(&dir)]);
    check_report(&v, &["extract"], None);
    let file = |index: usize, kind: &str, suffix: &str, shape: [usize; 4]| {
        let file = format!("layer{index}{suffix}");
        assert_eq!(read(&dir, &file).0, shape, "{file}");
        json!({"index": index, "layer": format!("layer{index}"), "kind": kind, "file": file,
               "shape": shape})
    };
    let mut want = Vec::new();
    for (i, shape) in [[30, 4, 8, 8], [30, 4, 4, 4], [30, 3, 1, 1]]
        .into_iter()
        .enumerate()
    {
        want.push(file(i, "output", ".npy", shape));
        want.push(file(i, "raw", ".raw.npy", shape));
    }
    assert_eq!(v["extract"]["files"], Value::Array(want));
    assert_eq!(v["extract"]["dir"], s(&dir));

    // The last layer is the model's logits, bit for bit, and scores as `eval` does.
    let (_, logits) = read(&dir, "layer2.npy");
    let direct = float_logits(&f);
    assert_eq!(logits.len(), direct.len());
    for (a, b) in logits.iter().zip(&direct) {
        assert_eq!(a.to_bits(), b.to_bits(), "{a} vs {b}");
    }
    scores_as_eval(&logits, &f, &[]);

    // The raw sum is the output before the bias and the clamp of the MAX78000's 8-bit
    // output range [−1, 127/128] (the linear layer has no activation, the first layer ReLU).
    let graph = float_graph(&f);
    let bias = |i: usize| graph.nodes[i].bias.clone().unwrap().to_vec();
    let (_, raw) = read(&dir, "layer2.raw.npy");
    check_raw(&raw, &logits, &bias(2), 1, -1.0, 10);
    let (_, raw) = read(&dir, "layer0.raw.npy");
    let (_, out) = read(&dir, "layer0.npy");
    check_raw(&raw, &out, &bias(0), 64, 0.0, 100);

    // Under a scheme: the fake-quantized logits score as `eval --scheme` does.
    let qdir = f.root.join("extract-q");
    ok(&f.analyze(
        &f.float,
        &[&QUANTCLIP8[..], &["--extract", s(&qdir), "--images", "30"]].concat(),
    ));
    let (_, qlogits) = read(&qdir, "layer2.npy");
    scores_as_eval(&qlogits, &f, &QUANTCLIP8);
    assert!(
        qlogits.iter().zip(&logits).any(|(a, b)| a != b),
        "quantized"
    );

    // An existing folder is kept without --overwrite, and replaced with it.
    let args = f.args(&f.float, &["--extract", s(&dir), "--images", "2"]);
    fails_cleanly(&args, &[s(&dir), "--overwrite"]);
    assert_eq!(read(&dir, "layer2.npy").0[0], 30, "untouched");
    let mut args = args.clone();
    args.push("--overwrite");
    ok(&qtool(&args));
    assert_eq!(read(&dir, "layer2.npy").0[0], 2);
}

#[test]
fn histograms_are_pngs_of_every_quantized_layer() {
    let f = Fixture::new();
    let dir = f.root.join("hist");
    let v = f.json(
        &f.float,
        &[
            &GFPQ8[..],
            &["--histograms", s(&dir), "--percentiles", "90,99"],
        ]
        .concat(),
    );
    check_report(&v, &["histograms"], Some("gfpq"));
    let h = &v["histograms"];
    assert_keys(h, "dir files height width");
    let (w, ht) = (h["width"].as_u64().unwrap(), h["height"].as_u64().unwrap());
    let files = h["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|e| e["file"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["layer0.png", "layer1.png", "layer2.png", "all_layers.png"]
    );
    assert!(files[3]["layer"].is_null() && files[3]["index"].is_null());
    assert_eq!(files[1]["layer"], "layer1");
    let mut listed: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        ["all_layers.png", "layer0.png", "layer1.png", "layer2.png"]
    );
    for name in names {
        let img = image::open(dir.join(name)).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (w as u32, ht as u32), "{name}");
        // Bars (grey) and the two percentiles' limit lines (red, blue) are drawn.
        for c in [[150, 150, 150], [220, 0, 0], [0, 90, 220]] {
            assert!(img.pixels().any(|p| p.0 == c), "{name}: colour {c:?}");
        }
    }
    // With the range table and --extract in the same run.
    let ex = f.root.join("ex");
    let v = f.json(
        &f.float,
        &[
            "--histograms",
            s(&dir),
            "--overwrite",
            "--ranges",
            "--extract",
            s(&ex),
        ],
    );
    check_report(&v, &["ranges", "extract", "histograms"], None);
    assert!(ex.join("layer1.raw.npy").is_file());
    let args = f.args(&f.float, &["--histograms", s(&dir)]);
    fails_cleanly(&args, &[s(&dir), "exists"]);
}

fn cosines(v: &Value) -> Vec<f64> {
    v["compare"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["cosine"].as_f64().unwrap())
        .collect()
}

#[test]
fn compare_flags_layers_and_fails_below_a_threshold() {
    let f = Fixture::new();
    let v = f.json(&f.float, &[&QUANTCLIP8[..], &["--compare"]].concat());
    check_report(&v, &["compare"], Some("quantclip"));
    let c = &v["compare"];
    assert_keys(
        c,
        "fail_below failed flag_below flagged layers min_cosine reference",
    );
    assert!(c["reference"].is_null() && c["fail_below"].is_null());
    assert_eq!(c["flag_below"].as_f64(), Some(0.98));
    assert_eq!(c["failed"], false);
    let layers = c["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    let shapes = [[4, 8, 8], [4, 4, 4], [3, 1, 1]];
    for (i, (l, shape)) in layers.iter().zip(shapes).enumerate() {
        assert_keys(l, "cosine flagged index name op shape values");
        assert_eq!(l["index"].as_u64(), Some(i as u64));
        let got: Vec<u64> = l["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap())
            .collect();
        assert_eq!(got, shape);
        assert_eq!(
            l["values"].as_u64(),
            Some(30 * shape.iter().product::<u64>())
        );
        let cos = l["cosine"].as_f64().unwrap();
        assert!(cos > 0.98 && cos < 1.0, "8 bits: close but not equal: {l}");
        assert_eq!(l["flagged"], false);
    }
    assert!(c["flagged"].as_array().unwrap().is_empty());
    let min = cosines(&v).into_iter().fold(1.0, f64::min);
    assert_eq!(c["min_cosine"].as_f64(), Some(min));

    // The float checkpoint as --reference is the default reference.
    let args = [&QUANTCLIP8[..], &["--compare", "--reference", s(&f.float)]].concat();
    let r = f.json(&f.float, &args);
    assert_eq!(r["compare"]["reference"], s(&f.float));
    assert_eq!(cosines(&r), cosines(&v));

    // A threshold that 8 bits pass: exit 0.
    let args = [&QUANTCLIP8[..], &["--compare", "--fail-below", "0.9"]].concat();
    let out = f.analyze(&f.float, &args);
    let text = ok(&out);
    assert!(text.contains("--fail-below 0.9: passed"), "{text}");
    assert!(text.contains("every layer at or above 0.98"), "{text}");

    // 2 bits everywhere against a harsh threshold: flagged, exit 1, the report printed.
    let harsh = [
        "--scheme",
        "quantclip",
        "--resolution",
        "2:2:2",
        "--compare",
    ];
    let out = f.analyze(
        &f.float,
        &[&harsh[..], &["--fail-below", "0.9999", "--json"]].concat(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["compare"]["failed"], true);
    assert_eq!(v["compare"]["fail_below"].as_f64(), Some(0.9999));
    let flagged = v["compare"]["flagged"].as_array().unwrap();
    assert!(!flagged.is_empty(), "{v}");
    let out = f.analyze(
        &f.float,
        &[&harsh[..], &["--fail-below", "0.9999"]].concat(),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("< 0.98") && text.contains("FAILED"), "{text}");

    // GFPQ, and a checkpoint trained with a scheme (no --scheme): exit 0.
    let v = f.json(
        &f.float,
        &[&GFPQ8[..], &["--compare", "--fail-below", "0.5"]].concat(),
    );
    check_report(&v, &["compare"], Some("gfpq"));
    assert_eq!(v["compare"]["failed"], false);
    let trained = f.scheme_trained("gf", &GFPQ8);
    let v = f.json(&trained, &["--compare"]);
    check_report(&v, &["compare"], Some("gfpq"));
    assert!(cosines(&v).iter().all(|&c| c > 0.9 && c <= 1.0), "{v}");
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let f = Fixture::new();
    let float = f.float.as_path();
    let run = |extra: &[&str], needles: &[&str]| fails_cleanly(&f.args(float, extra), needles);
    for (p, shown) in [("0", "0"), ("101", "101"), ("-5", "-5"), ("nan", "NaN")] {
        run(
            &["--percentiles", p],
            &[&format!("--percentiles {shown}:"), "(0, 100]"],
        );
    }
    run(
        &["--percentiles", "95,1e3"],
        &["--percentiles 1000", "(0, 100]"],
    );
    run(
        &["--percentiles", "abc"],
        &["--percentiles", "abc", "not a number"],
    );
    run(
        &["--percentiles", "95,"],
        &["--percentiles", "not a number"],
    );
    for t in ["0", "1.5", "-1"] {
        run(
            &[&QUANTCLIP8[..], &["--compare", "--fail-below", t]].concat(),
            &["--fail-below", t, "(0, 1]"],
        );
    }
    // Nothing to compare without a scheme.
    run(&["--compare"], &[s(float), "--compare", "--scheme"]);
    // Flags that need --compare, and --compare-sim alone.
    run(&["--fail-below", "0.5"], &["--fail-below needs --compare"]);
    run(&["--reference", s(float)], &["--reference needs --compare"]);
    for extra in [
        &["--extract", "x"][..],
        &["--compare"],
        &["--ranges"],
        &QUANTCLIP8,
    ] {
        let args = [&["--compare-sim"][..], extra].concat();
        run(&args, &["--compare-sim runs alone", extra[0]]);
    }
    // The same folder for both outputs.
    let dir = f.root.join("out");
    run(
        &["--extract", s(&dir), "--histograms", s(&dir)],
        &["--extract", "--histograms", s(&dir)],
    );
    // Scheme flags as eval checks them.
    run(&["--resolution", "8:8:8"], &["--resolution", "--scheme"]);
    run(&["--scheme", "quantclip"], &["--resolution"]);
    run(&["--scheme", "gfpq", "--bits", "4"], &["--bits 4"]);
    // --scheme is for float checkpoints.
    let trained = f.scheme_trained("qc", &QUANTCLIP8);
    fails_cleanly(
        &f.args(&trained, &GFPQ8),
        &[s(&trained), "already quantization-aware trained"],
    );
    // A missing reference, checkpoint or network; a quantized checkpoint.
    let missing = f.root.join("none.safetensors");
    run(
        &[&QUANTCLIP8[..], &["--compare", "--reference", s(&missing)]].concat(),
        &["none.safetensors"],
    );
    fails_cleanly(&f.args(&missing, &[]), &["none.safetensors"]);
    let mut args = f.args(float, &[]);
    let net = f.root.join("none.yaml");
    args[2] = s(&net);
    fails_cleanly(&args, &["none.yaml"]);
    let q = f.root.join("q.safetensors");
    let quantize = ["quantize", "--network", s(&f.net), "--checkpoint", s(float)];
    ok(&qtool(&[&quantize[..], &["--out", s(&q)]].concat()));
    fails_cleanly(&f.args(&q, &[]), &[s(&q), "quantized", "--compare-sim"]);
    // --images 0 is a usage error.
    let out = qtool(&f.args(float, &["--images", "0"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--images"));
    // Nothing was written by the failures.
    assert!(!dir.exists());
}
