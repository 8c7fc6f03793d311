//! Quantization-aware training, `quantize` and simulate-mode evaluation end to end on the tiny
//! generated problem: QAT with mixed widths → quantize → `eval --quantized` predicting exactly
//! what the bit-exact simulator predicts; a QAT run resumed after the switch continuing
//! exactly; post-training quantization after batch-norm folding with every clip method; and
//! the same equality on ai8x's own quantized MNIST checkpoint.

mod common;

use common::tiny::{recipe, setup};
use qtool::data::{DatasetKind, ImageSet, Normalization, Split, bundled_mnist_dir, load_dataset};
use qtool::device::ai8x::sim::{Prepared, SimOptions};
use qtool::device::default_target;
use qtool::eval::{Progress, evaluate_simulator};
use qtool::ir::{Shape, WeightBits};
use qtool::jobs::eval::EvalJob;
use qtool::jobs::quantize::{QuantizeJob, quantize};
use qtool::jobs::train::TrainJob;
use qtool::jobs::{self as job, DataSource, JobError};
use qtool::netdesc::ai8x::{LoadRequest, load_max78000};
use qtool::quant::ClipMethod;
use qtool::train::progress::peek_meta;
use qtool::train::qat;
use qtool::train::run::Outcome;
use std::path::{Path, PathBuf};

const POLICY: &str = "start_epoch: 1\nweight_bits: 8\noverrides:\n  layer1:\n    weight_bits: 2\n  layer2:\n    weight_bits: 4\n";

fn source(data: &Path) -> DataSource {
    DataSource {
        kind: DatasetKind::Npy,
        dir: data.to_path_buf(),
    }
}

fn train_job(
    dir: &Path,
    data: &Path,
    net: &Path,
    epochs: usize,
    policy: Option<&Path>,
) -> TrainJob {
    TrainJob {
        target: default_target(),
        network: net.to_path_buf(),
        data: source(data),
        recipe: recipe(epochs),
        seed: 5,
        normalization: qtool::data::Normalization::Ai8x,
        out_dir: dir.to_path_buf(),
        overwrite: false,
        resume_from: None,
        init_from: None,
        threads: Some(2),
        progress: Progress::Quiet,
        qat: policy.map(|p| {
            qat::configure(Some(p), None, false, false)
                .unwrap()
                .unwrap()
        }),
        epochs_given: false,
    }
}

fn quantize_job(net: &Path, ckpt: &Path, out: &Path, method: ClipMethod) -> QuantizeJob {
    QuantizeJob {
        target: default_target(),
        network: net.to_path_buf(),
        checkpoint: ckpt.to_path_buf(),
        out: out.to_path_buf(),
        overwrite: false,
        method,
        config: None,
    }
}

/// `eval --quantized` predictions.
fn eval_quantized(net: &Path, ckpt: &Path, data: DataSource) -> Vec<i64> {
    job::eval::evaluate(&EvalJob {
        target: default_target(),
        network: net.to_path_buf(),
        checkpoint: ckpt.to_path_buf(),
        data,
        normalization: None,
        threads: Some(2),
        quantized: true,
        scheme: None,
    })
    .unwrap()
    .report
    .predictions
}

/// `sim --evaluate` predictions on `set`.
fn simulate(net: &Path, ckpt: &Path, set: &ImageSet, shape: Option<Shape>) -> (Vec<i64>, f64) {
    let built = load_max78000(&LoadRequest {
        network: net.to_path_buf(),
        checkpoint: Some(ckpt.to_path_buf()),
        input_shape: shape,
        ..Default::default()
    })
    .unwrap();
    let sim = Prepared::new(&built.graph).unwrap();
    let r = evaluate_simulator(
        &sim,
        set,
        Normalization::Ai8x,
        SimOptions::default(),
        Progress::Quiet,
    )
    .unwrap();
    (r.predictions, r.top1)
}

fn test_set(data: &Path) -> ImageSet {
    load_dataset(DatasetKind::Npy, data, Split::Test).unwrap()
}

/// Three epochs of `net` with QAT (POLICY) from epoch 1, in `dir/run`.
fn qat_run(dir: &Path, data: &Path, net: &Path) -> (PathBuf, Outcome) {
    let policy = common::data::put(dir, "policy.yaml", POLICY.as_bytes());
    let run = dir.join("run");
    let outcome =
        job::train::train(&train_job(&run, data, net, 3, Some(&policy)), &mut |_| {}).unwrap();
    (run, outcome)
}

