//! The bundled network descriptions (`networks/*.yaml`): each loads without a checkpoint from
//! its own `input` key, fits the MAX78000, and becomes a trainable model whose forward pass
//! gives one logit per class.

use burn::tensor::Tensor;
use qtool::device::ai8x::violations;
use qtool::ir::{Graph, Node};
use qtool::netdesc::ai8x::{LoadRequest, load_max78000};
use qtool::netdesc::datasets;
use qtool::train::{ModelOptions, TrainModel, default_device};
use std::path::{Path, PathBuf};

/// Every network in `networks/`: file, classes, parameters (weights plus biases, without the
/// batch norms that are folded away for deployment), layers.
const ZOO: &[(&str, usize, usize, usize)] = &[
    ("ai85net5.yaml", 10, 71_158, 5),
    ("ai85net-extrasmall.yaml", 10, 2_514, 4),
    ("ai85net-cifar10.yaml", 10, 302_602, 11),
    ("ai85kws20.yaml", 21, 169_472, 9),
    ("fire-squeezenet.yaml", 10, 25_866, 11),
    ("gti-vgg-small.yaml", 10, 186_602, 8),
];

fn networks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("networks")
}

/// Weights the geometry implies plus one bias per output where the description asks for one.
fn deployed_params(node: &Node) -> usize {
    let weights: usize = node.weight_shape().map_or(0, |s| s.iter().product());
    let bias = if node.with_bias == Some(true) {
        node.out_shape.channels
    } else {
        0
    };
    weights + bias
}

fn load(file: &str) -> Graph {
    let req = LoadRequest {
        network: networks_dir().join(file),
        ..Default::default()
    };
    let built = load_max78000(&req).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(built.warnings.is_empty(), "{file}: {:?}", built.warnings);
    built.graph
}

#[test]
fn every_network_file_is_in_the_zoo_table() {
    let mut files: Vec<String> = std::fs::read_dir(networks_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = ZOO.iter().map(|z| z.0.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
}

#[test]
fn zoo_networks_load_fit_the_max78000_and_give_logits() {
    let device = default_device();
    for &(file, classes, params, layers) in ZOO {
        let g = load(file);
        assert_eq!(g.nodes.len(), layers, "{file}");
        let errors = violations(&g);
        assert!(errors.is_empty(), "{file}: {errors:?}");
        assert_eq!(
            g.nodes.iter().map(deployed_params).sum::<usize>(),
            params,
            "{file}"
        );
        // The `input` key agrees with the data set the network names, where qtool knows it.
        if let Some(shape) = g.dataset.as_deref().and_then(datasets::input_shape) {
            assert_eq!(g.input, shape, "{file}");
        }
        let model = TrainModel::new(&g, &ModelOptions::default(), &device)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let (h, w) = g.input.dims.hw();
        let x = Tensor::<4>::zeros([2, g.input.channels, h, w], &device);
        let logits = model.forward(x).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(logits.dims(), [2, classes], "{file}");
        let values = logits.into_data().try_into_vec_as::<f32>().unwrap();
        assert!(values.iter().all(|v| v.is_finite()), "{file}");
    }
}
