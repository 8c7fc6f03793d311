//! Simulator speed: one MNIST image through the bit-exact integer engine (ai85net5, the
//! reference checkpoint), and a CIFAR-10 image through the 11-layer NAS network.

use criterion::{Criterion, criterion_group, criterion_main};
use qtool::device::max78000::sim::{Prepared, SimOptions, input_tensor};
use qtool::netdesc::max78000::{LoadRequest, load_max78000};
use qtool::sim::Simulator;
use std::hint::black_box;
use std::path::PathBuf;

fn bench_net(c: &mut Criterion, name: &str, folder: &str, yaml: &str, ckpt: &str, sample: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/ai8x")
        .join(folder);
    if !dir.is_dir() {
        eprintln!("../shared absent: {name} simulation not benchmarked");
        return;
    }
    let req = LoadRequest {
        network: dir.join(yaml),
        checkpoint: Some(dir.join(ckpt)),
        sample_input: Some(dir.join(sample)),
        ..Default::default()
    };
    let built = load_max78000(&req).unwrap();
    let sample = qtool::io::npy::read_i64(&dir.join(sample)).unwrap();
    let input = input_tensor(&sample).unwrap();
    let prepared = Prepared::new(&built.graph).unwrap();
    c.bench_function(name, |b| {
        b.iter(|| {
            prepared
                .classify(black_box(&input), SimOptions::default())
                .unwrap()
        })
    });
}

fn bench(c: &mut Criterion) {
    bench_net(
        c,
        "sim mnist image",
        "mnist",
        "mnist-chw-ai85.yaml",
        "ai85-mnist-qat8-q.pth.tar",
        "sample_mnist.npy",
    );
    bench_net(
        c,
        "sim cifar-10 image",
        "cifar-10",
        "cifar10-nas.yaml",
        "ai85-cifar10-qat8-q.pth.tar",
        "sample_cifar-10.npy",
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
