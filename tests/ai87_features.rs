//! MAX78002 features in the description front end and on the command line: depthwise
//! convolution (`groups`), binary weights (`quantization: bin`) and Conv2d `dilation` load on
//! `--device max78002` and are refused on `--device max78000` (exit 2, one line naming the
//! file, layer and key).

mod common;

use qtool::device::ai8x::ChipId;
use qtool::ir::{Dims, Op, WeightBits};
use qtool::netdesc::ai8x::{InputSpec, build_graph_for, parse};
use std::path::Path;

const HEAD: &str = "arch: a\ndataset: d\nlayers:\n";
const FIRST: &str = "  - processors: 0xf\n    out_offset: 0\n    out_channels: 4\n";

/// A 4-channel conv followed by a layer with `extra` keys (`out_channels: 4`).
fn net(extra: &str) -> String {
    format!(
        "{HEAD}{FIRST}  - processors: 0xf\n    out_offset: 0x2000\n    out_channels: 4\n{extra}"
    )
}

fn build(text: &str, chip: ChipId) -> Result<qtool::ir::Graph, String> {
    let d = parse(text, "net.yaml").map_err(|e| e.to_string())?;
    let input = InputSpec {
        channels: 4,
        dims: Dims::D2(8, 8),
    };
    build_graph_for(&d, None, input, chip)
        .map(|b| b.graph)
        .map_err(|e| e.to_string())
}

const DEPTHWISE: &str = "    groups: 4\n";
const DILATED: &str = "    dilation: 2\n    pad: 2\n";
const BINARY: &str = "    quantization: bin\n";

#[test]
fn max78000_refuses_each_feature_naming_file_layer_and_key() {
    for (extra, key, what) in [
        (DEPTHWISE, "`groups`", "depthwise"),
        ("    conv_groups: 4\n", "`conv_groups`", "depthwise"),
        (DILATED, "`dilation`", "Conv2d dilation"),
        (BINARY, "`quantization`", "binary"),
    ] {
        let e = build(&net(extra), ChipId::Max78000).unwrap_err();
        assert!(
            e.starts_with("net.yaml: layer 1: ")
                && e.contains(key)
                && e.contains(what)
                && e.contains("is a MAX78002 feature; MAX78000 does not support it"),
            "{e}"
        );
        assert_eq!(e.lines().count(), 1, "{e}");
    }
}

#[test]
fn max78002_loads_each_feature_into_the_ir() {
    let g = build(&net(DEPTHWISE), ChipId::Max78002).unwrap();
    let Op::Conv2d(c) = g.nodes[1].op else {
        panic!("{:?}", g.nodes[1].op)
    };
    assert_eq!(c.groups, 4);
    assert_eq!(g.nodes[1].weight_shape(), Some(vec![4, 1, 3, 3]));

    let g = build(&net(DILATED), ChipId::Max78002).unwrap();
    let Op::Conv2d(c) = g.nodes[1].op else {
        panic!("{:?}", g.nodes[1].op)
    };
    assert_eq!((c.dilation, c.pad), ([2, 2], [2, 2]));
    assert_eq!(g.nodes[1].out_shape.dims, Dims::D2(8, 8));

    let g = build(&net(BINARY), ChipId::Max78002).unwrap();
    assert!(g.nodes[1].quant.binary && !g.nodes[0].quant.binary);
    assert_eq!(g.nodes[1].quant.weight_bits, Some(WeightBits::B1));
}

#[test]
fn the_checks_hold_depthwise_to_equal_channels_on_max78002() {
    let d = parse(&net("    groups: 2\n"), "net.yaml").unwrap();
    let input = InputSpec {
        channels: 4,
        dims: Dims::D2(8, 8),
    };
    let g = build_graph_for(&d, None, input, ChipId::Max78002)
        .unwrap()
        .graph;
    let e = qtool::device::ai8x::check_graph(&g)
        .unwrap_err()
        .to_string();
    assert!(e.contains("layer 1") && e.contains("must equal"), "{e}");
    let g = build(&net(DEPTHWISE), ChipId::Max78002).unwrap();
    let violations = qtool::device::ai8x::violations(&g);
    assert!(
        violations.iter().all(|v| v.key != "conv_groups"),
        "{violations:?}"
    );
}

#[test]
fn the_project_writer_refuses_what_it_cannot_write() {
    use qtool::device::ai8x::{MAX78002, project_writer_gap};
    for (extra, key) in [
        (DEPTHWISE, "conv_groups"),
        (DILATED, "dilation"),
        (BINARY, "quantization"),
    ] {
        let g = build(&net(extra), ChipId::Max78002).unwrap();
        let e = project_writer_gap(&g, &MAX78002).unwrap_err();
        assert_eq!((e.layer, e.key), (1, key));
        assert!(
            e.to_string()
                .contains("not supported by the MAX78002 project writer yet"),
            "{e}"
        );
    }
    let g = build(&net(""), ChipId::Max78002).unwrap();
    assert!(project_writer_gap(&g, &MAX78002).is_ok());
}

