//! The integer simulator on the reference networks: known final outputs of mnist and
//! cifar-10 (arithmetic.md), and every reference network simulates without error.

mod common;

use qtool::device::ai8x::sim::{SimOptions, simulate};
use qtool::io::npy;

fn run(name: &str) -> Option<Vec<ndarray::Array3<i64>>> {
    let (_, yaml, ckpt, sample) = common::reference_networks()
        .into_iter()
        .find(|n| n.0 == name)?;
    let (built, input) = common::load_reference(&yaml, &ckpt, &sample);
    Some(
        simulate(&built.graph, &input, SimOptions::default())
            .unwrap()
            .outputs,
    )
}

fn words(out: &ndarray::Array3<i64>) -> Vec<u32> {
    out.iter().map(|v| *v as u32).collect()
}

#[test]
fn mnist_final_layer_matches_izer() {
    let Some(out) = run("mnist") else { return };
    let expected = [
        0xfffecf58u32,
        0x00016cc1,
        0x0000b1ac,
        0x0000749a,
        0xffff7268,
        0xfffe0062,
        0xfffbd7f1,
        0x00065b68,
        0xfffdbad1,
        0x000061f1,
    ];
    assert_eq!(words(out.last().unwrap()), expected);
}

#[test]
fn cifar10_final_layer_matches_izer() {
    let Some(out) = run("cifar-10") else { return };
    let expected = [
        0xfffc3376u32,
        0xfffc6f4d,
        0xfffd405d,
        0x00030a96,
        0xfffcfb74,
        0x00001191,
        0xfffdcd38,
        0xfffc95fe,
        0xfffc3078,
        0xfffc09c9,
    ];
    assert_eq!(words(out.last().unwrap()), expected);
}

#[test]
fn every_reference_network_simulates() {
    for (name, ..) in common::reference_networks() {
        let out = run(&name).unwrap();
        assert!(!out.is_empty(), "{name}");
    }
}

#[test]
fn mnist_intermediate_log_matches_izer() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let m = dir.join("mnist");
    let (built, input) = common::load_reference(
        &m.join("mnist-chw-ai85.yaml"),
        &m.join("ai85-mnist-qat8-q.pth.tar"),
        &m.join("sample_mnist.npy"),
    );
    let traces = qtool::device::ai8x::sim::Prepared::new(&built.graph)
        .unwrap()
        .run(&input, SimOptions::default(), true)
        .unwrap()
        .traces;
    let out = tempfile::tempdir().unwrap();
    qtool::device::ai8x::sim::write_intermediate(out.path(), &built.graph, &traces).unwrap();
    for file in ["data.npy", "weights.npy", "bias.npy"] {
        let ours = npy::read_all_records(&out.path().join(file)).unwrap();
        let izer = npy::read_all_records(&m.join("intermediate").join(file)).unwrap();
        assert_eq!(ours.len(), izer.len(), "{file}: record count");
        for (i, (a, b)) in ours.iter().zip(&izer).enumerate() {
            assert_eq!(a, b, "{file} record {i}");
        }
    }
}
