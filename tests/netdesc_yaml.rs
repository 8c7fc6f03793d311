//! The MAX78000 YAML front end on the reference descriptions and on broken inputs.

mod common;

use qtool::netdesc::ai8x::{DescOp, parse};

#[test]
fn all_reference_yaml_files_load_unchanged() {
    for (name, yaml, _, _) in common::reference_networks() {
        let desc = qtool::netdesc::ai8x::load(&yaml).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!desc.layers.is_empty(), "{name}");
    }
}

#[test]
fn mnist_yaml_values() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let d = qtool::netdesc::ai8x::load(&dir.join("mnist/mnist-chw-ai85.yaml")).unwrap();
    assert_eq!(d.arch, "ai85net5");
    assert_eq!(d.layers.len(), 5);
    assert_eq!(d.layers[1].processors.0, 0xfffffffffffffff0);
    assert_eq!(d.layers[1].pad, [2, 2]);
    assert_eq!(d.layers[4].op, DescOp::Linear);
    assert_eq!(d.layers[4].kernel, [1, 1]);
    assert!(d.layers[4].flatten);
}

fn err(text: &str) -> String {
    parse(text, "net.yaml").unwrap_err().to_string()
}

const HEAD: &str = "arch: a\ndataset: d\nlayers:\n";

#[test]
fn unknown_layer_key_is_named() {
    let e = err(&format!(
        "{HEAD}  - processors: 1\n    out_offset: 0\n    colour: red\n"
    ));
    assert!(
        e.starts_with("net.yaml: layer 0: ") && e.contains("colour"),
        "{e}"
    );
}

#[test]
fn unknown_top_level_key_is_named() {
    let e = err(&format!("{HEAD}  - processors: 1\nfoo: 1\n"));
    assert!(e.contains("`foo`"), "{e}");
}

#[test]
fn wrong_value_type_names_layer_and_key() {
    let e = err(&format!("{HEAD}  - processors: 1\n    pad: [a]\n"));
    assert!(e.contains("layer 0") && e.contains("`pad`"), "{e}");
}

#[test]
fn syntax_error_names_line() {
    let e = err("arch: a\ndataset: [\nlayers:\n");
    assert!(e.starts_with("net.yaml: YAML syntax error at line"), "{e}");
}

#[test]
fn duplicate_key_is_an_error() {
    let e = err(&format!(
        "{HEAD}  - processors: 1\n    pad: 1\n    pad: 2\n"
    ));
    assert!(
        e.contains("net.yaml") && e.to_lowercase().contains("duplicate"),
        "{e}"
    );
}

#[test]
fn five_by_five_conv2d_kernel_is_refused() {
    let e = err(&format!(
        "{HEAD}  - processors: 1\n    op: conv2d\n    kernel_size: 5x5\n"
    ));
    assert!(
        e.contains("layer 0") && e.contains("`kernel_size`") && e.contains("5x5"),
        "{e}"
    );
}

#[test]
fn sixty_five_bit_processor_map_is_refused() {
    let e = err(&format!("{HEAD}  - processors: 0x1ffffffffffffffff\n"));
    assert!(
        e.contains("layer 0") && e.contains("`processors`") && e.contains("64"),
        "{e}"
    );
}

#[test]
fn unsupported_activation_is_refused() {
    let e = err(&format!("{HEAD}  - processors: 1\n    activate: tanh\n"));
    assert!(
        e.contains("layer 0") && e.contains("`activate`") && e.contains("tanh"),
        "{e}"
    );
}

#[test]
fn aliases_and_hex_strings() {
    let d = parse(&format!("{HEAD}  - processors: '0x0000_0000.0000_000f'\n    operation: FC\n    activation: Abs\n  - processors: 1\n    op: Bitwise_Xor\n    operands: 3\n"), "n").unwrap();
    assert_eq!(d.layers[0].processors.0, 0xf);
    assert_eq!(d.layers[0].op, DescOp::Linear);
    assert_eq!(d.layers[1].op, DescOp::Passthrough);
    assert_eq!(d.layers[1].operands, 3);
}

