//! Bad input to `qtool quantize`, the QAT flags of `qtool train` and `qtool sample`: exit 2
//! with one line naming the file and key, never a panic.

mod common;

use common::data::put;
use common::fails_cleanly;
use std::path::Path;

const NET: &str = "networks/ai85net5.yaml";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `qtool quantize --network NET --checkpoint CKPT --out OUT EXTRA…` fails with `needles`.
fn quantize_fails(ckpt: &Path, out: &Path, extra: &[&str], needles: &[&str]) {
    let mut args = vec![
        "quantize",
        "--network",
        NET,
        "--checkpoint",
        s(ckpt),
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    fails_cleanly(&args, needles);
}

/// One epoch of `qtool train` with QAT policy `policy` fails with `needles`.
fn qat_train_fails(dir: &Path, policy: &Path, needles: &[&str]) {
    let run = dir.join("run");
    let args = [
        "train",
        "--network",
        NET,
        "--epochs",
        "1",
        "--qat-policy",
        s(policy),
        "--out",
        s(&run),
    ];
    fails_cleanly(&args, needles);
}

#[test]
fn quantize_reports_unreadable_and_wrong_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q.safetensors");
    let missing = dir.path().join("none.safetensors");
    quantize_fails(&missing, &out, &[], &["none.safetensors"]);
    let garbage = put(dir.path(), "garbage.safetensors", b"not a checkpoint");
    quantize_fails(&garbage, &out, &[], &["garbage.safetensors"]);
    let exists = put(dir.path(), "exists.safetensors", b"");
    quantize_fails(
        &garbage,
        &exists,
        &[],
        &["exists.safetensors", "--overwrite"],
    );
    quantize_fails(
        &garbage,
        &out,
        &["--clip-method", "scale", "--scale", "0"],
        &["--scale"],
    );
}

#[test]
fn qat_flags_errors() {
    let dir = tempfile::tempdir().unwrap();
    let no_start = put(dir.path(), "p.yaml", b"weight_bits: 8\n");
    qat_train_fails(
        dir.path(),
        &no_start,
        &["p.yaml", "start_epoch", "--qat-start"],
    );
    let typo = put(
        dir.path(),
        "typo.yaml",
        b"start_epoch: 1\nweight_bits: 8\noverrides:\n  conv7:\n    weight_bits: 2\n",
    );
    qat_train_fails(
        dir.path(),
        &typo,
        &["typo.yaml", "overrides.conv7", "conv1"],
    );
    let bits = put(dir.path(), "bits.yaml", b"start_epoch: 1\nweight_bits: 3\n");
    qat_train_fails(dir.path(), &bits, &["bits.yaml", "1, 2, 4 or 8"]);
}

#[test]
fn sample_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.npy");
    fails_cleanly(
        &["sample", "--index", "5000", "--out", s(&out)],
        &["--index 5000", "2000"],
    );
    let exists = put(dir.path(), "e.npy", b"");
    fails_cleanly(&["sample", "--out", s(&exists)], &["e.npy", "--overwrite"]);
}
