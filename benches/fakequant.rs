//! `qtool fakequant`'s quantize-dequantize pass on 13,107,200 values (HiSilicon's published
//! CPU-library figure for 8-bit GFPQ: ≈ 0.76 s, ≈ 0.065 GB/s), for GFPQ at 8 and 16 bits and
//! quantclip at 8 bits, through the same registry and code `qtool fakequant` runs (the array
//! already in memory; file reading and writing excluded). Prints values/s and GB/s.

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{ArrayD, IxDyn};
use qtool::data::rng::Rng;
use qtool::quant::registry::scheme;
use qtool::quant::tensor::TensorOptions;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The published sample's count.
const VALUES: usize = 13_107_200;

/// Roughly normal values of scale 1 (sums of uniforms), like weights or activations.
fn data() -> ArrayD<f32> {
    let mut rng = Rng::new(3);
    let v: Vec<f32> = (0..VALUES)
        .map(|_| {
            let s: f32 = (0..4)
                .map(|_| rng.next_u64() as f32 / u64::MAX as f32)
                .sum();
            s - 2.0
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(&[VALUES]), v).unwrap()
}

fn bench(c: &mut Criterion) {
    let x = data();
    let cases: [(&str, &str, TensorOptions); 3] = [
        (
            "gfpq-8",
            "gfpq",
            TensorOptions {
                bits: Some(8),
                ..Default::default()
            },
        ),
        (
            "gfpq-16",
            "gfpq",
            TensorOptions {
                bits: Some(16),
                ..Default::default()
            },
        ),
        (
            "quantclip-8",
            "quantclip",
            TensorOptions {
                bits: Some(8),
                msb: Some(1),
                ..Default::default()
            },
        ),
    ];
    let mut g = c.benchmark_group("fakequant");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for (label, name, opts) in cases {
        let q = scheme(name).unwrap();
        // One timed pass for the printed rate.
        let t = Instant::now();
        black_box(q.apply(&x, &opts).unwrap());
        let s = t.elapsed().as_secs_f64();
        println!(
            "{label}: {VALUES} values in {:.1} ms, {:.2} G values/s, {:.2} GB/s (f32 in), {:.0}× the 0.76 s reference",
            s * 1e3,
            VALUES as f64 / s / 1e9,
            (VALUES * 4) as f64 / s / 1e9,
            0.76 / s
        );
        g.bench_function(label, |b| b.iter(|| black_box(q.apply(&x, &opts).unwrap())));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
