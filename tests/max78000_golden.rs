//! Cross-check of the MAX78000 device model against izer's golden outputs for five networks:
//! the kernel map in `log.txt.gz` (words per processor for every layer, and the whole map after
//! allocation), the weight and bias memory totals in `cnn.h`/`weights.h`, and that the
//! networks izer accepted pass every check.
//!
//! The graphs are built from the `// Layer i:` comments of the golden `cnn.c` (shapes,
//! operator, pooling, padding), the YAML (processor maps, offsets, widths) and izer's console
//! table (which layers have a bias). All five use 8-bit weights.

mod common;

use qtool::device::ai8x::{
    self as dev, DataFormat, MAX78000, OutputWidth, Placement, ProcessorMask, allocate_kernels,
    totals,
};
use qtool::ir::Annex;
use qtool::ir::{
    Activation, Conv, Dims, Graph, Node, Op, Pool, PoolKind, QuantAttrs, QuantScheme, Shape,
    Source, WeightBits, infer_node,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const NETS: [(&str, &str); 5] = [
    ("mnist", "mnist-chw-ai85.yaml"),
    ("cifar-10", "cifar10-nas.yaml"),
    ("kws20_v3", "kws20-v3-hwc.yaml"),
    ("cats-dogs", "cats-dogs-hwc.yaml"),
    ("camvid_unet", "camvid-unet-large-fakept.yaml"),
];

fn reference_root() -> Option<PathBuf> {
    common::reference_dir()
}

fn parse_dims(s: &str) -> Shape {
    let v: Vec<usize> = s.split('x').map(|t| t.trim().parse().unwrap()).collect();
    match v[..] {
        [c, l] => Shape::d1(c, l),
        [c, h, w] => Shape::d2(c, h, w),
        _ => panic!("bad shape {s}"),
    }
}

fn pair(s: &str, one_d: bool) -> [usize; 2] {
    let v: Vec<usize> = s.split(['x', '/']).map(|t| t.parse().unwrap()).collect();
    match v[..] {
        [a] if one_d => [a, 1],
        [a] => [a, a],
        [a, b] => [a, b],
        _ => panic!("bad pair {s}"),
    }
}

/// One `// Layer i: …` comment of izer's `cnn.c` as an IR node (shapes inferred and compared).
fn node_from_comment(line: &str) -> (Node, bool) {
    let body = line.split_once(": ").unwrap().1;
    let parts: Vec<&str> = body.split(", ").collect();
    let streaming = parts[0].contains(" streaming");
    let flatten = parts[0].contains(" flattened to ");
    let in_text = parts[0].split(' ').next().unwrap();
    let in_shape = parse_dims(in_text);
    let one_d = matches!(in_shape.dims, Dims::D1(_));
    let pool = Some(parts[1]).and_then(|p| {
        let (kind, rest) = if let Some(r) = p.strip_prefix("max pool ") {
            (PoolKind::Max, r)
        } else {
            (PoolKind::Avg, p.strip_prefix("avg pool ")?)
        };
        let (size, stride) = rest.split_once(" with stride ").unwrap();
        Some(Pool {
            kind,
            size: pair(size, one_d),
            stride: pair(stride, one_d),
            dilation: [1, 1],
        })
    });
    let out_shape = parse_dims(parts.last().unwrap().strip_suffix(" output").unwrap());
    let activation = match parts[parts.len() - 2] {
        "ReLU" => Activation::Relu,
        "Abs" => Activation::Abs,
        _ => Activation::None,
    };
    let op = if parts[2] == "linear" {
        Op::Linear {
            out_features: out_shape.channels,
        }
    } else {
        let (name, kernel) = parts[2].split_once(" with kernel size ").unwrap();
        let conv = Conv {
            out_channels: out_shape.channels,
            kernel: pair(kernel, name == "conv1d"),
            stride: pair(parts[3].strip_prefix("stride ").unwrap(), name == "conv1d"),
            pad: match pair(parts[4].strip_prefix("pad ").unwrap(), true) {
                [p, 1] if name == "conv1d" => [p, 0],
                p => p,
            },
            dilation: [1, 1],
            output_pad: usize::from(name == "convtranspose2d"),
            groups: 1,
        };
        match name {
            "conv1d" => Op::Conv1d(conv),
            "conv2d" => Op::Conv2d(conv),
            "convtranspose2d" => Op::ConvTranspose2d(conv),
            other => panic!("unknown operator {other}"),
        }
    };
    let mut node = Node::new(op, vec![Source::Input], in_shape);
    node.pool = pool;
    node.flatten = flatten;
    node.activation = activation;
    node.quant = QuantAttrs {
        scheme: QuantScheme::Max78000,
        weight_bits: Some(WeightBits::B8),
        bias_bits: Some(8),
        output_shift: Some(0),
        act: None,
        ..QuantAttrs::default()
    };
    infer_node(0, &mut node).unwrap();
    assert_eq!(node.out_shape, out_shape, "{line}");
    (node, streaming)
}

fn yaml_u64(v: &serde_yaml::Value) -> Option<u64> {
    match v {
        serde_yaml::Value::Number(n) => n.as_u64(),
        serde_yaml::Value::String(s) => u64::from_str_radix(
            s.trim_start_matches("0x").replace(['.', '_'], "").as_str(),
            16,
        )
        .ok(),
        _ => None,
    }
}

/// The golden network as a placed graph.
fn golden_graph(dir: &Path, yaml: &str) -> Graph {
    let cnn = std::fs::read_to_string(dir.join("golden/cnn.c")).unwrap();
    let comments: Vec<&str> = cnn.lines().filter(|l| l.starts_with("// Layer ")).collect();
    let cfg: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.join(yaml)).unwrap()).unwrap();
    let layers = cfg["layers"].as_sequence().unwrap();
    assert_eq!(layers.len(), comments.len());
    let console = std::fs::read_to_string(dir.join("golden/izer-console.txt")).unwrap();
    let has_bias: Vec<bool> = console
        .lines()
        .filter(|l| l.contains(".weight"))
        .map(|l| !l.contains("N/A"))
        .collect();

    let mut nodes = Vec::new();
    let mut prev_out_offset = 0;
    for (i, (line, y)) in comments.iter().zip(layers).enumerate() {
        let (mut node, streaming) = node_from_comment(line);
        if has_bias[i] {
            node.bias = Some(ndarray::Array1::from_elem(
                node.out_shape.channels,
                (i + 1) as f32,
            ));
        }
        let processors = ProcessorMask(yaml_u64(&y["processors"]).unwrap());
        let output_processors = match y.get("output_processors").and_then(yaml_u64) {
            Some(m) => ProcessorMask(m),
            None => match layers.get(i + 1) {
                Some(next) => ProcessorMask(yaml_u64(&next["processors"]).unwrap()),
                None => ProcessorMask(
                    (1u64 << MAX78000.limits.expansion(node.out_shape.channels).per_pass) - 1,
                ),
            },
        };
        let out_offset = y.get("out_offset").and_then(yaml_u64).unwrap_or(0) as u32;
        let in_offset = y
            .get("in_offset")
            .and_then(yaml_u64)
            .map_or(prev_out_offset, |o| o as u32);
        prev_out_offset = out_offset;
        let chw = y
            .get("data_format")
            .and_then(|v| v.as_str())
            .is_some_and(|s| s.eq_ignore_ascii_case("chw"));
        let wide = y.get("output_width").and_then(|v| v.as_u64()) == Some(32);
        node.annex = Annex::new(Placement {
            processors,
            output_processors,
            in_offset,
            out_offset,
            streaming,
            output_width: if wide {
                OutputWidth::Bits32
            } else {
                OutputWidth::Bits8
            },
            data_format: if chw {
                DataFormat::Chw
            } else {
                DataFormat::Hwc
            },
            conv_groups: 1,
            ..Placement::default()
        });
        nodes.push(node);
    }
    let input = nodes[0].in_shape;
    let last = nodes.len() - 1;
    Graph {
        arch: "golden".into(),
        dataset: None,
        input,
        nodes,
        outputs: vec![last],
        annex: Annex::default(),
    }
}

