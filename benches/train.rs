//! Training and inference speed of ai85net5 on MNIST-sized batches (batch 256, 2 threads, the
//! default flex backend), reported as images/s, and the process's peak RSS at the end.
//!
//! ```text
//! cargo bench --bench train
//! ```
//!
//! The PyTorch 2.3.1 CPU baseline on the same machine kind (../shared/baselines/pytorch.md):
//! training ≈ 455 images/s, inference ≈ 1,060 images/s, peak RSS ≈ 915 MiB. One training
//! step is forward + backward + SGD update with momentum and weight decay, as in the baseline.
//! "QAT train step" is the same step with MAX78000 8-bit quantization-aware training (weights,
//! biases and activations fake-quantized); ai8x-training on PyTorch: ≈ 390 images/s.

use burn::tensor::Device;
use criterion::{Criterion, Throughput};
use qtool::data::{Normalization, Split, bundled_mnist_dir, load_mnist_split};
use qtool::ir::Graph;
use qtool::netdesc::ai8x::{LoadRequest, load_max78000};
use qtool::quant::QatParts;
use qtool::quant::ai8x::setup;
use qtool::train::{
    ModelOptions, OptimizerConfig, OptimizerKind, Stepper, TrainModel, images_tensor,
};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const BATCH: usize = 256;
const THREADS: usize = 2;

/// Peak resident set size of this process in MiB (`VmHWM`), if the OS reports it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn bench(c: &mut Criterion) {
    let net = Path::new(env!("CARGO_MANIFEST_DIR")).join("networks/ai85net5.yaml");
    let graph = load_max78000(&LoadRequest {
        network: net,
        ..Default::default()
    })
    .expect("ai85net5 loads")
    .graph;
    let set = load_mnist_split(&bundled_mnist_dir(), Split::Train).expect("bundled MNIST");
    let lut = Normalization::Ai8x.table();
    let x: Vec<f32> = set
        .images
        .iter()
        .take(BATCH * 784)
        .map(|&p| lut[usize::from(p)])
        .collect();
    let y: Vec<usize> = set.labels[..BATCH]
        .iter()
        .map(|&l| usize::from(l))
        .collect();

    bench_backend(
        c,
        "flex",
        &qtool::train::default_device(),
        &Device::flex(),
        &graph,
        &x,
        &y,
    );
    #[cfg(feature = "ndarray-backend")]
    #[allow(deprecated)] // the comparison with the deprecated backend is the point
    bench_backend(
        c,
        "ndarray",
        &qtool::train::ndarray_device(),
        &Device::ndarray(),
        &graph,
        &x,
        &y,
    );
}

/// Train-step and inference timings of one backend.
fn bench_backend(
    c: &mut Criterion,
    backend: &str,
    train_dev: &Device,
    eval_dev: &Device,
    graph: &Graph,
    x: &[f32],
    y: &[usize],
) {
    let (train_dev, eval_dev) = (train_dev.clone(), eval_dev.clone());
    let mut stepper = Stepper::new(
        OptimizerConfig {
            kind: OptimizerKind::Sgd,
            momentum: 0.9,
            weight_decay: 1e-4,
        },
        &train_dev,
    )
    .with_shards(THREADS)
    .expect("thread pools");
    let mut g = c.benchmark_group(format!("ai85net5 {backend} batch 256, 2 threads"));
    g.throughput(Throughput::Elements(BATCH as u64))
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for qat in [false, true] {
        let mut m = TrainModel::new(graph, &ModelOptions::default(), &train_dev).unwrap();
        if qat {
            let parts = QatParts {
                weights: true,
                activations: true,
            };
            m.set_quant(setup::qat(graph, parts, 1.0)).unwrap();
        }
        let mut model = Some(m);
        let name = if qat { "QAT train step" } else { "train step" };
        g.bench_function(name, |b| {
            b.iter(|| {
                let m = model.take().expect("model");
                let (m, stats) = stepper
                    .step_batch(m, x, [BATCH, 1, 28, 28], y, 0.01, &train_dev)
                    .unwrap();
                model = Some(m);
                black_box(stats)
            })
        });
    }
    let inference = TrainModel::new(graph, &ModelOptions::default(), &eval_dev).unwrap();
    g.bench_function("inference", |b| {
        b.iter(|| {
            inference
                .forward(images_tensor(x.to_vec(), [BATCH, 1, 28, 28], &eval_dev))
                .unwrap()
                .into_data()
        })
    });
    g.finish();
}

fn main() {
    qtool::train::allocator::tune_for_training();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("thread pool");
    pool.install(|| {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c);
        c.final_summary();
    });
    match peak_rss_mib() {
        Some(mib) => println!("peak RSS: {mib:.0} MiB (PyTorch baseline ≈ 915 MiB)"),
        None => println!("peak RSS: not reported by this OS"),
    }
}
