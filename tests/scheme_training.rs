//! Training with the device-independent schemes on a small generated data set: quantclip and
//! GFPQ from a float checkpoint, evaluation of their checkpoints, byte-identical results on 1
//! and 2 threads, GFPQ's `apply` mode, progressive quantization (locked layers unchanged to the
//! bit, the schedule in `metrics.csv`, `--epochs` checked) and a resumed progressive run
//! continuing exactly across phases.

mod common;

use common::tiny::{recipe, setup};
use qtool::checkpoint::native::NativeCheckpoint;
use qtool::data::{DatasetKind, Normalization};
use qtool::device::default_target;
use qtool::eval::Progress;
use qtool::jobs::eval::{EvalJob, evaluate};
use qtool::jobs::train::{TrainJob, train};
use qtool::jobs::{DataSource, JobError};
use qtool::quant::SchemeSettings;
use qtool::quant::gfpq::{GfpqMode, LogBits};
use qtool::quant::settings::MsbChoice;
use qtool::train::progress::peek_meta;
use qtool::train::progressive::{Progressive, Strategy};
use qtool::train::qat::Qat;
use std::path::{Path, PathBuf};

fn job(data: &Path, net: &Path, out: &Path, epochs: usize) -> TrainJob {
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
        threads: Some(2),
        progress: Progress::Quiet,
        qat: None,
        epochs_given: false,
    }
}

fn quantclip() -> SchemeSettings {
    SchemeSettings::Quantclip {
        resolution: "8:8:8".parse().unwrap(),
        msb: MsbChoice::Percentile(99.9),
        calib_images: 32,
    }
}

fn gfpq(mode: GfpqMode) -> SchemeSettings {
    SchemeSettings::Gfpq {
        bits: LogBits::B8,
        mode,
        calib_images: 32,
    }
}

/// A float run of 3 epochs; returns its best checkpoint.
fn float_run(data: &Path, net: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("float");
    train(&job(data, net, &out, 3), &mut |_| {}).unwrap();
    out.join("best.safetensors")
}

/// `settings` from `init`, `epochs` epochs (progressive when given).
fn scheme_job(
    (data, net): (&Path, &Path),
    out: &Path,
    init: &Path,
    settings: SchemeSettings,
    progressive: Option<Progressive>,
    epochs: usize,
) -> TrainJob {
    let mut j = job(data, net, out, epochs);
    j.init_from = Some(init.to_path_buf());
    j.qat = Some(Qat::with_scheme(settings, 0, progressive));
    j.recipe.lr = 0.01;
    j
}

fn eval(data: &Path, net: &Path, ckpt: &Path, scheme: Option<SchemeSettings>) -> f64 {
    evaluate(&EvalJob {
        target: default_target(),
        network: net.to_path_buf(),
        checkpoint: ckpt.to_path_buf(),
        data: DataSource {
            kind: DatasetKind::Npy,
            dir: data.to_path_buf(),
        },
        normalization: None,
        threads: Some(1),
        quantized: false,
        scheme,
    })
    .unwrap()
    .report
    .top1
}

/// The weights of the `k`-th operator layer (`….op.weight` in state-dict order).
fn weights(ckpt: &Path, k: usize) -> Vec<f32> {
    let c = NativeCheckpoint::read(ckpt).unwrap();
    let (_, t) = c
        .tensors
        .iter()
        .filter(|(n, _)| n.ends_with(".op.weight"))
        .nth(k)
        .unwrap();
    t.iter().copied().collect()
}

