//! Known-answer data (`sampleoutput.h`) against izer's golden files for five networks:
//! reading and re-rendering them word for word, the full MNIST array from the final layer's
//! known 32-bit outputs, and — until simulated outputs are wired in — the memory layout
//! (run addresses, masks, counts) of the other four from zero outputs of the right shapes.
//!
//! Owns these comparisons only; must not simulate layers.

mod common;

use ndarray::{Array3, ArrayD, IxDyn};
use qtool::device::ai8x::{
    KatMismatch, KatOptions, RunHeader, check_words, compare, parse_sample_output,
    render_sample_output, runs, sample_output_words,
};
use qtool::ir::Graph;
use qtool::netdesc::ai8x::{LoadRequest, load_max78000};
use std::path::{Path, PathBuf};

const NETS: [&str; 5] = ["mnist", "cifar-10", "kws20_v3", "cats-dogs", "camvid_unet"];

/// izer's switches per network, from `golden/CMD.txt` (only camvid_unet sets any).
fn options(net: &str) -> KatOptions {
    match net {
        "camvid_unet" => KatOptions {
            mlator: true,
            max_checklines: Some(8192),
        },
        _ => KatOptions::default(),
    }
}

fn golden(dir: &Path, net: &str) -> (String, String) {
    let path = dir.join(net).join("golden/sampleoutput.h");
    let text = std::fs::read_to_string(&path).unwrap();
    (text, path.display().to_string())
}

fn golden_words(dir: &Path, net: &str) -> Vec<u32> {
    let (text, file) = golden(dir, net);
    parse_sample_output(&text, &file).unwrap_or_else(|e| panic!("{e}"))
}

/// The one file in the network's folder whose name ends in `suffix`.
fn pick(folder: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{}: one *{suffix} expected",
        folder.display()
    );
    found[0].clone()
}

fn load(dir: &Path, net: &str) -> Graph {
    let folder = dir.join(net);
    let req = LoadRequest {
        network: pick(&folder, ".yaml"),
        checkpoint: Some(pick(&folder, ".pth.tar")),
        sample_input: Some(pick(&folder, ".npy")),
        ..Default::default()
    };
    load_max78000(&req)
        .unwrap_or_else(|e| panic!("{net}: {e}"))
        .graph
}

/// Zero outputs of every layer's shape (`[C, H, W]`).
fn zeros(g: &Graph) -> Vec<Array3<i64>> {
    g.nodes
        .iter()
        .map(|n| {
            let s = n.out_shape.as_d2();
            let (h, w) = s.dims.hw();
            Array3::zeros((s.channels, h, w))
        })
        .collect()
}

fn headers(words: &[u32]) -> Vec<RunHeader> {
    runs(words).unwrap().iter().map(|r| r.header()).collect()
}

#[test]
fn golden_files_parse_and_render_word_for_word() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    for net in NETS {
        let (text, file) = golden(&dir, net);
        let words = parse_sample_output(&text, &file).unwrap();
        assert_eq!(words.last(), Some(&0), "{net}");
        let ours = render_sample_output(&qtool::device::ai8x::MAX78000, &words);
        let define = |t: &str| t[t.find("#define").unwrap()..].to_string();
        assert_eq!(define(&ours), define(&text), "{net}");
        assert_ne!(ours, text, "{net}: the header comment is qtool's own");
        assert_eq!(parse_sample_output(&ours, "ours.h").unwrap(), words);
    }
}

#[test]
fn mnist_array_from_the_final_layer_outputs() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let g = load(&dir, "mnist");
    let last = *g.outputs.last().unwrap();
    assert_eq!(g.outputs, vec![last]);
    let known: [u32; 10] = [
        0xfffecf58, 0x00016cc1, 0x0000b1ac, 0x0000749a, 0xffff7268, 0xfffe0062, 0xfffbd7f1,
        0x00065b68, 0xfffdbad1, 0x000061f1,
    ];
    let mut outputs: Vec<ArrayD<i64>> = zeros(&g).into_iter().map(|a| a.into_dyn()).collect();
    outputs[last] = ArrayD::from_shape_vec(
        IxDyn(&[10, 1, 1]),
        known.iter().map(|&v| i64::from(v as i32)).collect(),
    )
    .unwrap();
    let opts = options("mnist");
    let words = sample_output_words(&check_words(&g, &outputs, &opts).unwrap(), &opts);
    let expected = golden_words(&dir, "mnist");
    assert_eq!(words, expected);
    assert_eq!(compare(&expected, &words), Ok(10));

    // One wrong value is found at its address (channel 5 = processor 4's second word).
    outputs[last][[5, 0, 0]] += 1;
    let wrong = sample_output_words(&check_words(&g, &outputs, &opts).unwrap(), &opts);
    assert_eq!(
        compare(&expected, &wrong),
        Err(KatMismatch::Value {
            address: 0x5040_9004,
            expected: 0xfffe0062,
            actual: 0xfffe0063,
        })
    );
}

#[test]
fn layouts_match_golden_runs() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    for net in NETS {
        let g = load(&dir, net);
        let opts = options(net);
        let ours = sample_output_words(&check_words(&g, &zeros(&g), &opts).unwrap(), &opts);
        let theirs = golden_words(&dir, net);
        assert_eq!(headers(&ours), headers(&theirs), "{net}: run headers");
        assert_eq!(ours.len(), theirs.len(), "{net}: array length");
    }
}

#[test]
fn camvid_truncation_and_mlator() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let g = load(&dir, "camvid_unet");
    let zeros = zeros(&g);
    let words =
        |opts: KatOptions| sample_output_words(&check_words(&g, &zeros, &opts).unwrap(), &opts);
    let values = |w: &[u32]| {
        runs(w)
            .unwrap()
            .iter()
            .map(|r| r.values.len())
            .sum::<usize>()
    };
    let golden = options("camvid_unet");
    // 64 channels of 48×48 in 8 bits: 16 instances of 2304 words; 8192 keeps 8193.
    assert_eq!(values(&words(golden)), 8193);
    let all = words(KatOptions {
        max_checklines: None,
        ..golden
    });
    assert_eq!(values(&all), 64 / 4 * 48 * 48);
    assert_eq!(headers(&all).len(), 16);
    // --mlator changes nothing in the embedded known-answer test.
    assert_eq!(
        words(KatOptions {
            mlator: false,
            ..golden
        }),
        words(golden)
    );
}