#[test]
fn conv1d_without_pad_changes_the_shared_default() {
    let d = parse(&format!("{HEAD}  - processors: 1\n    op: conv2d\n  - processors: 1\n    op: conv1d\n  - processors: 1\n    op: conv2d\n    pad: 1\n"), "n").unwrap();
    assert_eq!(d.layers[0].pad, [1, 0]);
    assert_eq!(d.layers[1].pad, [1, 0]);
    assert_eq!(d.layers[2].pad, [1, 1]);
    assert!(!d.warnings.is_empty());
}

#[test]
fn names_resolve_case_insensitively() {
    let d = parse(&format!("{HEAD}  - processors: 1\n    name: First\n  - processors: 1\n    in_sequences: [first, input]\n"), "n").unwrap();
    assert_eq!(d.layers[1].in_sequences, Some(vec![0, -1]));
    let e = err(&format!(
        "{HEAD}  - processors: 1\n    in_sequences: nothere\n"
    ));
    assert!(e.contains("`in_sequences`") && e.contains("nothere"), "{e}");
}

#[test]
fn max78002_only_keys_are_refused_for_max78000() {
    use qtool::ir::Dims;
    let d = parse(
        &format!("{HEAD}  - processors: 1\n    out_channels: 4\n    calcx4: true\n"),
        "n",
    )
    .unwrap();
    let input = qtool::netdesc::ai8x::InputSpec {
        channels: 1,
        dims: Dims::D2(8, 8),
    };
    let e = qtool::netdesc::ai8x::build_graph(&d, None, input)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("layer 0") && e.contains("`calcx4`") && e.contains("MAX78002"),
        "{e}"
    );
}

#[test]
fn too_many_layers_name_the_first_layer_beyond_the_device() {
    let layer = "  - processors: 1\n    out_offset: 0\n";
    assert!(parse(&format!("{HEAD}{}", layer.repeat(32)), "net.yaml").is_ok());
    assert_eq!(
        err(&format!("{HEAD}{}", layer.repeat(33))),
        "net.yaml: layer 32: `layers`: the description lists 33 layers, the device runs at most 32"
    );
    let e = err(&format!("{HEAD}  - processors: 1\n    sequence: 40\n"));
    assert_eq!(
        e,
        "net.yaml: layer 40: `sequence`: layer sequence 40 is out of range (this device supports up to 32 layers)"
    );
}

// Training keys: per layer `bias`, `batchnorm`, `dropout`; globally `input`.

fn built(text: &str) -> qtool::ir::Graph {
    use qtool::ir::Dims;
    let input = qtool::netdesc::ai8x::InputSpec {
        channels: 1,
        dims: Dims::D2(8, 8),
    };
    qtool::netdesc::ai8x::build_graph(&parse(text, "n").unwrap(), None, input)
        .unwrap()
        .graph
}

const CONV: &str = "  - processors: 0x1\n    out_offset: 0\n    out_channels: 4\n";
const CONV4: &str = "  - processors: 0xf\n    out_offset: 0\n    out_channels: 4\n";

#[test]
fn bias_and_dropout_become_node_fields() {
    let g = built(&format!(
        "{HEAD}{CONV}    bias: false\n    dropout: 0.25\n{CONV4}    bias: true\n    dropout: 0\n{CONV4}  - processors: 0xf\n    op: None\n    dropout: 0.5\n"
    ));
    let n = &g.nodes;
    assert_eq!((n[0].with_bias, n[0].dropout), (Some(false), Some(0.25)));
    assert_eq!((n[1].with_bias, n[1].dropout), (Some(true), Some(0.0)));
    assert_eq!((n[2].with_bias, n[2].dropout), (None, None));
    assert_eq!((n[3].with_bias, n[3].dropout), (None, Some(0.5)));
    // `bias` only asks for a bias term; it creates no values.
    assert!(n.iter().all(|n| n.bias.is_none() && n.batchnorm.is_none()));
}

