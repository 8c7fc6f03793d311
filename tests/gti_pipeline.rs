//! GTI end to end on a small generated data set (MNIST format, 14×14 grey digits of three
//! patterns): the MDK's stages as qtool commands (float, calibration + quantized training,
//! fusion, fine-tuning, quantize), then `eval --quantized` ≡ `sim --evaluate` on every
//! prediction and on the chip's last-layer codes, `convert` written twice byte-identical, and
//! `sim` reading its own `.model` container back.

use assert_cmd::Command;
use qtool::data::{Normalization, Split, load_mnist_split};
use qtool::device::{LoadRequest, Registry, Target};
use qtool::ir::Graph;
use qtool::jobs::train::fit_data;
use qtool::sim::SimOptions;
use qtool::train::model::{ModelOptions, TrainModel};
use qtool::train::step::images_tensor;
use std::path::{Path, PathBuf};

const NET: &str = r#"{
  "layer": [
    {"major_layer": 1, "image_size": 14, "input_channels": 3, "output_channels": 16,
     "sublayer_number": 2, "coef_bits": 12, "pooling": true}
  ],
  "model": [{"ChipType": 2803, "MajorLayerNumber": 1, "SamplingMethod": 0}],
  "qtool": {"arch": "gti-tiny", "full_model": "tiny_model.json"}
}"#;

/// A residual pair in a second major layer, 5-bit coefficients there.
const RESIDUAL_NET: &str = r#"{
  "layer": [
    {"major_layer": 1, "image_size": 14, "input_channels": 3, "output_channels": 16,
     "sublayer_number": 1, "coef_bits": 12, "pooling": false},
    {"major_layer": 2, "image_size": 14, "input_channels": 16, "output_channels": 16,
     "sublayer_number": 2, "coef_bits": 5, "pooling": true,
     "resnet_shortcut_start_layers": [1]}
  ],
  "model": [{"ChipType": 2803, "MajorLayerNumber": 2, "SamplingMethod": 0}],
  "qtool": {"arch": "gti-tiny", "full_model": "tiny_model.json"}
}"#;

const FULL: &str = r#"{
  "name": "gti-tiny",
  "layer": [
    {"name": "image reader", "operation": "IMAGEREADER", "output channels": 3,
     "output height": 14, "output width": 14},
    {"name": "cnn", "operation": "GTICNN",
     "device": {"chip": "2803", "type": 0, "name": null, "emmc delay": 12000}, "mode": 0,
     "output channels": 16, "output height": 7, "output width": 7},
    {"name": "fc", "operation": "FC", "output channels": 10},
    {"name": "label", "operation": "LABEL", "output channels": 5}
  ]
}"#;

fn idx(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(payload);
    v
}

/// Three noisy patterns (bright top half, bottom half, everything) as MNIST-format files.
fn data(dir: &Path) -> PathBuf {
    let d = dir.join("data");
    std::fs::create_dir_all(&d).unwrap();
    let mut s = 7u32;
    for (split, n) in [("train", 300u32), ("t10k", 90)] {
        let (mut px, mut labels) = (Vec::new(), Vec::new());
        for i in 0..n {
            let class = (i % 3) as usize;
            for y in 0..14 {
                for x in 0..14 {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let on = [y < 7, y >= 7, x < 14][class];
                    px.push(if on { 170 } else { 20 } + (s >> 26) as u8);
                }
            }
            labels.push(class as u8);
        }
        let imgs = idx(0x803, &[n, 14, 14], &px);
        std::fs::write(d.join(format!("{split}-images-idx3-ubyte")), imgs).unwrap();
        let lbls = idx(0x801, &[n], &labels);
        std::fs::write(d.join(format!("{split}-labels-idx1-ubyte")), lbls).unwrap();
    }
    d
}

fn qtool(args: &[&str]) -> String {
    let out = Command::cargo_bin("qtool")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "qtool {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn gti() -> std::sync::Arc<dyn Target> {
    let opts = qtool::device::DeviceOptions {
        chip: Some("2803".into()),
        host_model: None,
    };
    Registry::builtin().get_variant("gti", &opts).unwrap()
}

fn quantized_graph(net: &Path, ckpt: &Path) -> Graph {
    let req = LoadRequest {
        network: net.to_path_buf(),
        checkpoint: Some(ckpt.to_path_buf()),
        ..Default::default()
    };
    gti().load(&req).unwrap().graph
}

#[test]
fn stages_eval_sim_and_convert_agree() {
    pipeline(NET, &["00_conv1_1.npy", "01_conv1_2.npy", "02_pool.npy"]);
}

