//! `sampledata.h` against izer's golden files: every define, word for word.

mod common;

use qtool::emit::ai8x::sampledata_h::{InputOptions, LoadTarget, input_loads, sampledata_h};
use std::path::Path;

/// `(name, words)` of every `#define NAME { … }` in a C header.
fn defines(text: &str) -> Vec<(String, Vec<u32>)> {
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<u32>)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#define ") {
            assert!(current.is_none(), "define inside define: {line}");
            let name = rest.split_whitespace().next().unwrap().to_string();
            assert!(rest.trim_end().ends_with("{ \\"), "{line}");
            current = Some((name, Vec::new()));
        } else if let Some((_, words)) = current.as_mut() {
            if line.trim() == "}" {
                out.push(current.take().unwrap());
                continue;
            }
            for tok in line.split([',', '\\', ' ']).filter(|t| !t.is_empty()) {
                let hex = tok
                    .strip_prefix("0x")
                    .unwrap_or_else(|| panic!("token {tok}"));
                words.push(u32::from_str_radix(hex, 16).unwrap());
            }
        }
    }
    assert!(current.is_none(), "unclosed define");
    out
}

fn check(folder: &str, fifo: bool) {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let (name, yaml, ckpt, sample) = common::reference_networks()
        .into_iter()
        .find(|n| n.0 == folder)
        .unwrap();
    let golden_path = dir.join(&name).join("golden/sampledata.h");
    let cmd = std::fs::read_to_string(dir.join(&name).join("golden/CMD.txt")).unwrap();
    assert_eq!(
        cmd.lines().next().unwrap().contains(" --fifo"),
        fifo,
        "{folder}: --fifo in CMD.txt"
    );
    let (built, input) = common::load_reference(&yaml, &ckpt, &sample);
    let opts = InputOptions { fifo };
    let ours = sampledata_h(&built.graph, &input, &opts).unwrap();
    let golden = std::fs::read_to_string(&golden_path).unwrap();
    let (a, b) = (defines(&ours), defines(&golden));
    assert!(!b.is_empty(), "{}: no defines", golden_path.display());
    assert_eq!(
        a.iter().map(|d| (&d.0, d.1.len())).collect::<Vec<_>>(),
        b.iter().map(|d| (&d.0, d.1.len())).collect::<Vec<_>>(),
        "{folder}: define names and lengths"
    );
    for ((n, x), (_, y)) in a.iter().zip(&b) {
        if let Some(i) = (0..x.len()).find(|&i| x[i] != y[i]) {
            panic!(
                "{folder}: {n} word {i}: ours 0x{:08x}, izer 0x{:08x}",
                x[i], y[i]
            );
        }
    }
    // The define text itself is izer's, character for character (only the header differs).
    let body = |t: &str| t[t.find("#define").unwrap()..].to_string();
    assert_eq!(body(&ours), body(&golden), "{folder}: define text");
    check_main_c(
        folder,
        &dir.join(&name).join("golden/main.c"),
        &built,
        &input,
        opts,
    );
}

/// The loads agree with the addresses and lengths izer's `load_input()` uses.
fn check_main_c(
    folder: &str,
    main_c: &Path,
    built: &qtool::netdesc::ai8x::Built,
    input: &ndarray::Array3<i64>,
    opts: InputOptions,
) {
    let text = std::fs::read_to_string(main_c).unwrap();
    let loads = input_loads(&built.graph, input, &opts).unwrap();
    for l in &loads {
        let line = match l.target {
            LoadTarget::Memory => format!(
                "  memcpy32((uint32_t *) 0x{:08x}, input_{}, {});",
                l.address,
                l.index,
                l.words.len()
            ),
            LoadTarget::Fifo(f) => {
                format!(
                    "    *((volatile uint32_t *) 0x{:08x}) = *in{f}++;",
                    l.address
                )
            }
        };
        assert!(text.contains(&line), "{folder}: main.c lacks `{line}`");
    }
}

#[test]
fn mnist_chw() {
    check("mnist", false);
}

#[test]
fn cifar10_hwc() {
    check("cifar-10", false);
}

#[test]
fn kws20_v3_two_passes() {
    check("kws20_v3", false);
}

#[test]
fn cats_dogs_fifo() {
    check("cats-dogs", true);
}

#[test]
fn camvid_unet_48_channels() {
    check("camvid_unet", false);
}
