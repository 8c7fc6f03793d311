//! `cnn_unload()` against izer's golden `cnn.c` files (mnist, cifar-10, kws20_v3, cats-dogs:
//! all 32-bit outputs), character for character, and a run over all 15 reference networks.
//! The 8-bit paths are covered by the unit tests in `emit/ai8x/unload/tests.rs`.

mod common;

use qtool::emit::ai8x::{ProjectOptions, cnn_unload};

/// izer's `cnn_unload` function in a `cnn.c`: from its header to the blank line after `}`.
fn golden_function(cnn_c: &str) -> &str {
    let start = cnn_c.find("int cnn_unload(").expect("golden cnn_unload");
    let len = cnn_c[start..].find("\n}\n\n").expect("end of cnn_unload") + "\n}\n\n".len();
    &cnn_c[start..start + len]
}

fn ours(network: &str) -> Option<String> {
    let (_, yaml, ckpt, sample) = common::reference_networks()
        .into_iter()
        .find(|n| n.0 == network)?;
    let (built, _) = common::load_reference(&yaml, &ckpt, &sample);
    Some(
        cnn_unload(&built.graph, &ProjectOptions::default())
            .unwrap_or_else(|e| panic!("{network}: {e}")),
    )
}

fn check(network: &str) {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let golden = std::fs::read_to_string(dir.join(network).join("golden/cnn.c")).unwrap();
    let ours = ours(network).unwrap();
    assert_eq!(ours, golden_function(&golden), "{network}");
}

#[test]
fn every_reference_network_unloads() {
    for (network, ..) in common::reference_networks() {
        let text = ours(&network).unwrap();
        assert!(
            text.starts_with("int cnn_unload(") && text.ends_with("\n  return CNN_OK;\n}\n\n"),
            "{network}: {text}"
        );
        assert!(
            text.contains("// Custom unload for this network"),
            "{network}"
        );
    }
}

golden_tests!(
    check,
    mnist => "mnist",
    cifar_10 => "cifar-10",
    kws20_v3 => "kws20_v3",
    cats_dogs => "cats-dogs",
);

/// The two reference networks with 8-bit outputs that izer unloads through the mlator
/// (izer's own command lines add `--no-unload`; here the unload is kept): `cnn_unload()`
/// programs the mlator, and the converted project's `cnn.c` still builds in the host harness.
#[test]
fn mlator_reference_networks_unload_through_the_mlator() {
    use assert_cmd::Command;
    use common::c_harness;
    let opts = ProjectOptions {
        mlator: true,
        unload: true,
        ..ProjectOptions::default()
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut done = 0;
    for (network, yaml, ckpt, sample) in common::reference_networks() {
        if network != "camvid_unet" && network != "aisegment_unet" {
            continue;
        }
        let (built, _) = common::load_reference(&yaml, &ckpt, &sample);
        let text = cnn_unload(&built.graph, &opts).unwrap_or_else(|e| panic!("{network}: {e}"));
        for part in [
            "int cnn_unload(uint32_t *out_buf32)\n{\n  volatile uint32_t *mlat, *ctrl;\n",
            "  ctrl = (volatile uint32_t *) 0x50100000;\n  mlat = (volatile uint32_t *) 0x50101000;\n",
            "// Enable mlator, byte 0\n",
            "  out_buf32[offs++] = *mlat;\n",
        ] {
            assert!(text.contains(part), "{network}: no {part:?} in\n{text}");
        }
        assert_ne!(
            text,
            cnn_unload(&built.graph, &ProjectOptions::default()).unwrap(),
            "{network}"
        );
        if c_harness::gcc_available() {
            let out = tmp.path().join(&network);
            let r = Command::cargo_bin("qtool")
                .unwrap()
                .args(["convert", "-q", "--device", "MAX78000", "--timer", "0"])
                .args(["--prefix", &network, "--overlap-data", "--mlator"])
                .args(["--max-checklines", "8192", "--new-kernel-loader"])
                .arg("--config-file")
                .arg(&yaml)
                .arg("--checkpoint-file")
                .arg(&ckpt)
                .arg("--sample-input")
                .arg(&sample)
                .arg("--out")
                .arg(&out)
                .output()
                .unwrap();
            assert!(
                r.status.success(),
                "{network}: {}",
                String::from_utf8_lossy(&r.stderr)
            );
            let cnn_c = std::fs::read_to_string(out.join("cnn.c")).unwrap();
            assert!(
                cnn_c.contains(&text),
                "{network}: cnn.c lacks the mlator unload"
            );
            c_harness::register_image(&out).unwrap_or_else(|e| panic!("{network}: {e}"));
        }
        done += 1;
    }
    if common::reference_dir().is_some() {
        assert_eq!(done, 2, "camvid_unet and aisegment_unet found");
    }
}
