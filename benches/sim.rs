//! Simulator speed: ai85net5 (MNIST, the reference checkpoint) and the 11-layer NAS network
//! (CIFAR-10) through the bit-exact integer engine — one image at a time on one thread
//! (batch 1, as `sim --input` runs), and 256 images in blocks on every thread (batch 256, as
//! `sim --evaluate` runs). Prints images/s, G MAC/s and the ratio to PyTorch's float
//! inference of ai85net5 measured on the same machine kind (`../shared/baselines/pytorch.md`).

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array3;
use qtool::device::ai8x::sim::{Prepared, SimOptions, input_tensor};
use qtool::device::ai8x::{graph_ops, total_ops};
use qtool::eval::SIM_BLOCK;
use qtool::netdesc::ai8x::{LoadRequest, load_max78000};
use qtool::sim::Simulator;
use rayon::prelude::*;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// PyTorch 2.3.1's float inference of ai85net5 (images/s, batch 256), from the baseline file.
fn pytorch_images_per_s() -> Option<f64> {
    let text = std::fs::read_to_string(shared().join("baselines/pytorch.md")).ok()?;
    let line = text
        .lines()
        .find(|l| l.starts_with("| float inference, images/s"))?;
    let cell = line.split('|').nth(2)?;
    cell.replace(['*', ' ', '\u{202f}', '\u{a0}'], "")
        .parse()
        .ok()
}

/// Images/s of `run` over `images` images, best of a few timed passes after a warm-up.
fn rate(images: usize, mut run: impl FnMut()) -> f64 {
    run();
    let mut best = Duration::MAX;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        let t = Instant::now();
        run();
        best = best.min(t.elapsed());
    }
    images as f64 / best.as_secs_f64()
}

fn report(name: &str, images_per_s: f64, macs: u64, pytorch: Option<f64>) {
    let gmacs = images_per_s * macs as f64 / 1e9;
    let ratio = pytorch.map_or(String::new(), |p| {
        format!(
            ", {:.2}× PyTorch float inference ({p:.0} images/s)",
            images_per_s / p
        )
    });
    println!("{name}: {images_per_s:.0} images/s, {gmacs:.2} G MAC/s{ratio}");
}

fn bench_net(c: &mut Criterion, name: &str, folder: &str, yaml: &str, ckpt: &str, sample: &str) {
    let dir = shared().join("reference/ai8x").join(folder);
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
    let input = input_tensor(&qtool::io::npy::read_i64(&dir.join(sample)).unwrap()).unwrap();
    let prepared = Prepared::new(&built.graph).unwrap();
    let macs = total_ops(&graph_ops(&built.graph)).macc;
    let opts = SimOptions::default();
    c.bench_function(&format!("sim {name} image"), |b| {
        b.iter(|| prepared.classify(black_box(&input), opts).unwrap())
    });
    let images = shifted_copies(&input, 256);
    c.bench_function(&format!("sim {name} 256 images"), |b| {
        b.iter(|| run_blocks(&prepared, black_box(&images), SIM_BLOCK))
    });
    let pytorch = (folder == "mnist").then(pytorch_images_per_s).flatten();
    let one = rate(1, || {
        prepared.classify(&input, opts).unwrap();
    });
    report(&format!("{name}, batch 1, one thread"), one, macs, None);
    let threads = rayon::current_num_threads();
    for block in [1, 2, SIM_BLOCK, 16] {
        let many = rate(images.len(), || run_blocks(&prepared, &images, block));
        let what = format!("{name}, batch 256 in blocks of {block}, {threads} threads");
        report(&what, many, macs, pytorch);
    }
}

/// `n` different inputs: the sample with its values rotated by `i` (same range and shape).
fn shifted_copies(x: &Array3<i64>, n: usize) -> Vec<Array3<i64>> {
    (0..n)
        .map(|i| x.mapv(|v| ((v + 128 + i as i64) % 256) - 128))
        .collect()
}

/// What `sim --evaluate` does: blocks of images on every thread.
fn run_blocks(prepared: &Prepared<'_>, images: &[Array3<i64>], block: usize) {
    images.par_chunks(block).for_each(|block| {
        black_box(
            prepared
                .classify_batch(block, SimOptions::default())
                .unwrap(),
        );
    });
}

fn bench(c: &mut Criterion) {
    bench_net(
        c,
        "mnist",
        "mnist",
        "mnist-chw-ai85.yaml",
        "ai85-mnist-qat8-q.pth.tar",
        "sample_mnist.npy",
    );
    bench_net(
        c,
        "cifar-10",
        "cifar-10",
        "cifar10-nas.yaml",
        "ai85-cifar10-qat8-q.pth.tar",
        "sample_cifar-10.npy",
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
