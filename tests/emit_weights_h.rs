//! `weights.h` against izer's golden files for the five reference networks: every `#define`
//! holds the same values in the same order (header comment lines may differ).

mod common;

use qtool::emit::ai8x::weights_h;

/// The `#define NAME { … }` blocks of a C header: name and parsed values, in file order.
fn defines(text: &str) -> Vec<(String, Vec<u64>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("#define ") {
        rest = &rest[at + "#define ".len()..];
        let name_end = rest.find(|c: char| c.is_whitespace()).unwrap();
        let name = rest[..name_end].to_string();
        let open = rest.find('{').unwrap();
        let close = rest.find('}').unwrap();
        let values = rest[open + 1..close]
            .split(|c: char| c == ',' || c.is_whitespace() || c == '\\')
            .filter(|t| !t.is_empty())
            .map(|t| u64::from_str_radix(t.trim_start_matches("0x"), 16).unwrap())
            .collect();
        out.push((name, values));
        rest = &rest[close + 1..];
    }
    out
}

/// The text after the header comment: from the first `#define` on.
fn body(text: &str) -> &str {
    &text[text.find("#define").unwrap_or(text.len())..]
}

fn check(network: &str) {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let (_, yaml, ckpt, sample) = common::reference_networks()
        .into_iter()
        .find(|n| n.0 == network)
        .unwrap();
    let (built, _) = common::load_reference(&yaml, &ckpt, &sample);
    let ours = weights_h(&built.graph).unwrap_or_else(|e| panic!("{network}: {e}"));
    let golden = std::fs::read_to_string(dir.join(network).join("golden/weights.h")).unwrap();
    let (a, b) = (defines(&ours), defines(&golden));
    let names = |d: &[(String, Vec<u64>)]| d.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "{network}: defines");
    assert!(
        b.iter().any(|(n, v)| n == "KERNELS" && v.len() > 3),
        "{network}: golden KERNELS missing"
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if let Some(i) = (0..x.len().min(y.len())).find(|&i| x[i] != y[i]) {
            panic!(
                "{network}: {name}[{i}] = {:#x}, izer has {:#x} (context {:x?} vs {:x?})",
                x[i],
                y[i],
                &x[i.saturating_sub(3)..(i + 3).min(x.len())],
                &y[i.saturating_sub(3)..(i + 3).min(y.len())]
            );
        }
        assert_eq!(x.len(), y.len(), "{network}: {name} length");
    }
    // Beyond the values: the text after the header comment is byte-identical.
    assert_eq!(body(&ours), body(&golden), "{network}: text");
    assert!(ours.starts_with("// "), "{network}: header comment");
}

#[test]
fn mnist() {
    check("mnist");
}

#[test]
fn cifar_10() {
    check("cifar-10");
}

#[test]
fn kws20_v3() {
    check("kws20_v3");
}

#[test]
fn cats_dogs() {
    check("cats-dogs");
}

#[test]
fn camvid_unet() {
    check("camvid_unet");
}