#[test]
fn batchnorm_is_a_fresh_batch_norm_over_the_outputs() {
    let g = built(&format!(
        "{HEAD}{CONV}    batchnorm: Affine\n  - processors: 0xf\n    out_offset: 0\n    out_channels: 6\n    batchnorm: noaffine\n    bias: true\n  - processors: 0x3f\n    out_offset: 0\n    out_channels: 2\n    batchnorm: true\n  - processors: 0x3\n    out_offset: 0\n    out_channels: 2\n    batchnorm: None\n  - processors: 0x3\n    out_offset: 0\n    out_channels: 2\n    batchnorm: false\n"
    ));
    let n = &g.nodes;
    let bn = n[0].batchnorm.as_ref().unwrap();
    assert_eq!(bn.gamma.as_ref().unwrap().to_vec(), vec![1.0; 4]);
    assert_eq!(bn.beta.as_ref().unwrap().to_vec(), vec![0.0; 4]);
    assert_eq!(bn.running_mean.to_vec(), vec![0.0; 4]);
    assert_eq!(bn.running_var.to_vec(), vec![1.0; 4]);
    assert_eq!(bn.eps, 1e-5);
    // ai8x: a batch-norm layer has a bias, given or not.
    assert_eq!(n[0].with_bias, Some(true));
    let bn = n[1].batchnorm.as_ref().unwrap();
    assert!(bn.gamma.is_none() && bn.beta.is_none());
    assert_eq!(bn.running_var.len(), 6);
    assert_eq!(n[1].with_bias, Some(true));
    assert!(n[2].batchnorm.as_ref().unwrap().gamma.is_some());
    assert!(n[3].batchnorm.is_none() && n[4].batchnorm.is_none());
    assert_eq!((n[3].with_bias, n[4].with_bias), (None, None));
}

#[test]
fn batchnorm_is_left_out_when_a_checkpoint_supplies_the_weights() {
    use qtool::checkpoint::{DType, RawTensor, TorchCheckpoint};
    use qtool::ir::Dims;
    use qtool::netdesc::ai8x::{InputSpec, MapOptions, build_graph, map_checkpoint};
    let d = parse(
        &format!("{HEAD}{CONV}    batchnorm: Affine\n    dropout: 0.5\n"),
        "n",
    )
    .unwrap();
    let tensor = |shape: Vec<usize>| RawTensor {
        values: vec![1.0; shape.iter().product()],
        shape,
        dtype: DType::F32,
    };
    let ckpt = TorchCheckpoint {
        epoch: Some(1),
        arch: Some("a".into()),
        state_dict: vec![
            ("conv1.op.weight".into(), tensor(vec![4, 1, 3, 3])),
            ("conv1.op.bias".into(), tensor(vec![4])),
        ],
        top_level_keys: vec!["epoch".into(), "arch".into(), "state_dict".into()],
    };
    let map = map_checkpoint(&d, &ckpt, "c.pth.tar", &MapOptions::default()).unwrap();
    let input = InputSpec {
        channels: 1,
        dims: Dims::D2(8, 8),
    };
    let g = build_graph(&d, Some(&map), input).unwrap().graph;
    // Quantized checkpoints are batch-norm folded: no fresh batch norm on top of them.
    assert!(g.nodes[0].batchnorm.is_none());
    assert!(g.nodes[0].weights.is_some() && g.nodes[0].bias.is_some());
    assert_eq!(g.nodes[0].dropout, Some(0.5));
    let without = build_graph(&d, None, input).unwrap().graph;
    assert!(without.nodes[0].batchnorm.is_some());
}

#[test]
fn input_key_gives_the_input_shape() {
    use qtool::ir::Shape;
    let d = parse(&format!("{HEAD}{CONV}input: [1, 28, 28]\n"), "n").unwrap();
    assert_eq!(d.input, Some(Shape::d2(1, 28, 28)));
    let d = parse(&format!("{HEAD}{CONV}input: [128, 128]\n"), "n").unwrap();
    assert_eq!(d.input, Some(Shape::d1(128, 128)));
    assert_eq!(parse(&format!("{HEAD}{CONV}"), "n").unwrap().input, None);
}

