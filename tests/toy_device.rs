//! Proof that the `Target` seam is real: a toy accelerator defined only here — its own
//! description format (a small JSON), its own training rules, its own placement annex and a
//! trivial integer arithmetic — plugs into the device registry and runs `inspect`, `train`
//! (one epoch on a few images) and `sim` through qtool's command line, with no change to
//! qtool itself.

mod common;

use common::data::{npy, put};
use common::tiny::setup;
use ndarray::{Array3, ArrayD};
use qtool::checkpoint::graph::split_optimizer;
use qtool::checkpoint::native::NativeCheckpoint;
use qtool::device::{LoadRequest, Loaded, Registry, Report, Target, TargetError};
use qtool::ir::{
    Activation, Annex, Conv, Graph, Node, Op, Shape, Source, TrainingRules, WeightInit, infer_node,
    params,
};
use qtool::sim::{SimError, SimOptions, SimResult, Simulator};
use serde::Deserialize;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// The toy's description: `{"input": [C, H, W], "layers": [{"op": "conv"|"linear", …}]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToyDesc {
    input: [usize; 3],
    layers: Vec<ToyLayer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToyLayer {
    op: String,
    out: usize,
    #[serde(default)]
    relu: bool,
}

/// The toy's placement: which of its four compute slots runs a layer.
#[derive(Debug, Clone, PartialEq)]
struct Slot(usize);

/// A device with four slots, 3×3 convolutions (pad 1) and linear layers, that computes
/// `floor(Σ round(16·w)·x / 16) + round(b)` and ReLU in plain integers.
#[derive(Debug)]
struct Toy;

const SLOTS: usize = 4;

fn toy_error(file: &Path, message: impl std::fmt::Display) -> TargetError {
    TargetError::message(format!("{}: {message}", file.display()))
}

fn build(desc: &ToyDesc) -> Graph {
    let [c, h, w] = desc.input;
    let input = Shape::d2(c, h, w);
    let mut nodes: Vec<Node> = Vec::new();
    for (i, l) in desc.layers.iter().enumerate() {
        let src = if i == 0 {
            Source::Input
        } else {
            Source::Node(i - 1)
        };
        let in_shape = nodes.last().map_or(input, |n| n.out_shape);
        let op = match l.op.as_str() {
            "conv" => Op::Conv2d(Conv {
                pad: [1, 1],
                ..Conv::plain(l.out, [3, 3])
            }),
            _ => Op::Linear {
                out_features: l.out,
            },
        };
        let mut node = Node::new(op, vec![src], in_shape);
        node.flatten = matches!(op, Op::Linear { .. });
        node.activation = if l.relu {
            Activation::Relu
        } else {
            Activation::None
        };
        // The toy's float conventions: hidden layers are confined to [0, 4].
        node.training = TrainingRules {
            output_range: l.relu.then_some((0.0, 4.0)),
            weight_init: WeightInit::Framework,
            ..TrainingRules::default()
        };
        node.annex = Annex::new(Slot(i));
        infer_node(i, &mut node).expect("toy layers fit");
        nodes.push(node);
    }
    Graph::new("toy", input, nodes)
}

impl Target for Toy {
    fn name(&self) -> &'static str {
        "toy"
    }

    fn load(&self, req: &LoadRequest) -> Result<Loaded, TargetError> {
        let text = std::fs::read_to_string(&req.network).map_err(|e| toy_error(&req.network, e))?;
        let desc: ToyDesc = serde_json::from_str(&text).map_err(|e| toy_error(&req.network, e))?;
        let mut graph = build(&desc);
        if let Some(ckpt) = &req.checkpoint {
            let native = NativeCheckpoint::read(ckpt).map_err(TargetError::device)?;
            let (params, _) = split_optimizer(native.tensors, ckpt).map_err(TargetError::device)?;
            params::load_state_dict(&mut graph, &params).map_err(|e| toy_error(ckpt, e))?;
        }
        Ok(Loaded {
            graph,
            warnings: Vec::new(),
        })
    }

    fn check(&self, graph: &Graph) -> Result<(), TargetError> {
        if graph.nodes.len() > SLOTS {
            return Err(TargetError::message(format!(
                "{} layers; the toy has {SLOTS} slots",
                graph.nodes.len()
            )));
        }
        Ok(())
    }

    fn inspect(&self, loaded: &Loaded) -> Result<Report, TargetError> {
        let g = &loaded.graph;
        let slots: Vec<usize> = g
            .nodes
            .iter()
            .map(|n| n.annex.get::<Slot>().map_or(usize::MAX, |s| s.0))
            .collect();
        let json =
            serde_json::json!({"layers": g.nodes.len(), "params": g.param_count(), "slots": slots});
        Ok(Report {
            json: json.to_string() + "\n",
            text: format!("toy: {} layers in slots {slots:?}\n", g.nodes.len()),
        })
    }

    fn simulator<'g>(&self, graph: &'g Graph) -> Result<Box<dyn Simulator + 'g>, TargetError> {
        Ok(Box::new(ToySim(graph)))
    }

    fn sample_input(&self, sample: &ArrayD<i64>) -> Result<Array3<i64>, TargetError> {
        sample
            .clone()
            .into_dimensionality()
            .map_err(|e| TargetError::message(e.to_string()))
    }
}

/// The toy's integer engine.
struct ToySim<'g>(&'g Graph);

fn q16(w: f32) -> i64 {
    (w * 16.0).round() as i64
}

