//! `cnn_unload()` against izer's golden `cnn.c` files (mnist, cifar-10, kws20_v3, cats-dogs:
//! all 32-bit outputs), character for character, and a run over all 15 reference networks.
//! The 8-bit paths are covered by the unit tests in `src/emit/max78000/unload/tests.rs`.

mod common;

use qtool::emit::max78000::{ProjectOptions, cnn_unload};

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
