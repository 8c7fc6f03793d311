//! `qtool inspect --device gti --chip N` from the command line: the report of a valid chip
//! network, and for every limit of gti.md §1 (and for bad flags and bad files) exit 2 with one
//! line naming the file, the major layer (and sub-layer) and the key.

use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::Path;

/// gti.md §4.1 example 2 (2803): depthwise, residual pairs, upsampling, 10-bit last layer.
fn example_2() -> Value {
    json!({"layer": [
        {"major_layer": 1, "image_size": 224, "input_channels": 3, "output_channels": 32,
         "sublayer_number": 1, "coef_bits": 12, "scaling": [11], "pooling": true},
        {"major_layer": 2, "image_size": 112, "input_channels": 32, "output_channels": 64,
         "sublayer_number": 2, "coef_bits": 12, "scaling": [10, 11], "pooling": true,
         "depth_enable": true, "one_coef": [0, 1]},
        {"major_layer": 3, "image_size": 56, "input_channels": 64, "output_channels": 64,
         "sublayer_number": 4, "coef_bits": 2, "scaling": [9, 9, 10, 10], "pooling": true,
         "resnet_shortcut_start_layers": [1, 3], "learning": true},
        {"major_layer": 4, "image_size": 28, "input_channels": 64, "output_channels": 64,
         "sublayer_number": 1, "coef_bits": 5, "scaling": [11], "upsample_enable": true},
        {"major_layer": 5, "image_size": 56, "input_channels": 64, "output_channels": 32,
         "sublayer_number": 1, "coef_bits": 12, "scaling": [8], "ten_bits_enable": true}],
     "model": [{"ChipType": 2803, "MajorLayerNumber": 5, "SamplingMethod": 1}]})
}

/// gti.md §4.1 example 1 (5801), a VGG-style start.
fn example_1() -> Value {
    json!({"layer": [
        {"major_layer": 1, "image_size": 224, "input_channels": 3, "output_channels": 64,
         "sublayer_number": 2, "coef_bits": 3, "scaling": [12, 11], "pooling": true},
        {"major_layer": 2, "image_size": 112, "input_channels": 64, "output_channels": 128,
         "sublayer_number": 2, "coef_bits": 3, "scaling": [11, 11], "pooling": true},
        {"major_layer": 3, "image_size": 56, "input_channels": 128, "output_channels": 256,
         "sublayer_number": 3, "coef_bits": 1, "scaling": [10, 10, 9], "pooling": true}],
     "model": [{"ChipType": 5801, "MajorLayerNumber": 3, "SamplingMethod": 0}]})
}

fn inspect(file: &Path, flags: &[&str]) -> std::process::Output {
    Command::cargo_bin("qtool")
        .unwrap()
        .args(["inspect", "-n"])
        .arg(file)
        .args(flags)
        .output()
        .unwrap()
}

/// Exit 2 and one stderr line holding every part of `expect`.
fn fails(text: &str, flags: &[&str], expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("net.json");
    std::fs::write(&file, text).unwrap();
    let out = inspect(&file, flags);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for part in expect {
        let part = part.replace("FILE", &file.display().to_string());
        assert!(err.contains(&part), "`{part}` not in: {err}");
    }
}

/// `edit` applied to `net`, checked on `--chip chip`: exit 2 naming the file and `expect`.
fn limit(mut net: Value, chip: &str, edit: impl FnOnce(&mut Value), expect: &[&str]) {
    edit(&mut net);
    let mut parts = vec!["error: FILE: "];
    parts.extend(expect);
    fails(
        &net.to_string(),
        &["--device", "gti", "--chip", chip],
        &parts,
    );
}

