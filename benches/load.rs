//! Front-end speed: parsing a network description, reading a quantized `.pth.tar`, and
//! building the placed IR with its `inspect` report (izer needs seconds for the same step).

use criterion::{Criterion, criterion_group, criterion_main};
use qtool::checkpoint::read as read_checkpoint;
use qtool::netdesc::ai8x::{LoadRequest, load_max78000};
use std::hint::black_box;
use std::path::PathBuf;

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bundled = root.join("networks/ai85net5.yaml");
    c.bench_function("parse ai85net5.yaml", |b| {
        b.iter(|| qtool::netdesc::ai8x::load(black_box(&bundled)).unwrap())
    });
    let mnist = root.join("../shared/reference/ai8x/mnist");
    if !mnist.is_dir() {
        eprintln!("../shared absent: only the bundled description is benchmarked");
        return;
    }
    let ckpt = mnist.join("ai85-mnist-qat8-q.pth.tar");
    c.bench_function("read mnist .pth.tar", |b| {
        b.iter(|| read_checkpoint(black_box(&ckpt)).unwrap())
    });
    let req = LoadRequest {
        network: mnist.join("mnist-chw-ai85.yaml"),
        checkpoint: Some(ckpt.clone()),
        sample_input: Some(mnist.join("sample_mnist.npy")),
        ..Default::default()
    };
    c.bench_function("load + inspect mnist", |b| {
        b.iter(|| {
            let built = load_max78000(black_box(&req)).unwrap();
            qtool::device::ai8x::inspect_ai8x(&built.graph, built.warnings)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
