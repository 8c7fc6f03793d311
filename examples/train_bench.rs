//! Training throughput of ai85net5 (MNIST, 1×28×28) on burn's CPU backends: images per second
//! of forward + backward + SGD update at batch 256 (first argument overrides the batch, second
//! the number of timed steps).
//!
//! ```text
//! cargo run --release --example train_bench                            # flex
//! cargo run --release --example train_bench --features ndarray-backend # flex and ndarray
//! ```

use qtool::ir::Dims;
use qtool::netdesc::max78000::{InputSpec, build_graph, load};
use qtool::train::{Device, ModelOptions, SgdTrainer, TrainModel, images_tensor, labels_tensor};
use std::path::Path;
use std::time::Instant;

fn bench(name: &str, device: &Device, batch: usize, steps: usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("networks/ai85net5.yaml");
    let spec = InputSpec {
        channels: 1,
        dims: Dims::D2(28, 28),
    };
    let graph = build_graph(&load(&path).unwrap(), None, spec)
        .unwrap()
        .graph;
    let mut model = TrainModel::new(&graph, &ModelOptions::default(), device).unwrap();
    let x: Vec<f32> = (0..batch * 784)
        .map(|i| ((i * 7919) % 255) as f32 / 255.0 - 0.5)
        .collect();
    let y: Vec<usize> = (0..batch).map(|i| i % 10).collect();
    let mut trainer = SgdTrainer::new(0.01, 0.9, device);
    let mut run = |model: TrainModel| {
        let images = images_tensor(x.clone(), [batch, 1, 28, 28], device);
        trainer
            .step(model, images, labels_tensor(&y, device))
            .unwrap()
    };
    // One warm-up step (allocations, lazy initialisation).
    model = run(model).0;
    let start = Instant::now();
    let mut loss = 0.0;
    for _ in 0..steps {
        (model, loss) = run(model);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name:8} batch {batch}: {:7.1} images/s ({:.3} s/step, {steps} steps, last loss {loss:.4})",
        (batch * steps) as f64 / secs,
        secs / steps as f64
    );
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().unwrap());
    let batch = args.next().unwrap_or(256);
    let steps = args.next().unwrap_or(5);
    bench("flex", &qtool::train::default_device(), batch, steps);
    #[cfg(feature = "ndarray-backend")]
    bench("ndarray", &qtool::train::ndarray_device(), batch, steps);
}