fn layer(node: &Node, x: &Array3<i64>) -> Array3<i64> {
    let w = node.weights.as_ref().expect("trained weights");
    let bias = |o: usize| node.bias.as_ref().map_or(0, |b| b[o].round() as i64);
    let relu = |v: i64| match node.activation {
        Activation::Relu => v.max(0),
        _ => v,
    };
    let (c, h, wd) = x.dim();
    match node.op {
        Op::Linear { out_features } => Array3::from_shape_fn((out_features, 1, 1), |(o, _, _)| {
            let flat = x.iter();
            let acc: i64 = flat.enumerate().map(|(i, v)| q16(w[[o, i]]) * v).sum();
            relu(acc.div_euclid(16) + bias(o))
        }),
        _ => {
            let outs = w.shape()[0];
            Array3::from_shape_fn((outs, h, wd), |(o, r, col)| {
                let mut acc = 0i64;
                for i in 0..c {
                    for (ky, kx) in (0..3).flat_map(|a| (0..3).map(move |b| (a, b))) {
                        let (y, xx) = (r + ky, col + kx);
                        if (1..=h).contains(&y) && (1..=wd).contains(&xx) {
                            acc += q16(w[[o, i, ky, kx]]) * x[[i, y - 1, xx - 1]];
                        }
                    }
                }
                relu(acc.div_euclid(16) + bias(o))
            })
        }
    }
}

impl Simulator for ToySim<'_> {
    fn run(
        &self,
        input: &Array3<i64>,
        _opts: SimOptions,
        _trace: bool,
    ) -> Result<SimResult, SimError> {
        let mut outputs: Vec<Array3<i64>> = Vec::new();
        for node in &self.0.nodes {
            let x = outputs.last().unwrap_or(input);
            outputs.push(layer(node, x));
        }
        Ok(SimResult {
            outputs,
            traces: Vec::new(),
        })
    }
}

const TOY_NET: &str = r#"{"input": [1, 8, 8], "layers": [{"op": "conv", "out": 2, "relu": true}, {"op": "linear", "out": 3}]}"#;

fn registry() -> Registry {
    Registry::builtin().with(Arc::new(Toy))
}

fn qtool(args: &[&str]) -> ExitCode {
    let mut argv = vec!["qtool", "--quiet"];
    argv.extend_from_slice(args);
    qtool::cli::run_with(argv, &registry())
}

#[test]
fn a_toy_device_plugs_in_through_the_registry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let net = put(d, "toy.json", TOY_NET.as_bytes());
    let (data, _) = setup(d);
    let (net_s, data_s) = (net.to_str().unwrap(), data.to_str().unwrap());

    // inspect: the toy's own report, its placement read back from the annex.
    let target = registry().get("toy").unwrap();
    let req = LoadRequest {
        network: net.clone(),
        ..Default::default()
    };
    let report = qtool::jobs::inspect::inspect(target.as_ref(), &req).unwrap();
    assert_eq!(report.text, "toy: 2 layers in slots [0, 1]\n");
    assert_eq!(
        qtool(&["inspect", "--device", "toy", "--network", net_s]),
        ExitCode::SUCCESS
    );

    // train: one epoch of the generic training loop on the toy's graph and rules.
    let run = d.join("run");
    let code = qtool(&[
        "train",
        "--device",
        "toy",
        "--network",
        net_s,
        "--dataset",
        "npy",
        "--data",
        data_s,
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--threads",
        "1",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_eq!(code, ExitCode::SUCCESS);
    let ckpt = run.join("latest.safetensors");
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 2, "{metrics}");

    // sim: the toy's integer engine on the trained checkpoint, through the CLI.
    let sample: Vec<u8> = (0..64u32).map(|i| (i * 37 % 101) as u8).collect();
    let sample_path = put(d, "sample.npy", &npy("|u1", &[1, 8, 8], &sample));
    let (ckpt_s, sample_s) = (ckpt.to_str().unwrap(), sample_path.to_str().unwrap());
    let sim = |flag: &str, file: &Path| {
        let file = file.to_str().unwrap();
        let args = [
            "sim",
            "--device",
            "toy",
            "--network",
            net_s,
            "--checkpoint",
            ckpt_s,
        ];
        qtool(&[&args[..], &["--input", sample_s, flag, file]].concat())
    };
    let out = d.join("out.npy");
    assert_eq!(sim("--output", &out), ExitCode::SUCCESS);
    let got = qtool::io::npy::read_i64(&out).unwrap();
    assert_eq!(got.shape(), [3]);
    // The same numbers as the toy's engine computes on the graph loaded directly.
    let loaded = Toy
        .load(&LoadRequest {
            network: net.clone(),
            checkpoint: Some(ckpt.clone()),
            ..Default::default()
        })
        .unwrap();
    let x = Array3::from_shape_fn((1, 8, 8), |(_, y, x)| i64::from(sample[y * 8 + x]));
    let expected = ToySim(&loaded.graph)
        .classify(&x, SimOptions::default())
        .unwrap();
    assert_eq!(
        got.iter().copied().collect::<Vec<_>>(),
        expected.iter().copied().collect::<Vec<_>>()
    );
    // Its outputs are not all zero: the trained weights reached the engine.
    assert!(expected.iter().any(|v| *v != 0), "{expected:?}");

    // What the toy does not have is refused with exit 2: a known-answer file.
    let kat = d.join("kat.h");
    assert_eq!(sim("--write-kat", &kat), ExitCode::from(2));
    assert!(!kat.exists());
    // An unknown device is refused too.
    assert_eq!(
        qtool(&["inspect", "--device", "nope", "--network", net_s]),
        ExitCode::from(2)
    );
}
