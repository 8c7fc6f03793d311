//! Training runs end to end on a small generated data set: the run directory's files, the
//! same seed giving byte-identical checkpoints on 1 and 2 threads, a resumed run continuing
//! exactly, the run-directory rules, and `eval` agreeing with the run's own test numbers.

mod common;

use common::data::{labels_i64, npy, put};
use common::tiny::{recipe, setup};
use qtool::data::{DatasetKind, Normalization, Split, bundled_mnist_dir, load_mnist_split};
use qtool::device::default_target;
use qtool::eval::Progress;
use qtool::jobs::eval::{EvalJob, evaluate};
use qtool::jobs::train::{TrainJob, train};
use qtool::jobs::{DataSource, JobError};
use qtool::train::progress::{EpochRecord, peek_meta};
use qtool::train::run::Outcome;
use std::path::{Path, PathBuf};

fn job(data: &Path, net: &Path, out: &Path, epochs: usize, threads: usize) -> TrainJob {
    TrainJob {
        target: default_target(),
        network: net.to_path_buf(),
        data: DataSource {
            kind: DatasetKind::Npy,
            dir: data.to_path_buf(),
        },
        recipe: recipe(epochs),
        seed: 7,
        normalization: Normalization::Ai8x,
        out_dir: out.to_path_buf(),
        overwrite: false,
        resume_from: None,
        init_from: None,
        threads: Some(threads),
        progress: Progress::Quiet,
        qat: None,
        epochs_given: false,
    }
}

fn run(j: &TrainJob) -> (Outcome, Vec<EpochRecord>) {
    let mut seen = Vec::new();
    let out = train(j, &mut |r| seen.push(r.clone())).unwrap();
    (out, seen)
}

#[test]
fn a_run_writes_checkpoints_metrics_and_curves() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, net) = setup(tmp.path());
    let out = tmp.path().join("run");
    let (outcome, seen) = run(&job(&data, &net, &out, 3, 2));
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].lr, 0.025, "milestone at epoch 2 halves the rate");
    assert!(seen.iter().all(|r| r.images_per_s.is_some_and(|s| s > 0.0)));
    for f in [
        "latest.safetensors",
        "best.safetensors",
        "metrics.csv",
        "curves.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.starts_with("epoch,lr,train_loss,"));
    image::open(out.join("curves.png")).unwrap();
    let meta = peek_meta(&out.join("latest.safetensors")).unwrap().unwrap();
    assert_eq!(meta.epochs_done, 3);
    assert_eq!(meta.history.len(), 3);
    assert_eq!(meta.optimizer_steps, 3 * 90usize.div_ceil(16) as u64);
    // An easy problem: the classes differ by which half is bright.
    assert!(outcome.test.report.top1 > 0.9, "{}", outcome.test.report);
    assert!(seen[2].train_loss < seen[0].train_loss, "{seen:?}");

    // `eval` of the best checkpoint reproduces the run's final test numbers.
    let ev = evaluate(&EvalJob {
        target: default_target(),
        network: net.clone(),
        checkpoint: out.join("best.safetensors"),
        data: DataSource {
            kind: DatasetKind::Npy,
            dir: data.clone(),
        },
        normalization: None,
        threads: Some(1),
        quantized: false,
        scheme: None,
    })
    .unwrap();
    assert_eq!(ev.report.top1, outcome.test.report.top1);
    assert_eq!(ev.report.confusion, outcome.test.report.confusion);
    assert!((ev.loss - outcome.test.loss).abs() < 1e-9);

    // The run directory is not reused without --overwrite.
    let again = train(&job(&data, &net, &out, 1, 1), &mut |_| {});
    assert!(
        matches!(again, Err(JobError::OutDirExists { .. })),
        "{again:?}"
    );
    let mut j = job(&data, &net, &out, 1, 1);
    j.overwrite = true;
    train(&j, &mut |_| {}).unwrap();
}

#[test]
fn same_seed_same_bytes_on_one_or_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, net) = setup(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run(&job(&data, &net, &a, 2, 1));
    run(&job(&data, &net, &b, 2, 2));
    for f in ["latest.safetensors", "best.safetensors"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between 1 and 2 threads");
    }
}

#[test]
fn a_resumed_run_continues_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, net) = setup(tmp.path());
    let (whole, split) = (tmp.path().join("whole"), tmp.path().join("split"));
    run(&job(&data, &net, &whole, 3, 2));
    // "Killed" after epoch 2 of 3, then resumed.
    run(&job(&data, &net, &split, 2, 2));
    let mut resume = job(&data, &net, &split, 3, 2);
    resume.resume_from = Some(split.join("latest.safetensors"));
    let (_, seen) = run(&resume);
    assert_eq!(seen.iter().map(|r| r.epoch).collect::<Vec<_>>(), [2]);
    assert_eq!(
        std::fs::read(whole.join("latest.safetensors")).unwrap(),
        std::fs::read(split.join("latest.safetensors")).unwrap()
    );
    // metrics.csv keeps all epochs; the earlier process's speeds are unknown.
    let csv = std::fs::read_to_string(split.join("metrics.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[0].ends_with(','), "{}", rows[0]);
    assert!(!rows[2].ends_with(','), "{}", rows[2]);
}

/// The first `n` bundled MNIST digits of each split as an `.npy` data folder.
fn digits(dir: &Path, n: usize) -> PathBuf {
    let data = dir.join("digits");
    for split in [Split::Train, Split::Test] {
        let set = load_mnist_split(&bundled_mnist_dir(), split).unwrap();
        let px: Vec<u8> = set.images.iter().take(n * 784).copied().collect();
        let labels: Vec<i64> = set.labels[..n].iter().map(|&l| i64::from(l)).collect();
        let name = split.dir_name();
        put(
            &data,
            &format!("{name}/x.npy"),
            &npy("|u1", &[n, 28, 28], &px),
        );
        put(&data, &format!("{name}/y.npy"), &labels_i64(&labels));
    }
    data
}

#[test]
fn ai85net5_on_real_digits_same_bytes_on_one_or_two_threads() {
    // Large enough (batch 64 of 28×28, 60 channels) that the backend splits work across
    // threads: reductions must still come out bit-identical.
    let tmp = tempfile::tempdir().unwrap();
    let data = digits(tmp.path(), 192);
    let net = Path::new(env!("CARGO_MANIFEST_DIR")).join("networks/ai85net5.yaml");
    let mut outs = Vec::new();
    for threads in [1, 2] {
        let out = tmp.path().join(format!("t{threads}"));
        let mut j = job(&data, &net, &out, 1, threads);
        j.recipe.batch_size = 64;
        j.recipe.validation_split = 0.0;
        run(&j);
        outs.push(std::fs::read(out.join("latest.safetensors")).unwrap());
    }
    assert!(
        outs[0] == outs[1],
        "ai85net5 weights differ between 1 and 2 threads"
    );
}