#[test]
fn residual_pairs_through_every_stage() {
    pipeline(
        RESIDUAL_NET,
        &[
            "00_conv1_1.npy",
            "01_conv2_1.npy",
            "02_conv2_2.npy",
            "03_add2_2.npy",
            "04_pool.npy",
        ],
    );
}

/// A 10-bit last layer (its own major layer of one sub-layer).
const TEN_BIT_NET: &str = r#"{
  "layer": [
    {"major_layer": 1, "image_size": 14, "input_channels": 3, "output_channels": 16,
     "sublayer_number": 1, "coef_bits": 12, "pooling": false},
    {"major_layer": 2, "image_size": 14, "input_channels": 16, "output_channels": 16,
     "sublayer_number": 1, "coef_bits": 12, "pooling": true, "ten_bits_enable": true}
  ],
  "model": [{"ChipType": 2803, "MajorLayerNumber": 2, "SamplingMethod": 0}],
  "qtool": {"arch": "gti-tiny", "full_model": "tiny_model.json"}
}"#;

#[test]
fn ten_bit_last_layer_through_every_stage() {
    pipeline(
        TEN_BIT_NET,
        &["00_conv1_1.npy", "01_conv2_1.npy", "02_pool.npy"],
    );
}

fn pipeline(network: &str, logs_expected: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = data(dir);
    let net = dir.join("tiny.json");
    std::fs::write(&net, network).unwrap();
    std::fs::write(dir.join("tiny_model.json"), FULL).unwrap();
    let (net_s, data_s) = (s(&net).to_string(), s(&data).to_string());
    let base = [
        "--device",
        "gti",
        "--chip",
        "2803",
        "--network",
        &net_s,
        "--data",
        &data_s,
    ];
    let run = |extra: &[&str]| {
        let mut a: Vec<&str> = vec!["train"];
        a.extend(base);
        a.extend(["--epochs", "2", "--optimizer", "adam", "--quiet"]);
        a.extend(extra);
        qtool(&a)
    };
    let r = |n: &str| dir.join(n).join("best.safetensors");
    run(&["--out", s(&dir.join("r1")), "--lr", "0.003"]);
    run(&[
        "--lr",
        "0.003",
        "--out",
        s(&dir.join("r3")),
        "--init-from",
        s(&r("r1")),
        "--quant-w",
        "--quant-act",
    ]);
    let fused = dir.join("fused.safetensors");
    let said = qtool(&[
        "fuse",
        "--device",
        "gti",
        "--chip",
        "2803",
        "--network",
        &net_s,
        "--checkpoint",
        s(&r("r3")),
        "--out",
        s(&fused),
    ]);
    // Fusion keeps the function: the QAT model before and after (caps 31) score alike.
    let score = |ck: &Path| {
        let mut a = vec!["eval", "--json", "--checkpoint", s(ck), "--data", &data_s];
        a.extend(["--device", "gti", "--chip", "2803", "--network", &net_s]);
        let v: serde_json::Value = serde_json::from_str(&qtool(&a)).unwrap();
        (v["top1"].as_f64().unwrap(), v["loss"].as_f64().unwrap())
    };
    let (before, after) = (score(&r("r3")), score(&fused));
    assert_eq!(before.0, after.0);
    assert!((before.1 - after.1).abs() < 0.02, "{before:?} {after:?}");
    assert!(
        said.contains("cap") && said.contains("fc: compensated"),
        "{said}"
    );
    run(&[
        "--lr",
        "0.0003",
        "--out",
        s(&dir.join("r5")),
        "--init-from",
        s(&fused),
        "--quant-w",
        "--quant-act",
    ]);
    let q = dir.join("q.safetensors");
    qtool(&[
        "quantize",
        "--device",
        "gti",
        "--chip",
        "2803",
        "--network",
        &net_s,
        "--checkpoint",
        s(&r("r5")),
        "--out",
        s(&q),
    ]);

    // eval --quantized and sim --evaluate: the same prediction for every image.
    let (p_eval, p_sim) = (dir.join("pe.npy"), dir.join("ps.npy"));
    let common = ["--device", "gti", "--chip", "2803", "--network", &net_s];
    let mut a = vec![
        "eval",
        "--quantized",
        "--checkpoint",
        s(&q),
        "--data",
        &data_s,
    ];
    a.extend(common);
    a.extend(["--predictions", s(&p_eval)]);
    let eval_out = qtool(&a);
    let mut a = vec![
        "sim",
        "--evaluate",
        "--checkpoint",
        s(&q),
        "--data",
        &data_s,
    ];
    a.extend(common);
    a.extend(["--predictions", s(&p_sim), "--quiet"]);
    let sim_out = qtool(&a);
    assert_eq!(
        std::fs::read(&p_eval).unwrap(),
        std::fs::read(&p_sim).unwrap()
    );
    let top1 = |t: &str| {
        t.split("top-1 ")
            .nth(1)
            .unwrap()
            .split('%')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(top1(&eval_out), top1(&sim_out));
    assert!(top1(&sim_out).parse::<f64>().unwrap() > 80.0, "{sim_out}");

    // The chip's last-layer codes: simulate mode (burn, float) ≡ the integer engine.
    let graph = quantized_graph(&net, &q);
    let target = gti();
    let test = load_mnist_split(&data, Split::Test).unwrap();
    let test = fit_data(&test, &graph, &net).unwrap();
    let codes = test.input_codes(Normalization::Gti).unwrap();
    let device = Default::default();
    let mut model = TrainModel::new(&graph, &ModelOptions::default(), &device).unwrap();
    model
        .set_quant(target.quant_scheme().unwrap().simulate(&graph))
        .unwrap();
    let engine = target.simulator(&graph).unwrap();
    let last_chip = graph.nodes.len() - 2;
    // 10-bit codes count 1/32 in the float model.
    let ten_bits =
        qtool::device::gti::chip_slot(&graph.nodes[last_chip]).is_some_and(|s| s.ten_bits);
    let unit = if ten_bits { 32.0 } else { 1.0 };
    for x in codes.iter().take(20) {
        let (c, h, w) = x.dim();
        let values = x.iter().map(|&v| v as f32).collect();
        let outs = model
            .forward_all(images_tensor(values, [1, c, h, w], &device))
            .unwrap();
        let burn: Vec<i64> = outs[last_chip]
            .clone()
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap()
            .iter()
            .map(|v| (*v * unit) as i64)
            .collect();
        let sim = engine.run(x, SimOptions::default(), false).unwrap();
        let chip: Vec<i64> = sim.outputs[last_chip].iter().copied().collect();
        assert_eq!(burn, chip);
    }

    // One sample through the chip, with every layer's intermediate data.
    let sample = dir.join("sample.npy");
    let logs = dir.join("logs");
    let mut a = vec!["sample", "--out", s(&sample), "--data", &data_s];
    a.extend(common);
    qtool(&a);
    let mut a = vec![
        "sim",
        "--checkpoint",
        s(&q),
        "--input",
        s(&sample),
        "--log-intermediate",
        s(&logs),
    ];
    a.extend(common);
    qtool(&a);
    let mut logged: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|f| f.unwrap().file_name().into_string().unwrap())
        .collect();
    logged.sort();
    assert_eq!(logged, logs_expected);

    // convert twice: byte-identical; sim reads its own .model back.
    for out in ["p1", "p2"] {
        let mut a = vec!["convert", "--checkpoint", s(&q), "--out"];
        let o = dir.join(out).join("tiny");
        let o = s(&o).to_string();
        a.push(&o);
        a.extend(common);
        qtool(&a);
    }
    let files = std::fs::read_dir(dir.join("p1/tiny")).unwrap();
    let mut names: Vec<String> = files
        .map(|f| f.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "bias.txt",
            "fc.bin",
            "filter.txt",
            "fullmodel_def.json",
            "labels.txt",
            "tiny.dat",
            "tiny.model",
            "tiny_dat.json"
        ]
    );
    for n in &names {
        let a = std::fs::read(dir.join("p1/tiny").join(n)).unwrap();
        assert_eq!(
            a,
            std::fs::read(dir.join("p2/tiny").join(n)).unwrap(),
            "{n}"
        );
    }
    let model = dir.join("p1/tiny/tiny.model");
    let p_model = dir.join("pm.npy");
    qtool(&[
        "sim",
        "--evaluate",
        "--device",
        "gti",
        "--chip",
        "2803",
        "--network",
        s(&model),
        "--checkpoint",
        s(&model),
        "--data",
        &data_s,
        "--predictions",
        s(&p_model),
        "--quiet",
    ]);
    assert_eq!(
        std::fs::read(&p_sim).unwrap(),
        std::fs::read(&p_model).unwrap()
    );
    // A container read against another network is refused.
    let other = dir.join("other.json");
    std::fs::write(
        &other,
        network.replacen("\"coef_bits\": 12", "\"coef_bits\": 5", 1),
    )
    .unwrap();
    let out = Command::cargo_bin("qtool")
        .unwrap()
        .args([
            "sim",
            "--evaluate",
            "--device",
            "gti",
            "--chip",
            "2803",
            "--network",
        ])
        .arg(&other)
        .args(["--checkpoint", s(&model), "--data", &data_s, "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another network or chip"), "{err}");
}
