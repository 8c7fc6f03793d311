//! Simulator paths the reference networks do not exercise, on small hand-made networks with
//! hand-computed answers: element-wise pool-first vs pool-last, concatenation through
//! `in_sequences`, passthrough. (izer compares the channel count of an `input` operand with
//! the *last* layer's, so these networks feed the input through a passthrough first.)

use ndarray::Array3;
use qtool::device::ai8x::sim::{SimOptions, simulate};
use qtool::ir::Dims;
use qtool::netdesc::ai8x::{InputSpec, build_graph, parse};

fn run(yaml: &str, input: &Array3<i64>) -> Vec<Array3<i64>> {
    let desc = parse(yaml, "t.yaml").unwrap();
    let (c, h, w) = input.dim();
    let built = build_graph(
        &desc,
        None,
        InputSpec {
            channels: c,
            dims: Dims::D2(h, w),
        },
    )
    .unwrap();
    simulate(&built.graph, input, SimOptions::default())
        .unwrap()
        .outputs
}

/// Channel 0 of a 1×2×2 window holding 100, 100, 0, 0; other channels 0.
fn input() -> Array3<i64> {
    Array3::from_shape_fn(
        (4, 2, 2),
        |(c, i, _)| if c == 0 && i == 0 { 100 } else { 0 },
    )
}

fn net(pool_first: bool) -> String {
    format!(
        "arch: t\ndataset: t\nlayers:\n  - processors: 0xf\n    op: passthrough\n    out_offset: 0x1000\n  - processors: 0xf\n    op: passthrough\n    in_sequences: [input]\n    out_offset: 0x2000\n  - processors: 0xf\n    op: add\n    in_sequences: [0, 1]\n    avg_pool: 2\n    pool_stride: 2\n    pool_first: {pool_first}\n    out_offset: 0\n"
    )
}

#[test]
fn add_pool_last_saturates_before_averaging() {
    // (100+100 → 127, 127, 0, 0) averaged: 254 / 4 = 63.
    let out = run(&net(false), &input());
    assert_eq!(out[2].dim(), (4, 1, 1));
    assert_eq!(out[2][[0, 0, 0]], 63);
}

#[test]
fn add_pool_first_averages_each_operand() {
    // avg(100,100,0,0) = 50 per operand, 50 + 50 = 100.
    let out = run(&net(true), &input());
    assert_eq!(out[2][[0, 0, 0]], 100);
}

#[test]
fn concatenation_stacks_channels_in_list_order() {
    let yaml = "arch: t\ndataset: t\nlayers:\n  - processors: 0xf\n    op: passthrough\n    max_pool: 2\n    pool_stride: 2\n    out_offset: 0x1000\n  - processors: 0xf\n    op: passthrough\n    avg_pool: 2\n    pool_stride: 2\n    in_sequences: [input]\n    out_offset: 0x2000\n  - processors: 0xff\n    op: passthrough\n    in_sequences: [1, 0]\n    out_offset: 0\n";
    let x = Array3::from_shape_fn((4, 2, 2), |(c, i, j)| (c * 10 + i * 2 + j) as i64 - 5);
    let out = run(yaml, &x);
    assert_eq!(out[2].dim(), (8, 1, 1));
    for c in 0..4 {
        let window: Vec<i64> = x.slice(ndarray::s![c, .., ..]).iter().copied().collect();
        let sum: i64 = window.iter().sum();
        let avg = sum.signum() * (sum.abs() / 4);
        assert_eq!(out[2][[c, 0, 0]], avg, "avg channel {c}");
        assert_eq!(
            out[2][[4 + c, 0, 0]],
            *window.iter().max().unwrap(),
            "max channel {c}"
        );
    }
}