fn zcat(path: &Path) -> String {
    let out = Command::new("zcat").arg(path).output().expect("zcat");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// izer's kernel map: per processor, per column, the owning layer.
fn golden_kernel_map(log: &str, layers: usize) -> Vec<Vec<Option<usize>>> {
    let mut lines = log.lines().skip_while(|l| *l != "Kernel map:").skip(2);
    let width = if layers > 9 { 3 } else { 1 };
    let rows: Vec<Vec<Option<usize>>> = (0..64)
        .map(|_| {
            let row = lines.next().unwrap();
            assert_eq!(row.len(), 768 * width);
            (0..768)
                .map(|c| row[c * width..(c + 1) * width].trim().parse().ok())
                .collect()
        })
        .collect();
    assert!(lines.next().unwrap().starts_with("----"));
    rows
}

fn render(map: &[Vec<Option<usize>>], width: usize) -> String {
    let mut s = String::new();
    for row in map {
        for cell in row {
            match cell {
                Some(l) => s.push_str(&format!("{l:>width$}")),
                None => s.push_str(&format!("{:>width$}", "X")),
            }
        }
        s.push('\n');
    }
    s
}

fn cnn_h_bytes(dir: &Path, what: &str) -> u32 {
    let h = std::fs::read_to_string(dir.join("golden/cnn.h")).unwrap();
    let line = h
        .lines()
        .find(|l| l.trim_start().starts_with(what))
        .unwrap();
    let n = line
        .split(':')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    n.replace(',', "").parse().unwrap()
}

fn bias_fill(dir: &Path) -> Vec<u32> {
    let w = std::fs::read_to_string(dir.join("golden/weights.h")).unwrap();
    (0..4)
        .map(|q| {
            let Some(start) = w.find(&format!("#define BIAS_{q} {{")) else {
                return 0;
            };
            let body = &w[start..];
            let body = &body[..body.find('}').unwrap()];
            body.matches("0x").count() as u32
        })
        .collect()
}

#[test]
fn kernel_words_per_layer_match_izer() {
    let Some(root) = reference_root() else { return };
    for (net, yaml) in NETS {
        let dir = root.join(net);
        let graph = golden_graph(&dir, yaml);
        let golden = golden_kernel_map(&zcat(&dir.join("golden/log.txt.gz")), graph.nodes.len());
        for layer in 0..graph.nodes.len() {
            let mut want = BTreeMap::new();
            for (p, row) in golden.iter().enumerate() {
                let n = row.iter().filter(|c| **c == Some(layer)).count() as u32;
                if n > 0 {
                    want.insert(p as u32, n);
                }
            }
            let geo = dev::KernelGeometry::of(&graph, layer, &MAX78000).unwrap();
            let got: BTreeMap<u32, u32> = geo
                .layout(&MAX78000)
                .processors
                .iter()
                .map(|p| (p.processor, p.columns.len() as u32))
                .collect();
            assert_eq!(got, want, "{net} layer {layer}: kernel words per processor");
            let res = dev::layer_resources(&graph, layer, &MAX78000);
            assert_eq!(
                res.kernel_words,
                want.values().copied().max().unwrap(),
                "{net} layer {layer}"
            );
            assert_eq!(
                res.kernel_words_total,
                want.values().sum::<u32>(),
                "{net} layer {layer}"
            );
        }
    }
}

#[test]
fn kernel_allocation_reproduces_izer_map() {
    let Some(root) = reference_root() else { return };
    for (net, yaml) in NETS {
        let dir = root.join(net);
        let graph = golden_graph(&dir, yaml);
        let golden = golden_kernel_map(&zcat(&dir.join("golden/log.txt.gz")), graph.nodes.len());
        let map = allocate_kernels(&graph, &MAX78000).unwrap();
        let width = if graph.nodes.len() > 9 { 3 } else { 1 };
        let want = render(&golden, width);
        for (p, (got, want)) in map.render().lines().zip(want.lines()).enumerate() {
            assert_eq!(got, want, "{net}: kernel map row of processor {p}");
        }
        assert_eq!(map.render().lines().count(), 64);
    }
}

#[test]
fn memory_totals_match_izer() {
    let Some(root) = reference_root() else { return };
    for (net, yaml) in NETS {
        let dir = root.join(net);
        let graph = golden_graph(&dir, yaml);
        let t = totals(&graph, &MAX78000);
        assert_eq!(
            t.weight_bytes,
            cnn_h_bytes(&dir, "Weight memory:"),
            "{net}: weight bytes"
        );
        assert_eq!(
            t.bias_bytes,
            bias_fill(&dir),
            "{net}: bias bytes per quadrant"
        );
        assert_eq!(
            t.bias_bytes.iter().sum::<u32>(),
            cnn_h_bytes(&dir, "Bias memory:"),
            "{net}"
        );
        assert!(t.fits(), "{net}: {t:?}");
    }
}

#[test]
fn golden_networks_pass_all_checks() {
    let Some(root) = reference_root() else { return };
    for (net, yaml) in NETS {
        let graph = golden_graph(&root.join(net), yaml);
        let errors: Vec<String> = dev::violations(&graph)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "{net}: {errors:#?}");
    }
}
