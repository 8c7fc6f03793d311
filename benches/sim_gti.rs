//! GTI simulator speed on `networks/gti-vgg-mnist.json` (2803, the bundled MNIST test digits
//! fitted to its 3×56×56 input): what `sim --device gti --evaluate` does — blocks of images
//! through the chip's integer engine and the host FC layers, on every thread — and one image
//! at a time. Prints images/s and G MAC/s (chip and host multiply-accumulates). The
//! coefficients are random 12-bit integers with random shifts (speed does not depend on the
//! values once they fit 16 bits, which a trained 12-bit network's do).

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{Array1, Array3, ArrayD, IxDyn};
use qtool::data::rng::Rng;
use qtool::data::{Normalization, Split, bundled_mnist_dir, load_mnist_split};
use qtool::device::{DeviceOptions, LoadRequest, Registry};
use qtool::eval::SIM_BLOCK;
use qtool::ir::{Graph, Op, Shape};
use qtool::jobs::train::fit_data;
use qtool::sim::{SimOptions, Simulator};
use rayon::prelude::*;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn network() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("networks/gti-vgg-mnist.json")
}

/// The network with random quantized coefficients.
fn quantized_graph() -> Graph {
    let opts = DeviceOptions {
        chip: Some("2803".into()),
        host_model: None,
    };
    let target = Registry::builtin().get_variant("gti", &opts).unwrap();
    let req = LoadRequest {
        network: network(),
        fallback_input: Some(Shape::d2(3, 56, 56)),
        ..Default::default()
    };
    let mut g = target.load(&req).unwrap().graph;
    let mut rng = Rng::new(5);
    for n in &mut g.nodes {
        let Some(shape) = n.weight_shape() else {
            continue;
        };
        let count: usize = shape.iter().product();
        let chip = matches!(n.op, Op::Conv2d(_));
        let w = (0..count)
            .map(|_| {
                let v = rng.range_i64(-2047, 2047) as f32;
                if chip { v } else { v / 2048.0 }
            })
            .collect();
        n.weights = Some(ArrayD::from_shape_vec(IxDyn(&shape), w).unwrap());
        n.bias = Some(Array1::zeros(n.out_shape.channels));
        n.batchnorm = None;
        n.quant.output_shift = Some(12);
    }
    g
}

/// Multiply-accumulates of one image.
fn macs(g: &Graph) -> u64 {
    g.nodes
        .iter()
        .map(|n| match n.op {
            Op::Conv2d(c) => {
                let taps = (c.kernel[0] * c.kernel[1] * n.in_shape.channels / c.groups) as u64;
                n.out_shape.numel() as u64 * taps
            }
            Op::Linear { out_features } => (out_features * n.op_in_channels()) as u64,
            _ => 0,
        })
        .sum()
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

fn run_blocks(sim: &dyn Simulator, images: &[Array3<i64>]) {
    images.par_chunks(SIM_BLOCK).for_each(|block| {
        black_box(sim.scores_batch(block, SimOptions::default()).unwrap());
    });
}

fn bench(c: &mut Criterion) {
    let g = quantized_graph();
    let test = load_mnist_split(&bundled_mnist_dir(), Split::Test).unwrap();
    let test = fit_data(&test.subset(&(0..512).collect::<Vec<_>>()), &g, &network()).unwrap();
    let images = test.input_codes(Normalization::Gti).unwrap();
    let sim = qtool::device::gti::sim::GtiEngine::new(&g).unwrap();
    let per_image = macs(&g);
    c.bench_function("sim gti-vgg-mnist 512 images", |b| {
        b.iter(|| run_blocks(&sim, black_box(&images)))
    });
    let report = |what: &str, r: f64| {
        let gmacs = r * per_image as f64 / 1e9;
        println!("gti-vgg-mnist, {what}: {r:.0} images/s, {gmacs:.2} G MAC/s");
    };
    let threads = rayon::current_num_threads();
    report(
        &format!("batch 512 in blocks of {SIM_BLOCK}, {threads} threads"),
        rate(images.len(), || run_blocks(&sim, &images)),
    );
    report(
        "batch 1, one thread",
        rate(1, || {
            black_box(
                sim.scores_batch(&images[..1], SimOptions::default())
                    .unwrap(),
            );
        }),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
