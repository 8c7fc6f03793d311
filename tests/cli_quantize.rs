//! Bad input to `qtool quantize`, the QAT flags of `qtool train` and `qtool sample`: exit 2
//! with one line naming the file and key, never a panic.

mod common;

use common::data::put;
use common::fails_cleanly;

const NET: &str = "networks/ai85net5.yaml";

#[test]
fn quantize_reports_unreadable_and_wrong_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q.safetensors");
    let out = out.to_str().unwrap();
    let missing = dir.path().join("none.safetensors");
    fails_cleanly(
        &[
            "quantize",
            "--network",
            NET,
            "--checkpoint",
            missing.to_str().unwrap(),
            "--out",
            out,
        ],
        &["none.safetensors"],
    );
    let garbage = put(dir.path(), "garbage.safetensors", b"not a checkpoint");
    fails_cleanly(
        &[
            "quantize",
            "--network",
            NET,
            "--checkpoint",
            garbage.to_str().unwrap(),
            "--out",
            out,
        ],
        &["garbage.safetensors"],
    );
    let exists = put(dir.path(), "exists.safetensors", b"");
    fails_cleanly(
        &[
            "quantize",
            "--network",
            NET,
            "--checkpoint",
            garbage.to_str().unwrap(),
            "--out",
            exists.to_str().unwrap(),
        ],
        &["exists.safetensors", "--overwrite"],
    );
    fails_cleanly(
        &[
            "quantize",
            "--network",
            NET,
            "--checkpoint",
            garbage.to_str().unwrap(),
            "--out",
            out,
            "--clip-method",
            "scale",
            "--scale",
            "0",
        ],
        &["--scale"],
    );
}

#[test]
fn qat_flags_errors() {
    let dir = tempfile::tempdir().unwrap();
    let no_start = put(dir.path(), "p.yaml", b"weight_bits: 8\n");
    let run = dir.path().join("run");
    fails_cleanly(
        &[
            "train",
            "--network",
            NET,
            "--epochs",
            "1",
            "--qat-policy",
            no_start.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ],
        &["p.yaml", "start_epoch", "--qat-start"],
    );
    let typo = put(
        dir.path(),
        "typo.yaml",
        b"start_epoch: 1\nweight_bits: 8\noverrides:\n  conv7:\n    weight_bits: 2\n",
    );
    fails_cleanly(
        &[
            "train",
            "--network",
            NET,
            "--epochs",
            "1",
            "--qat-policy",
            typo.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ],
        &["typo.yaml", "overrides.conv7", "conv1"],
    );
    let bits = put(dir.path(), "bits.yaml", b"start_epoch: 1\nweight_bits: 3\n");
    fails_cleanly(
        &[
            "train",
            "--network",
            NET,
            "--epochs",
            "1",
            "--qat-policy",
            bits.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ],
        &["bits.yaml", "1, 2, 4 or 8"],
    );
}

#[test]
fn sample_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.npy");
    fails_cleanly(
        &["sample", "--index", "5000", "--out", out.to_str().unwrap()],
        &["--index 5000", "2000"],
    );
    let exists = put(dir.path(), "e.npy", b"");
    fails_cleanly(
        &["sample", "--out", exists.to_str().unwrap()],
        &["e.npy", "--overwrite"],
    );
}
