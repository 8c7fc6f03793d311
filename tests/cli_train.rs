//! `qtool train` and `qtool eval` through the binary: a short run on the bundled digits with
//! `eval --json`, and bad data or networks exiting 2 with one line naming the file.

mod common;

use assert_cmd::Command;
use common::data::put;
use common::fails_cleanly;
use std::path::Path;

fn repo(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

/// IDX file bytes: magic, dimensions, data.
fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

/// A tiny MNIST-format folder: `n` training and test images of 28×28, labels `i % 10`.
fn mnist_dir(dir: &Path, n: usize) {
    let px = vec![0u8; n * 784];
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    for split in ["train", "t10k"] {
        put(
            dir,
            &format!("{split}-images-idx3-ubyte"),
            &idx(0x803, &[n as u32, 28, 28], &px),
        );
        put(
            dir,
            &format!("{split}-labels-idx1-ubyte"),
            &idx(0x801, &[n as u32], &labels),
        );
    }
}

#[test]
fn train_then_eval_json() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let train = |batch: &str| {
        Command::cargo_bin("qtool")
            .unwrap()
            .args(["train", "--quiet", "--network"])
            .arg(repo("networks/ai85net5.yaml"))
            .args(["--epochs", "1", "--batch-size", batch])
            .args(["--validation-split", "0.5", "--threads", "2", "--out"])
            .arg(&run)
            .arg("--data")
            .arg(tmp.path().join("digits"))
            .output()
            .unwrap()
    };
    let out = train("64");
    // No such folder yet: a clean error naming it.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("digits"));
    assert!(!run.exists(), "nothing written for a failed start");

    mnist_dir(&tmp.path().join("digits"), 40);
    let out = train("16");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("test: 40 samples: top-1"), "{text}");
    assert!(
        text.contains("true\\pred"),
        "confusion matrix printed: {text}"
    );
    assert!(
        out.stderr.is_empty(),
        "--quiet: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = Command::cargo_bin("qtool")
        .unwrap()
        .args(["eval", "--json", "--network"])
        .arg(repo("networks/ai85net5.yaml"))
        .arg("--checkpoint")
        .arg(run.join("best.safetensors"))
        .arg("--data")
        .arg(tmp.path().join("digits"))
        .arg("--predictions")
        .arg(tmp.path().join("p.npy"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["top1", "top5", "loss", "samples"] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["samples"], 40);
    assert!(tmp.path().join("p.npy").is_file());
}

/// `qtool train` of ai85net5 on `data` (format `dataset`) exits 2 naming `needles`.
fn train_fails(data: &Path, dataset: &str, needles: &[&str]) {
    let out = data.join("run-out");
    fails_cleanly(
        &[
            "train",
            "--network",
            &repo("networks/ai85net5.yaml"),
            "--dataset",
            dataset,
            "--data",
            data.to_str().unwrap(),
            "--epochs",
            "1",
            "--out",
            out.to_str().unwrap(),
        ],
        needles,
    );
}

#[test]
fn truncated_idx_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    mnist_dir(tmp.path(), 10);
    let f = tmp.path().join("train-images-idx3-ubyte");
    let bytes = std::fs::read(&f).unwrap();
    std::fs::write(&f, &bytes[..bytes.len() - 100]).unwrap();
    train_fails(
        tmp.path(),
        "mnist",
        &["train-images-idx3-ubyte", "truncated"],
    );
}

#[test]
fn wrong_magic_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    mnist_dir(tmp.path(), 10);
    put(
        tmp.path(),
        "t10k-labels-idx1-ubyte",
        &idx(0x803, &[10], &[0; 10]),
    );
    train_fails(tmp.path(), "mnist", &["t10k-labels-idx1-ubyte", "magic"]);
}

#[test]
fn label_out_of_range_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    mnist_dir(tmp.path(), 10);
    let mut labels = vec![0u8; 10];
    labels[3] = 12;
    put(
        tmp.path(),
        "train-labels-idx1-ubyte",
        &idx(0x801, &[10], &labels),
    );
    train_fails(
        tmp.path(),
        "mnist",
        &["train-labels-idx1-ubyte", "label 12"],
    );
}

#[test]
fn network_input_must_match_the_data() {
    let tmp = tempfile::tempdir().unwrap();
    // 3-channel 32×32 images for a 1×28×28 network.
    let n = 4;
    let px = vec![0u8; n * 3 * 32 * 32];
    for split in ["train", "test"] {
        put(
            tmp.path(),
            &format!("{split}/x.npy"),
            &common::data::npy("|u1", &[n, 3, 32, 32], &px),
        );
        put(
            tmp.path(),
            &format!("{split}/y.npy"),
            &common::data::labels_i64(&[0, 1, 2, 3]),
        );
    }
    train_fails(tmp.path(), "npy", &["ai85net5.yaml", "3x32x32", "1x28x28"]);
}

#[test]
fn bad_recipe_values_are_refused() {
    fails_cleanly(
        &[
            "train",
            "--network",
            &repo("networks/ai85net5.yaml"),
            "--lr=-1",
        ],
        &["--lr"],
    );
    let tmp = tempfile::tempdir().unwrap();
    let s = put(tmp.path(), "s.yaml", b"epochs: 3\nwarmup: 2\n");
    fails_cleanly(
        &[
            "train",
            "--network",
            &repo("networks/ai85net5.yaml"),
            "--schedule",
            s.to_str().unwrap(),
        ],
        &["s.yaml", "warmup"],
    );
}

#[test]
fn image_of_the_wrong_size_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let class = tmp.path().join("train/zero");
    std::fs::create_dir_all(&class).unwrap();
    image::GrayImage::new(28, 28)
        .save(class.join("a.png"))
        .unwrap();
    image::GrayImage::new(27, 28)
        .save(class.join("b.png"))
        .unwrap();
    train_fails(tmp.path(), "folder", &["b.png"]);
}
