//! Every reference network of ai8x-synthesis converts with the options of its izer command
//! line (ai8x-synthesis `gen-demos-max78000.sh` and `scripts/gen_*`; the three test fixtures
//! without a published line use the common options), and the generated C builds and runs in
//! the host harness: `cnn.c` programs the accelerator, `main()` passes its own known-answer
//! test against the simulated output.

mod common;

use assert_cmd::Command;
use common::c_harness;

/// izer's options after `--device MAX78000 --timer 0 --display-checkpoint --verbose`.
const OPTIONS: &[(&str, &str)] = &[
    ("mnist", "--softmax"),
    ("cifar-10", "--softmax"),
    ("kws20_v3", "--softmax"),
    ("cats-dogs", "--fifo --softmax"),
    (
        "camvid_unet",
        "--overlap-data --mlator --no-unload --max-checklines 8192 --new-kernel-loader",
    ),
    (
        "aisegment_unet",
        "--overlap-data --mlator --no-unload --max-checklines 8192 --new-kernel-loader",
    ),
    ("svhn_tinierssd", "--overlap-data"),
    ("facedet_tinierssd", "--fifo"),
    ("dotprod_demo", ""),
    ("autoencoder", "--energy"),
    ("kws20_v3_msnoise_mixed", "--softmax"),
    ("mnist-extrasmall", "--softmax"),
    ("faceid-testckpt", "--fifo"),
    ("fashionmnist-testckpt", "--softmax"),
    ("mnist-riscv", "--softmax --riscv --riscv-debug"),
];

#[test]
fn every_reference_network_converts_and_runs_on_the_host() {
    if common::reference_dir().is_none() || !c_harness::gcc_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut done = 0;
    for (name, yaml, ckpt, sample) in common::reference_networks() {
        let Some((_, opts)) = OPTIONS.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let out = tmp.path().join(&name);
        let r = Command::cargo_bin("qtool")
            .unwrap()
            .args(["convert", "-q", "--device", "MAX78000", "--timer", "0"])
            .args(["--display-checkpoint", "--verbose", "--prefix", &name])
            .arg("--config-file")
            .arg(&yaml)
            .arg("--checkpoint-file")
            .arg(&ckpt)
            .arg("--sample-input")
            .arg(&sample)
            .arg("--out")
            .arg(&out)
            .args(opts.split_whitespace())
            .output()
            .unwrap();
        assert!(
            r.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let image = c_harness::register_image(&out).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            image.len() > 100,
            "{name}: only {} words written",
            image.len()
        );
        // With --riscv the network runs from main_riscv.c; main.c only starts that core.
        let app = if opts.contains("--riscv") {
            "main_riscv.c"
        } else {
            "main.c"
        };
        let calls = c_harness::main_calls_of(&out, app).unwrap_or_else(|e| panic!("{name}: {e}"));
        let names = c_harness::call_names(&calls);
        for f in ["cnn_init", "cnn_load_weights", "cnn_configure", "cnn_start"] {
            assert!(
                names.contains(&f),
                "{name}: main() never calls {f}: {names:?}"
            );
        }
        done += 1;
    }
    assert_eq!(done, OPTIONS.len(), "reference networks found");
}
