//! `examples/mnist_max78000.sh` runs the whole pipeline (train with QAT → quantize → sim →
//! eval --quantized → convert → sim --expect) on the bundled MNIST, here with two epochs (one
//! float, one quantization-aware) and the mixed-width policy.

use std::process::Command;

#[test]
fn mnist_max78000_example_runs_end_to_end() {
    let out = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let run = Command::new("bash")
        .arg(format!("{root}/examples/mnist_max78000.sh"))
        .env("QTOOL", env!("CARGO_BIN_EXE_qtool"))
        .env("EPOCHS", "2")
        .env("QAT_START", "1")
        .env("POLICY", "configs/qat_policy_mixed.yaml")
        .env("OUT", out.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("predict the same class for every image"),
        "{stdout}"
    );
    assert!(stdout.contains("KAT passed"), "{stdout}");
    // The mixed policy's widths reached the quantized checkpoint.
    let widths: Vec<&str> = stdout
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.get(1)
                .filter(|n| n.starts_with("conv") || **n == "fc")
                .and(f.get(2).copied())
        })
        .collect();
    assert_eq!(widths, ["8", "4", "2", "4", "8"], "{stdout}");
    for f in ["cnn.c", "weights.h", "sampleoutput.h", "main.c"] {
        assert!(out.path().join("project").join(f).is_file(), "{f}");
    }
}

/// `examples/mnist_gti.sh`: GTI's six MDK stages, one epoch each, then sim ≡ eval --quantized,
/// a sample through the chip, convert, and sim on the written `.model`.
#[test]
fn mnist_gti_example_runs_end_to_end() {
    let out = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let run = Command::new("bash")
        .arg(format!("{root}/examples/mnist_gti.sh"))
        .env("QTOOL", env!("CARGO_BIN_EXE_qtool"))
        .env("FLOAT_EPOCHS", "1")
        .env("EPOCHS", "1")
        .env("OUT", out.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("predict the same class for every image"),
        "{stdout}"
    );
    for f in [
        "model.dat",
        "model.model",
        "model_dat.json",
        "filter.txt",
        "bias.txt",
        "fullmodel_def.json",
        "fc1.bin",
        "fc2.bin",
        "labels.txt",
    ] {
        assert!(out.path().join("model").join(f).is_file(), "{f}");
    }
    // sim --evaluate on the quantized checkpoint, eval --quantized, and sim --evaluate on the
    // .model container: one accuracy.
    let accs: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("2000 samples: top-1 "))
        .map(|l| l.split('%').next().unwrap())
        .collect();
    assert_eq!(accs.len(), 3, "{stdout}");
    assert!(accs.iter().all(|a| *a == accs[0]), "{stdout}");
}
