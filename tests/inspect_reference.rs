//! `inspect` agrees with izer on the reference networks: layer count and, for the five
//! networks with izer's generated `cnn.c`, the exact `// Layer i: …` description of every
//! layer (input shape, pooling, operator, kernel, stride, pad, activation, output shape).

mod common;

use qtool::device::ai8x::{check_graph, describe};
use qtool::netdesc::ai8x::{LoadRequest, load_max78000};

fn load(
    yaml: &std::path::Path,
    ckpt: &std::path::Path,
    sample: &std::path::Path,
) -> qtool::netdesc::ai8x::Built {
    let req = LoadRequest {
        network: yaml.to_path_buf(),
        checkpoint: Some(ckpt.to_path_buf()),
        sample_input: Some(sample.to_path_buf()),
        ..Default::default()
    };
    load_max78000(&req).unwrap_or_else(|e| panic!("{}: {e}", yaml.display()))
}

#[test]
fn every_reference_network_loads_and_passes_the_device_checks() {
    for (name, yaml, ckpt, sample) in common::reference_networks() {
        let built = load(&yaml, &ckpt, &sample);
        assert!(!built.graph.nodes.is_empty(), "{name}");
        check_graph(&built.graph).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn layer_descriptions_match_izer_cnn_c() {
    let mut compared = 0;
    for (name, yaml, ckpt, sample) in common::reference_networks() {
        let cnn_c = yaml.with_file_name("golden/cnn.c");
        let Ok(text) = std::fs::read_to_string(&cnn_c) else {
            continue;
        };
        let golden: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("// "))
            .filter(|l| l.starts_with("Layer ") && l.ends_with(" output"))
            .collect();
        let built = load(&yaml, &ckpt, &sample);
        let ours: Vec<String> = built
            .graph
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| describe(i, n))
            .collect();
        assert_eq!(ours.len(), golden.len(), "{name}: layer count");
        for (o, g) in ours.iter().zip(&golden) {
            assert_eq!(o, g, "{name}");
        }
        compared += 1;
    }
    if common::reference_dir().is_some() {
        assert_eq!(compared, 5, "expected five golden cnn.c files");
    }
}

#[test]
fn inspect_json_on_mnist() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let m = dir.join("mnist");
    let out = assert_cmd::Command::cargo_bin("qtool")
        .unwrap()
        .args(["inspect", "--json", "--device", "max78000", "--network"])
        .arg(m.join("mnist-chw-ai85.yaml"))
        .arg("--checkpoint")
        .arg(m.join("ai85-mnist-qat8-q.pth.tar"))
        .output()
        .unwrap();
    let v = common::success_json(&out);
    let l0 = &v["layers"][0];
    assert_eq!(l0["index"], 0);
    assert_eq!(l0["op"], "conv2d");
    assert_eq!(l0["input_shape"], serde_json::json!([1, 28, 28]));
    assert_eq!(l0["output_shape"], serde_json::json!([60, 28, 28]));
    assert_eq!(l0["weight_bits"], 8);
    assert_eq!(l0["output_shift"], -1);
    assert_eq!(l0["params"], 540);
    let l4 = &v["layers"][4];
    assert_eq!(l4["op"], "linear");
    assert_eq!(l4["input_shape"], serde_json::json!([12, 4, 4]));
    assert_eq!(l4["output_shape"], serde_json::json!([10, 1, 1]));
    assert_eq!(l4["params"], 1930);
    assert_eq!(v["layers"].as_array().unwrap().len(), 5);
    assert_eq!(v["totals"]["params"], 71158);
    assert_eq!(v["totals"]["layers"], 5);
    assert_eq!(v["totals"]["layers_limit"], 32);
}

#[test]
fn conv1d_shapes_use_the_c_l_convention() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let k = dir.join("kws20_v3");
    let built = load(
        &k.join("kws20-v3-hwc.yaml"),
        &k.join("ai85-kws20_v3-qat8-q.pth.tar"),
        &k.join("sample_kws_20.npy"),
    );
    let r = qtool::device::ai8x::inspect_ai8x(&built.graph, vec![]);
    assert_eq!(r.layers[0].input_shape, vec![128, 128]);
    assert_eq!(r.layers[1].output_shape, vec![96, 126]);
    assert_eq!(r.layers[8].input_shape, vec![64, 4, 1]);
    assert_eq!(r.layers[8].output_shape, vec![21, 1, 1]);
}