#[test]
fn a_valid_network_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("net.json");
    std::fs::write(&file, example_2().to_string()).unwrap();
    let out = inspect(&file, &["--device", "gti", "--chip", "2803", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["layers"].as_array().unwrap().len(), 9);
    assert_eq!(v["layers"][1]["kernel"], "3x3 depthwise");
    assert_eq!(v["totals"]["effective_filters"], 10368);
    let out = inspect(&file, &["--device", "gti", "--chip", "2803"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("GTI 2803: 5 of 6 major layers"), "{text}");
}

#[test]
fn flags_and_files() {
    let ex2 = example_2().to_string();
    fails(
        &ex2,
        &["--device", "gti"],
        &["--device gti needs --chip 2801, 2803 or 5801"],
    );
    fails(
        &ex2,
        &["--device", "gti", "--chip", "2802"],
        &["--chip 2802: not a Lightspeeur chip"],
    );
    fails(
        &ex2,
        &["--chip", "2803"],
        &["--chip 2803: the max78000 has no chip variants"],
    );
    fails(
        "{\"layer\": [",
        &["--device", "gti", "--chip", "2803"],
        &["FILE: EOF while parsing"],
    );
    let unknown = ex2.replace("\"pooling\":true", "\"pooling\":true,\"poolng\":1");
    fails(
        &unknown,
        &["--device", "gti", "--chip", "2803"],
        &["FILE: unknown field `poolng`"],
    );
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.json");
    let out = inspect(&missing, &["--device", "gti", "--chip", "2803"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_layer_limit_names_file_layer_and_key() {
    let ex2 = example_2;
    limit(
        ex2(),
        "2801",
        |_| {},
        &["model: ChipType: ChipType 2803 is not the chip asked for (--chip 2801)"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][2]["coef_bits"] = json!(3),
        &["major layer 3: coef_bits: 3-bit coefficients (the 2803 has 2, 5, 12)"],
    );
    limit(
        ex2(),
        "2803",
        |n| {
            n["layer"][0]["sublayer_number"] = json!(13);
            n["layer"][0]["scaling"] = json!(vec![11; 13]);
        },
        &["major layer 1: sublayer_number: 13 sub-layers (1 to 12)"],
    );
    limit(
        ex2(),
        "2803",
        |n| {
            let l = n["layer"].as_array_mut().unwrap();
            let mut extra = l[4].clone();
            extra["ten_bits_enable"] = json!(false);
            l.insert(4, extra.clone());
            l.insert(4, extra);
            for (i, l) in l.iter_mut().enumerate() {
                l["major_layer"] = json!(i + 1);
                l["input_channels"] = json!(if i == 0 { 3 } else { 64 });
                l["output_channels"] = json!(if i + 1 == 7 { 32 } else { 64 });
            }
            l[5]["image_size"] = json!(56);
            n["model"][0]["MajorLayerNumber"] = json!(7);
        },
        &["model: layer: 7 major layers (1 to 6 on the 2803)"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][0]["image_size"] = json!(100),
        &["major layer 1: image_size: image size 100"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][4]["image_size"] = json!(28),
        &["major layer 5: image_size: image size 28 (the previous major layer writes 56×56)"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][4]["output_channels"] = json!(24),
        &["major layer 5: output_channels: 24 output channels (a multiple of 16 up to 1024)"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][1]["input_channels"] = json!(48),
        &["major layer 2: input_channels: 48 input channels (the previous major layer writes 32)"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][0]["last_layer_out"] = json!(true),
        &["major layer 1: last_layer_out: set while major layer 3 has `learning`"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][2]["resnet_shortcut_start_layers"] = json!([1, 4]),
        &[
            "major layer 3 sub-layer 4: resnet_shortcut_start_layers: a pair starting at sub-layer 4",
        ],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][1]["ten_bits_enable"] = json!(true),
        &["major layer 2: ten_bits_enable: 10-bit output before the last major layer"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][2]["scaling"] = json!([9, 13, 10, 10]),
        &["major layer 3 sub-layer 2: scaling: shift 13 (0 to 12)"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][2]["scaling"] = json!([9, 9]),
        &["major layer 3: scaling: 2 shifts (one per sub-layer (4))"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][1]["one_coef"] = json!([0, 2]),
        &["major layer 2 sub-layer 2: one_coef: flag 2 (0 (3×3) or 1 (1×1))"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["layer"][3]["major_layer"] = json!(7),
        &["major layer 4: major_layer: numbered 7 (4, its place in the list)"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["model"][0]["MajorLayerNumber"] = json!(4),
        &["model: MajorLayerNumber: 4 major layers announced, 5 listed"],
    );
    limit(
        ex2(),
        "2803",
        |n| n["model"][0]["SamplingMethod"] = json!(2),
        &["model: SamplingMethod: SamplingMethod 2"],
    );
}

#[test]
fn chip_specific_limits() {
    // Residual pairs need in = out.
    limit(
        example_2(),
        "2803",
        |n| {
            n["layer"][2]["output_channels"] = json!(128);
            n["layer"][3]["input_channels"] = json!(128);
            n["layer"][3]["output_channels"] = json!(128);
            n["layer"][4]["input_channels"] = json!(128);
        },
        &[
            "major layer 3: resnet_shortcut_start_layers: 64 in, 128 out (an identity shortcut needs in = out)",
        ],
    );
    // 10-bit output does not exist on the 2801.
    limit(
        example_1(),
        "2801",
        |n| {
            n["model"][0]["ChipType"] = json!(2801);
            n["layer"][2]["coef_bits"] = json!(3);
            n["layer"][2]["ten_bits_enable"] = json!(true);
        },
        &["major layer 3: ten_bits_enable: 10-bit output (2803 and 5801 only)"],
    );
    // Eight input channels: a 5801 list entry, not a 2803 one.
    limit(
        example_1(),
        "2803",
        |n| {
            n["model"][0]["ChipType"] = json!(2803);
            for l in n["layer"].as_array_mut().unwrap() {
                l["coef_bits"] = json!(12);
            }
            n["layer"][0]["output_channels"] = json!(8);
            n["layer"][1]["input_channels"] = json!(8);
        },
        &["major layer 1: output_channels: 8 output channels"],
    );
    // The 5801's coefficient budget, and a cascade that lifts it.
    let big = |n: &mut Value| {
        let l = n["layer"].as_array_mut().unwrap();
        for (k, (size, input, pool)) in [(28, 256, true), (14, 512, true), (7, 512, false)]
            .into_iter()
            .enumerate()
        {
            l.push(
                json!({"major_layer": 4 + k, "image_size": size, "input_channels": input,
                          "output_channels": 512, "sublayer_number": 1, "coef_bits": 8,
                          "pooling": pool}),
            );
        }
        n["model"][0]["MajorLayerNumber"] = json!(6);
    };
    limit(
        example_1(),
        "5801",
        big,
        &["model: coef_bits: 710752 effective filters (below 489216 on the 5801)"],
    );
    limit(
        example_1(),
        "5801",
        |n| {
            big(n);
            n["model"][0]["ChipNumber"] = json!(7);
        },
        &["model: ChipNumber: 6 major layers cannot fill 7 chips"],
    );
    let mut cascade = example_1();
    big(&mut cascade);
    cascade["model"][0]["ChipNumber"] = json!(2);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("net.json");
    std::fs::write(&file, cascade.to_string()).unwrap();
    let out = inspect(&file, &["--device", "gti", "--chip", "5801"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn upsampling_limits() {
    limit(
        example_2(),
        "2803",
        |n| {
            n["layer"][3]["output_channels"] = json!(32);
            n["layer"][4]["input_channels"] = json!(32);
        },
        &[
            "major layer 4: upsample_enable: 64 → 32 channels (an upsampling major layer keeps its channels)",
        ],
    );
    limit(
        example_1(),
        "5801",
        |n| {
            n["layer"][0]["input_channels"] = json!(64);
            n["layer"][0]["upsample_enable"] = json!(true);
            n["layer"][1]["image_size"] = json!(224);
        },
        &[
            "major layer 1: upsample_enable: upsampling the network input (after the first major layer)",
        ],
    );
}

/// The bundled MNIST network's full model, edited, checked with the network on the 2803:
/// exit 2 and one line naming the full-model file, the layer and the key.
fn full_model_fails(edit: impl FnOnce(&mut Value), expect: &str) {
    let root = env!("CARGO_MANIFEST_DIR");
    let net = Path::new(root).join("networks/gti-vgg-mnist.json");
    let text =
        std::fs::read_to_string(Path::new(root).join("networks/gti-vgg-mnist_model.json")).unwrap();
    let mut full: Value = serde_json::from_str(&text).unwrap();
    edit(&mut full);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.json");
    std::fs::write(&file, full.to_string()).unwrap();
    let out = inspect(
        &net,
        &[
            "--device",
            "gti",
            "--chip",
            "2803",
            "--full-model",
            file.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let expect = format!("error: {}: {expect}", file.display());
    assert!(err.contains(&expect), "`{expect}` not in: {err}");
}

#[test]
fn full_model_limits() {
    full_model_fails(
        |m| m["layer"][1]["device"]["chip"] = json!("5801"),
        "layer 2: device.chip: \"5801\" is not the chip asked for (--chip 2803)",
    );
    full_model_fails(
        |m| m["layer"][1]["output height"] = json!(28),
        "layer 2: output height: 28 (the chip network gives 14)",
    );
    full_model_fails(
        |m| m["layer"][0]["output channels"] = json!(1),
        "layer 1: output channels: 1 (the chip network's input gives 3)",
    );
    full_model_fails(
        |m| {
            let l = m["layer"].as_array_mut().unwrap();
            let cnn = l[1].clone();
            l.push(cnn);
        },
        "layer 7: operation: GTICNN after a host layer (chips first)",
    );
    full_model_fails(
        |m| {
            m["layer"].as_array_mut().unwrap().remove(1);
        },
        "model: GTICNN: 0 GTICNN layers (one per chip (1))",
    );
    full_model_fails(
        |m| {
            m["layer"].as_array_mut().unwrap().swap(0, 1);
        },
        "layer 2: operation: IMAGEREADER (the first layer only)",
    );
    full_model_fails(
        |m| m["layer"][2]["activaton"] = json!("relu"),
        "unknown field `activaton`",
    );
    full_model_fails(
        |m| m["layer"][2]["activation"] = json!("tanh"),
        "layer 3: activation: \"tanh\" is not one qtool knows (relu)",
    );
}

#[test]
fn full_model_mode_on_the_2801() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    let mut net: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(root).join("networks/gti-vgg-mnist.json")).unwrap(),
    )
    .unwrap();
    net["model"][0]["ChipType"] = json!(2801);
    net["layer"][0]["coef_bits"] = json!(3);
    net["layer"][1]["coef_bits"] = json!(1);
    net["qtool"]["full_model"] = json!("m.json");
    let mut full: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(root).join("networks/gti-vgg-mnist_model.json"))
            .unwrap(),
    )
    .unwrap();
    full["layer"][1]["device"]["chip"] = json!("2801");
    let write = |full: &Value| {
        std::fs::write(dir.path().join("m.json"), full.to_string()).unwrap();
        std::fs::write(dir.path().join("n.json"), net.to_string()).unwrap();
        inspect(
            &dir.path().join("n.json"),
            &["--device", "gti", "--chip", "2801"],
        )
    };
    assert!(write(&full).status.success());
    full["layer"][1]["mode"] = json!(3);
    let out = write(&full);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("m.json: layer 2: mode: 3 (0, 1, 2 or 4 on the 2801)"),
        "{err}"
    );
    let out = Command::cargo_bin("qtool")
        .unwrap()
        .args([
            "inspect",
            "-n",
            "networks/ai85net5.yaml",
            "--full-model",
            "x.json",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the max78000 runs no host layers"));
}

#[test]
fn overlapping_residual_pairs() {
    limit(
        example_2(),
        "2803",
        |n| n["layer"][2]["resnet_shortcut_start_layers"] = json!([1, 2]),
        &[
            "major layer 3 sub-layer 2: resnet_shortcut_start_layers: a pair starting at sub-layer 2 inside the previous pair (pairs in increasing order, two sub-layers each)",
        ],
    );
}
