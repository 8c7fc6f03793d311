//! `convert` speed: the MNIST reference network from files on disk to every file of its SDK
//! project in memory (load, limit checks, known-answer simulation, all emitters), for the
//! MAX78000 and the MAX78002 — izer needs 6.7–8.8 s (MAX78000) and 6.0 s (MAX78002,
//! `../shared/reference/ai87/mnist/golden/TIME.txt`) for the same step on this machine
//! (target: < 30 ms, ≥ 200× faster).

use criterion::{Criterion, criterion_group, criterion_main};
use qtool::device::ai8x::ChipId;
use qtool::emit::ai8x::ProjectOptions;
use qtool::emit::ai8x::{ConvertOptions, ai8x_project};
use qtool::netdesc::ai8x::{LoadRequest, load_for};
use std::hint::black_box;
use std::path::PathBuf;

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mnist = root.join("../shared/reference/ai8x/mnist");
    if !mnist.is_dir() {
        eprintln!("SKIPPED: ../shared/reference/ai8x/mnist absent; nothing to benchmark");
        return;
    }
    let sample = mnist.join("sample_mnist.npy");
    let req = LoadRequest {
        network: mnist.join("mnist-chw-ai85.yaml"),
        checkpoint: Some(mnist.join("ai85-mnist-qat8-q.pth.tar")),
        sample_input: Some(sample.clone()),
        ..Default::default()
    };
    let opts = ConvertOptions {
        project: ProjectOptions {
            prefix: "mnist".into(),
            softmax: true,
            timer: Some(0),
            ..ProjectOptions::default()
        },
        ..ConvertOptions::default()
    };
    for (name, chip) in [
        ("convert mnist (files in, project out)", ChipId::Max78000),
        (
            "convert mnist for max78002 (files in, project out)",
            ChipId::Max78002,
        ),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let built = load_for(black_box(&req), chip).unwrap();
                let data = qtool::io::npy::read_i64(&sample).unwrap();
                let input = qtool::device::ai8x::sim::input_tensor(&data).unwrap();
                ai8x_project(&built.graph, &input, &opts).unwrap()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