#[test]
fn input_key_comes_after_explicit_shapes_and_before_the_dataset_table() {
    use qtool::ir::Shape;
    use qtool::netdesc::ai8x::{LoadRequest, load_max78000};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.yaml");
    std::fs::write(
        &path,
        format!("arch: a\ndataset: MNIST\ninput: [1, 16, 16]\nlayers:\n{CONV}"),
    )
    .unwrap();
    let mut req = LoadRequest {
        network: path.clone(),
        ..Default::default()
    };
    let g = load_max78000(&req).unwrap().graph;
    assert_eq!(g.input, Shape::d2(1, 16, 16));
    req.input_shape = Some(Shape::d2(1, 12, 12));
    assert_eq!(
        load_max78000(&req).unwrap().graph.input,
        Shape::d2(1, 12, 12)
    );
    // Without `input`, MNIST's table entry.
    std::fs::write(&path, format!("arch: a\ndataset: MNIST\nlayers:\n{CONV}")).unwrap();
    req.input_shape = None;
    assert_eq!(
        load_max78000(&req).unwrap().graph.input,
        Shape::d2(1, 28, 28)
    );
}

#[test]
fn bad_training_values_name_file_layer_and_key() {
    let cases = [
        (
            "    dropout: 1.5\n",
            "net.yaml: layer 0: `dropout`: the probability must be at least 0 and below 1, not 1.5",
        ),
        (
            "    dropout: -0.1\n",
            "net.yaml: layer 0: `dropout`: the probability must be at least 0 and below 1, not -0.1",
        ),
        (
            "    dropout: high\n",
            "net.yaml: layer 0: `dropout`: expected a probability, found a string",
        ),
        (
            "    batchnorm: Maybe\n",
            "net.yaml: layer 0: `batchnorm`: unknown batch norm `Maybe` (use Affine, NoAffine or None)",
        ),
        (
            "    batchnorm: 1\n",
            "net.yaml: layer 0: `batchnorm`: expected Affine, NoAffine or None, found an integer",
        ),
        (
            "    bias: 'yes'\n",
            "net.yaml: layer 0: `bias`: expected true or false, found a string",
        ),
        (
            "    bias: false\n    batchnorm: Affine\n",
            "net.yaml: layer 0: `bias`: a batch-norm layer needs a bias (ai8x requires `bias` with `batchnorm`)",
        ),
        (
            "    op: mlp\n    batchnorm: Affine\n",
            "net.yaml: layer 0: `batchnorm`: batch norm needs a convolution; ai8x has none after a Linear operator",
        ),
        (
            "    op: passthrough\n    bias: true\n",
            "net.yaml: layer 0: `bias`: a layer without weights (no convolution or linear operator) has no bias",
        ),
    ];
    for (keys, expected) in cases {
        assert_eq!(err(&format!("{HEAD}{CONV}{keys}")), expected, "{keys}");
    }
    let e = err(&format!("{HEAD}{CONV}{CONV4}    dropout: 1\n"));
    assert!(e.starts_with("net.yaml: layer 1: `dropout`: "), "{e}");
}

#[test]
fn bad_input_shapes_name_file_and_key() {
    let cases = [
        (
            "input: [1, 0]",
            "net.yaml: `input`: every extent must be positive, found [1, 0]",
        ),
        (
            "input: [1]",
            "net.yaml: `input`: expected [C, H, W] or [C, L], found a list of 1",
        ),
        (
            "input: [1, 2, 3, 4]",
            "net.yaml: `input`: expected [C, H, W] or [C, L], found a list of 4",
        ),
        (
            "input: 28",
            "net.yaml: `input`: expected [C, H, W] or [C, L], found an integer",
        ),
        (
            "input: [1, -28]",
            "net.yaml: `input`: expected a non-negative integer, found -28",
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(err(&format!("{HEAD}{CONV}{line}\n")), expected, "{line}");
    }
}