#[test]
fn mixed_width_qat_quantizes_to_what_the_simulator_computes() {
    let dir = tempfile::tempdir().unwrap();
    let (data, net) = setup(dir.path());
    let (run, outcome) = qat_run(dir.path(), &data, &net);
    let q = outcome.meta.qat.as_ref().expect("QAT configured");
    assert!(q.active && q.start_epoch == 1, "{q:?}");
    // QAT resets the best checkpoint: it is a quantization-aware epoch.
    assert!(outcome.meta.best_epoch.unwrap() >= 1);
    let meta = peek_meta(&run.join("best.safetensors")).unwrap().unwrap();
    assert!(meta.qat.unwrap().active);
    assert!(outcome.test.report.top1 > 0.8, "{}", outcome.test.report);

    let out = dir.path().join("q.safetensors");
    let job = quantize_job(
        &net,
        &run.join("best.safetensors"),
        &out,
        ClipMethod::MaxBitShift,
    );
    let report = quantize(&job).unwrap();
    let bits: Vec<WeightBits> = report.rows.iter().map(|r| r.bits).collect();
    assert_eq!(bits, [WeightBits::B8, WeightBits::B2, WeightBits::B4]);
    assert!(report.table.contains("layer1"), "{}", report.table);

    let set = test_set(&data);
    let ours = eval_quantized(&net, &out, source(&data));
    let (sim, sim_top1) = simulate(&net, &out, &set, Some(Shape::d2(1, 8, 8)));
    assert_eq!(ours, sim, "eval --quantized and the simulator disagree");
    // Simulate mode computes what QAT trained: accuracy within a sample or two of QAT's own.
    assert!(
        (sim_top1 - outcome.test.report.top1).abs() <= 2.0 / set.len() as f64,
        "simulated {sim_top1}, QAT {}",
        outcome.test.report.top1
    );

    // --config widths replace the trained ones (with a warning); a typo in it is refused.
    let bits = common::data::put(dir.path(), "bits.yaml", b"weight_bits: 4\n");
    let mut cfg = quantize_job(
        &net,
        &run.join("best.safetensors"),
        &dir.path().join("q4.safetensors"),
        ClipMethod::MaxBitShift,
    );
    cfg.config = Some(bits);
    let r4 = quantize(&cfg).unwrap();
    assert!(r4.rows.iter().all(|r| r.bits == WeightBits::B4));
    assert_eq!(r4.warnings.len(), 2, "{:?}", r4.warnings);
    cfg.config = Some(common::data::put(
        dir.path(),
        "typo.yaml",
        b"weight_bits: 4\noverrides: {conv9: {weight_bits: 2}}\n",
    ));
    cfg.out = dir.path().join("q5.safetensors");
    let e = quantize(&cfg).unwrap_err().to_string();
    assert!(
        e.contains("typo.yaml") && e.contains("overrides.conv9"),
        "{e}"
    );

    // The output exists: no overwrite without the flag; a quantized file is not quantized
    // twice; eval refuses to mix the modes.
    assert!(matches!(quantize(&job), Err(JobError::OutputExists { .. })));
    let again = quantize_job(
        &net,
        &out,
        &dir.path().join("q2.safetensors"),
        ClipMethod::MaxBitShift,
    );
    let e = quantize(&again).unwrap_err();
    assert!(e.to_string().contains("already quantized"), "{e}");
    let mut ev = EvalJob {
        target: default_target(),
        network: net.clone(),
        checkpoint: out.clone(),
        data: source(&data),
        normalization: None,
        threads: Some(1),
        quantized: false,
        scheme: None,
    };
    assert!(matches!(
        job::eval::evaluate(&ev),
        Err(JobError::Quantized { .. })
    ));
    ev.checkpoint = run.join("best.safetensors");
    ev.quantized = true;
    assert!(matches!(
        job::eval::evaluate(&ev),
        Err(JobError::NotQuantized { .. })
    ));
}

#[test]
fn qat_run_resumed_after_the_switch_continues_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (data, net) = setup(dir.path());
    let policy = common::data::put(dir.path(), "policy.yaml", POLICY.as_bytes());
    let full = dir.path().join("full");
    job::train::train(
        &train_job(&full, &data, &net, 3, Some(&policy)),
        &mut |_| {},
    )
    .unwrap();
    let part = dir.path().join("part");
    job::train::train(
        &train_job(&part, &data, &net, 2, Some(&policy)),
        &mut |_| {},
    )
    .unwrap();
    let mut resumed = train_job(&part, &data, &net, 3, None);
    resumed.resume_from = Some(part.join("latest.safetensors"));
    job::train::train(&resumed, &mut |_| {}).unwrap();
    let read = |p: PathBuf| std::fs::read(p).unwrap();
    assert!(
        read(full.join("latest.safetensors")) == read(part.join("latest.safetensors")),
        "resumed QAT run differs from the uninterrupted one"
    );
}

