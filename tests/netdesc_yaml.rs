//! The MAX78000 YAML front end on the reference descriptions and on broken inputs.

mod common;

use qtool::netdesc::max78000::{DescOp, parse};

#[test]
fn all_reference_yaml_files_load_unchanged() {
    for (name, yaml, _, _) in common::reference_networks() {
        let desc = qtool::netdesc::max78000::load(&yaml).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!desc.layers.is_empty(), "{name}");
    }
}

#[test]
fn mnist_yaml_values() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let d = qtool::netdesc::max78000::load(&dir.join("mnist/mnist-chw-ai85.yaml")).unwrap();
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
    let input = qtool::netdesc::max78000::InputSpec {
        channels: 1,
        dims: Dims::D2(8, 8),
    };
    let e = qtool::netdesc::max78000::build_graph(&d, None, input)
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