fn write(dir: &Path, text: &str) -> String {
    let p = dir.join("net.yaml");
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn inspect_exits_2_on_max78000_and_loads_on_max78002() {
    let dir = tempfile::tempdir().unwrap();
    for (extra, key) in [
        (DEPTHWISE, "`groups`"),
        (DILATED, "`dilation`"),
        (BINARY, "`quantization`"),
    ] {
        let y = write(dir.path(), &net(extra));
        let args = ["inspect", "--device", "max78000", "--network", &y];
        let args = [&args[..], &["--input-shape", "4,8,8"]].concat();
        common::fails_cleanly(&args, &["net.yaml", "layer 1", key, "MAX78002 feature"]);
        let out = assert_cmd::Command::cargo_bin("qtool")
            .unwrap()
            .args(["inspect", "--device", "max78002", "--network", &y])
            .args(["--input-shape", "4,8,8"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{extra}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The tiny problem's network with a depthwise, dilated, binary middle layer.
const TINY_AI87: &str = "arch: tiny\ndataset: generated\ninput: [1, 8, 8]\nlayers:\n  - processors: 0x1\n    op: conv2d\n    out_channels: 4\n    pad: 1\n    activate: ReLU\n    out_offset: 0x1000\n  - processors: 0xf\n    op: conv2d\n    out_channels: 4\n    groups: 4\n    dilation: 2\n    quantization: bin\n    max_pool: 2\n    pool_stride: 2\n    pad: 2\n    activate: ReLU\n    out_offset: 0\n  - processors: 0xf\n    op: mlp\n    out_channels: 3\n    flatten: true\n    out_offset: 0x1000\n";

#[test]
fn max78002_qat_with_the_features_quantizes_to_what_the_simulator_computes() {
    use common::tiny::{recipe, setup};
    use qtool::data::{DatasetKind, Normalization, Split, load_dataset};
    use qtool::device::Registry;
    use qtool::device::ai8x::sim::{Prepared, SimOptions};
    use qtool::eval::{Progress, evaluate_simulator};
    use qtool::jobs::{self as job, DataSource};
    use qtool::netdesc::ai8x::{LoadRequest, load_for};
    use qtool::quant::ClipMethod;

    let dir = tempfile::tempdir().unwrap();
    let (data, _) = setup(dir.path());
    let net = dir.path().join("ai87.yaml");
    std::fs::write(&net, TINY_AI87).unwrap();
    let target = Registry::builtin().get("max78002").unwrap();
    let source = || DataSource {
        kind: DatasetKind::Npy,
        dir: data.clone(),
    };
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, "start_epoch: 1\nweight_bits: 8\n").unwrap();
    let run = dir.path().join("run");
    let train = job::train::TrainJob {
        target: target.clone(),
        network: net.clone(),
        data: source(),
        recipe: recipe(3),
        seed: 5,
        normalization: Normalization::Ai8x,
        out_dir: run.clone(),
        overwrite: false,
        resume_from: None,
        init_from: None,
        threads: Some(2),
        progress: Progress::Quiet,
        qat: qtool::train::qat::configure(Some(&policy), None, false, false).unwrap(),
        epochs_given: false,
    };
    let outcome = job::train::train(&train, &mut |_| {}).unwrap();
    assert!(outcome.meta.qat.as_ref().is_some_and(|q| q.active));

    let out = dir.path().join("q.safetensors");
    let report = job::quantize::quantize(&job::quantize::QuantizeJob {
        target: target.clone(),
        network: net.clone(),
        checkpoint: run.join("best.safetensors"),
        out: out.clone(),
        overwrite: false,
        method: ClipMethod::MaxBitShift,
        config: None,
    })
    .unwrap();
    assert_eq!(report.rows[1].bits, qtool::ir::WeightBits::B1);

    let built = load_for(
        &LoadRequest {
            network: net.clone(),
            checkpoint: Some(out.clone()),
            ..Default::default()
        },
        ChipId::Max78002,
    )
    .unwrap();
    let layer = &built.graph.nodes[1];
    assert!(layer.quant.binary);
    assert!(
        layer
            .weights
            .as_ref()
            .unwrap()
            .iter()
            .all(|v| v.abs() == 1.0)
    );
    let set = load_dataset(DatasetKind::Npy, &data, Split::Test).unwrap();
    let sim = Prepared::new(&built.graph).unwrap();
    let simulated = evaluate_simulator(
        &sim,
        &set,
        Normalization::Ai8x,
        SimOptions::default(),
        Progress::Quiet,
    )
    .unwrap();
    let ours = job::eval::evaluate(&job::eval::EvalJob {
        target,
        network: net,
        checkpoint: out,
        data: source(),
        normalization: None,
        threads: Some(2),
        quantized: true,
        scheme: None,
    })
    .unwrap()
    .report
    .predictions;
    assert_eq!(
        ours, simulated.predictions,
        "eval --quantized and the simulator disagree"
    );
}