/// The tiny network with batch norm on its first layer.
const BN_NET: &str = "arch: tinybn\ndataset: generated\ninput: [1, 8, 8]\nlayers:\n  - processors: 0x1\n    op: conv2d\n    out_channels: 4\n    pad: 1\n    activate: ReLU\n    batchnorm: Affine\n    out_offset: 0x1000\n  - processors: 0xf\n    op: conv2d\n    out_channels: 4\n    max_pool: 2\n    pool_stride: 2\n    pad: 1\n    activate: ReLU\n    out_offset: 0\n  - processors: 0xf\n    op: mlp\n    out_channels: 3\n    flatten: true\n    out_offset: 0x1000\n";

#[test]
fn post_training_quantization_after_fuse_with_every_clip_method() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = setup(dir.path());
    let net = common::data::put(dir.path(), "tinybn.yaml", BN_NET.as_bytes());
    let run = dir.path().join("run");
    job::train::train(&train_job(&run, &data, &net, 3, None), &mut |_| {}).unwrap();
    let float = run.join("best.safetensors");
    let e = quantize(&quantize_job(
        &net,
        &float,
        &dir.path().join("x.safetensors"),
        ClipMethod::MaxBitShift,
    ))
    .unwrap_err();
    assert!(e.to_string().contains("run `qtool fuse` first"), "{e}");
    let fused = dir.path().join("fused.safetensors");
    job::fuse::fuse(&job::fuse::FuseJob {
        target: default_target(),
        network: net.clone(),
        checkpoint: float.clone(),
        out: fused.clone(),
        overwrite: false,
    })
    .unwrap();
    let set = test_set(&data);
    for (i, method) in [
        ClipMethod::MaxBitShift,
        ClipMethod::Scale(0.85),
        ClipMethod::Avg,
        ClipMethod::AvgMax,
        ClipMethod::StdDev(2.0),
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.path().join(format!("q{i}.safetensors"));
        quantize(&quantize_job(&net, &fused, &out, method)).unwrap();
        let (sim, top1) = simulate(&net, &out, &set, Some(Shape::d2(1, 8, 8)));
        assert_eq!(eval_quantized(&net, &out, source(&data)), sim, "{method}");
        assert!(top1 > 0.6, "{method}: simulated top-1 {top1}");
    }
}

#[test]
fn ai8x_quantized_mnist_checkpoint_evaluates_like_the_simulator() {
    let Some(refdir) = common::reference_dir() else {
        return;
    };
    let net = refdir.join("mnist/mnist-chw-ai85.yaml");
    let ckpt = refdir.join("mnist/ai85-mnist-qat8-q.pth.tar");
    let mnist = DataSource {
        kind: DatasetKind::Mnist,
        dir: bundled_mnist_dir(),
    };
    let set = load_dataset(DatasetKind::Mnist, &mnist.dir, Split::Test).unwrap();
    let ours = eval_quantized(&net, &ckpt, mnist);
    let (sim, top1) = simulate(&net, &ckpt, &set, Some(Shape::d2(1, 28, 28)));
    assert_eq!(ours, sim);
    // qat.md §8.4: ai8x's `-8` mode gives 99.55 % on these 2,000 test digits.
    assert!(top1 >= 0.995, "{top1}");
}

#[test]
fn qat_folds_batch_norm_at_the_switch() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = setup(dir.path());
    let net = common::data::put(dir.path(), "tinybn.yaml", BN_NET.as_bytes());
    let (run, outcome) = qat_run(dir.path(), &data, &net);
    assert!(outcome.meta.qat.as_ref().unwrap().active);
    // The folded layer has a bias and no batch norm; its checkpoint quantizes without `fuse`.
    assert!(outcome.best.nodes[0].batchnorm.is_none());
    assert!(outcome.best.nodes[0].bias.is_some());
    assert!(outcome.test.report.top1 > 0.8, "{}", outcome.test.report);
    let out = dir.path().join("q.safetensors");
    quantize(&quantize_job(
        &net,
        &run.join("best.safetensors"),
        &out,
        ClipMethod::MaxBitShift,
    ))
    .unwrap();
    let (sim, _) = simulate(&net, &out, &test_set(&data), None);
    assert_eq!(eval_quantized(&net, &out, source(&data)), sim);
}