#[test]
fn quantclip_and_gfpq_train_evaluate_and_record_their_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, net) = setup(tmp.path());
    let f = float_run(&data, &net, tmp.path());
    let float_top1 = eval(&data, &net, &f, None);
    // Post-training fake quantization stays close on this easy problem.
    let ptq = eval(&data, &net, &f, Some(gfpq(GfpqMode::Update)));
    assert!(ptq >= float_top1 - 0.1, "{ptq} vs {float_top1}");

    for (name, settings) in [("qc", quantclip()), ("g", gfpq(GfpqMode::Update))] {
        let (a, b) = (tmp.path().join(name), tmp.path().join(format!("{name}1")));
        let out = train(
            &scheme_job((&data, &net), &a, &f, settings, None, 2),
            &mut |_| {},
        )
        .unwrap();
        // The checkpoint says which scheme, and `eval` rebuilds the same model.
        let meta = peek_meta(&a.join("best.safetensors")).unwrap().unwrap();
        assert_eq!(meta.qat.unwrap().scheme, Some(settings));
        let top1 = eval(&data, &net, &a.join("best.safetensors"), None);
        assert_eq!(top1, out.test.report.top1, "{name}");
        assert!(top1 >= float_top1 - 0.1, "{name}: {top1} vs {float_top1}");
        // One thread gives the same bytes (GFPQ's per-step coefficients: max over shards).
        let mut one = scheme_job((&data, &net), &b, &f, settings, None, 2);
        one.threads = Some(1);
        train(&one, &mut |_| {}).unwrap();
        let (x, y) = (
            std::fs::read(a.join("latest.safetensors")).unwrap(),
            std::fs::read(b.join("latest.safetensors")).unwrap(),
        );
        assert!(x == y, "{name}: 1 and 2 threads differ");
        let layers = NativeCheckpoint::read(&a.join("latest.safetensors"))
            .unwrap()
            .meta
            .layers;
        let recorded = layers
            .iter()
            .filter(|l| {
                l.quant.formats.is_some() || l.quant.log_data.is_some_and(|c| c.top.is_some())
            })
            .count();
        assert_eq!(
            recorded, 3,
            "{name}: three operator layers record parameters"
        );
    }

    // `apply` needs stored coefficients: refused from a float checkpoint, accepted from a
    // GFPQ one (and then the coefficients do not move).
    let bad = train(
        &scheme_job(
            (&data, &net),
            &tmp.path().join("ap0"),
            &f,
            gfpq(GfpqMode::Apply),
            None,
            1,
        ),
        &mut |_| {},
    );
    let msg = bad.map(|_| ()).unwrap_err().to_string();
    assert!(
        msg.contains("apply") && msg.contains("coefficient"),
        "{msg}"
    );
    let g = tmp.path().join("g/latest.safetensors");
    let ap = tmp.path().join("ap1");
    train(
        &scheme_job((&data, &net), &ap, &g, gfpq(GfpqMode::Apply), None, 1),
        &mut |_| {},
    )
    .unwrap();
    let tops = |p: &Path| -> Vec<Option<i32>> {
        NativeCheckpoint::read(p)
            .unwrap()
            .meta
            .layers
            .iter()
            .map(|l| l.quant.log_data.and_then(|c| c.top))
            .collect()
    };
    assert_eq!(tops(&ap.join("latest.safetensors")), tops(&g));
}

#[test]
fn progressive_lock_keeps_quantized_layers_and_resumes_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, net) = setup(tmp.path());
    let f = float_run(&data, &net, tmp.path());
    let lock = Progressive {
        strategy: Strategy::Lock,
        epochs_per_layer: 1,
        relax: 1,
    };
    // 3 operator layers × 1 + 1 relaxation epoch; --epochs 5 is refused.
    let mut wrong = scheme_job(
        (&data, &net),
        &tmp.path().join("w"),
        &f,
        quantclip(),
        Some(lock),
        5,
    );
    wrong.epochs_given = true;
    let e = train(&wrong, &mut |_| {}).map(|_| ()).unwrap_err();
    assert!(
        matches!(e, JobError::Recipe { .. }) && e.to_string().contains("4 epochs"),
        "{e}"
    );

    let a = tmp.path().join("a");
    let snapshot = tmp.path().join("after-epoch-2.safetensors");
    let mut records = Vec::new();
    train(
        &scheme_job((&data, &net), &a, &f, quantclip(), Some(lock), 4),
        &mut |r| {
            records.push(r.quantized_layers);
            if r.epoch == 1 {
                std::fs::copy(a.join("latest.safetensors"), &snapshot).unwrap();
            }
        },
    )
    .unwrap();
    assert_eq!(records, [Some(1), Some(2), None, None]);
    let csv = std::fs::read_to_string(a.join("metrics.csv")).unwrap();
    assert!(
        csv.lines().next().unwrap().ends_with(",quantized_layers"),
        "{csv}"
    );
    assert!(csv.lines().nth(1).unwrap().ends_with(",1"), "{csv}");
    // The first layer was locked from epoch 1 to the relaxation: after epoch 3 it still has
    // the float checkpoint's weights, bit for bit; the second layer moved in epoch 1.
    let third = tmp.path().join("third.safetensors");
    // Re-run to epoch 3's end through a resume from the snapshot (lock phases continue).
    let b = tmp.path().join("b");
    std::fs::create_dir_all(&b).unwrap();
    let mut resumed = job(&data, &net, &b, 4);
    resumed.resume_from = Some(snapshot.clone());
    let mut k = 0;
    train(&resumed, &mut |r| {
        if r.epoch == 2 {
            std::fs::copy(b.join("latest.safetensors"), &third).unwrap();
        }
        k += 1;
    })
    .unwrap();
    assert_eq!(k, 2, "epochs 3 and 4 run after the resume");
    assert_eq!(weights(&third, 0), weights(&f, 0), "layer 1 locked");
    assert_ne!(
        weights(&snapshot, 1),
        weights(&f, 1),
        "layer 2 trained in epoch 1"
    );
    // The resumed run ends with the uninterrupted run's bytes.
    let (x, y) = (
        std::fs::read(a.join("latest.safetensors")).unwrap(),
        std::fs::read(b.join("latest.safetensors")).unwrap(),
    );
    assert!(x == y, "resumed progressive run differs");
}
