//! Batch-norm folding: the folded float model computes what the unfolded one computes (within
//! 1e-5 relative), for affine and non-affine batch norm on MAX78000 layers, and `qtool fuse`
//! writes a checkpoint that loads onto the same description.

mod common;

use burn::tensor::Device;
use ndarray::Array1;
use qtool::fuse::fold_batchnorm;
use qtool::ir::Graph;
use qtool::netdesc::ai8x::{LoadRequest, load_max78000};
use qtool::train::{ModelOptions, TrainModel, images_tensor};
use std::path::{Path, PathBuf};

fn net(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("networks")
        .join(name)
}

/// The description's graph with seeded initial weights and made-up running statistics (and γ,
/// β where the batch norm is affine), so folding has something to fold.
fn trained_like(name: &str) -> Graph {
    let mut g = load_max78000(&LoadRequest {
        network: net(name),
        ..Default::default()
    })
    .unwrap()
    .graph;
    let model = TrainModel::new(
        &g,
        &ModelOptions {
            seed: 3,
            bias: true,
        },
        &Device::flex(),
    )
    .unwrap();
    model.export_to_graph(&mut g).unwrap();
    for (i, node) in g.nodes.iter_mut().enumerate() {
        if let Some(bn) = node.batchnorm.as_mut() {
            let n = bn.running_mean.len();
            let wave = |a: f32, b: f32| -> Array1<f32> {
                (0..n)
                    .map(|c| a + b * ((c + i) as f32 * 0.7).sin())
                    .collect()
            };
            bn.running_mean = wave(0.0, 0.1);
            bn.running_var = wave(0.5, 0.3);
            if bn.gamma.is_some() {
                bn.gamma = Some(wave(1.0, 0.4));
                bn.beta = Some(wave(0.0, 0.2));
            }
        }
    }
    g
}

fn logits(g: &Graph, x: &[f32]) -> Vec<f32> {
    let dev = Device::flex();
    let model = TrainModel::new(g, &ModelOptions::default(), &dev).unwrap();
    let (h, w) = g.input.dims.hw();
    let shape = [2, g.input.channels, h, w];
    model
        .forward(images_tensor(x.to_vec(), shape, &dev))
        .unwrap()
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap()
}

fn folds_exactly(name: &str) {
    let g = trained_like(name);
    let bns = g.nodes.iter().filter(|n| n.batchnorm.is_some()).count();
    assert!(bns > 0, "{name} has batch norm");
    let (h, w) = g.input.dims.hw();
    let n = 2 * g.input.channels * h * w;
    let x: Vec<f32> = (0..n)
        .map(|i| ((i * 37 % 101) as f32 / 101.0) - 0.5)
        .collect();
    let before = logits(&g, &x);
    let mut folded = g.clone();
    assert_eq!(fold_batchnorm(&mut folded).unwrap(), bns);
    assert!(folded.nodes.iter().all(|n| n.batchnorm.is_none()));
    let after = logits(&folded, &x);
    let scale = before.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(scale > 0.0);
    for (a, b) in before.iter().zip(&after) {
        assert!(
            (a - b).abs() <= 1e-5 * scale,
            "{name}: {a} vs {b} (scale {scale})"
        );
    }
}

#[test]
fn folding_non_affine_batch_norm_keeps_the_outputs() {
    folds_exactly("ai85net-cifar10.yaml");
}

#[test]
fn folding_affine_batch_norm_keeps_the_outputs() {
    folds_exactly("fire-squeezenet.yaml");
}

#[test]
fn fuse_command_writes_a_loadable_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let g = trained_like("fire-squeezenet.yaml");
    let ckpt = tmp.path().join("float.safetensors");
    qtool::train::progress::save_params(&ckpt, &g, None).unwrap();
    let out = tmp.path().join("fused.safetensors");
    let run = |extra: &[&str]| {
        assert_cmd::Command::cargo_bin("qtool")
            .unwrap()
            .args(["fuse", "--network"])
            .arg(net("fire-squeezenet.yaml"))
            .arg("--checkpoint")
            .arg(&ckpt)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let first = run(&[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).starts_with("folded "));
    // The output is not replaced without --overwrite.
    let second = run(&[]);
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("--overwrite"));
    assert!(run(&["--overwrite"]).status.success());

    // The folded file loads onto the description (its batch norms count as folded).
    let mut loaded = load_max78000(&LoadRequest {
        network: net("fire-squeezenet.yaml"),
        ..Default::default()
    })
    .unwrap()
    .graph;
    qtool::train::progress::load_into(&out, &mut loaded).unwrap();
    assert!(loaded.nodes.iter().all(|n| n.batchnorm.is_none()));
    let mut expected = g.clone();
    fold_batchnorm(&mut expected).unwrap();
    for (a, b) in loaded.nodes.iter().zip(&expected.nodes) {
        assert_eq!(a.weights, b.weights);
        assert_eq!(a.bias, b.bias);
    }
}
