//! `main.c` and `cnn.h` against izer's golden projects: the C statements (comments and
//! layout aside) of `main.c`, the operation summary character for character, and every
//! declaration of the golden `cnn.h`.

mod common;

use common::c_text::{code, code_lines, statements, summary_block};
use qtool::emit::ai8x::{cnn_h, main_c, summary_comment};

fn check(folder: &str) {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let (name, yaml, ckpt, sample) = common::reference_networks()
        .into_iter()
        .find(|n| n.0 == folder)
        .unwrap();
    let golden = dir.join(&name).join("golden");
    let read = |f: &str| std::fs::read_to_string(golden.join(f)).unwrap();
    let opts = common::golden_options(folder, &read("CMD.txt"));
    let (built, input) = common::load_reference(&yaml, &ckpt, &sample);
    let graph = &built.graph;

    // Operation summary: exact text, in main.c and cnn.h.
    let summary = summary_comment(graph);
    let (golden_main, golden_h) = (read("main.c"), read("cnn.h"));
    assert_eq!(
        summary,
        summary_block(&golden_main),
        "{folder}: main.c summary"
    );
    assert_eq!(summary, summary_block(&golden_h), "{folder}: cnn.h summary");

    // main.c: identical C statements.
    let ours = main_c(graph, &input, &opts).unwrap();
    assert_eq!(
        summary_block(&ours),
        summary,
        "{folder}: our main.c summary"
    );
    let (a, b) = (statements(&code(&ours)), statements(&code(&golden_main)));
    if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
        panic!(
            "{folder}: main.c statement {i} differs:\n ours:  {:?}\n izer:  {:?}",
            &a[i.saturating_sub(2)..(i + 3).min(a.len())],
            &b[i.saturating_sub(2)..(i + 3).min(b.len())]
        );
    }

    // cnn.h: every golden declaration and define is ours too.
    let ours_h = cnn_h(graph, &opts).unwrap();
    assert_eq!(
        summary_block(&ours_h),
        summary,
        "{folder}: our cnn.h summary"
    );
    let ours_lines = code_lines(&ours_h);
    for line in code_lines(&golden_h) {
        assert!(ours_lines.contains(&line), "{folder}: cnn.h lacks `{line}`");
    }
}

#[test]
fn mnist() {
    check("mnist");
}

#[test]
fn cifar10() {
    check("cifar-10");
}

#[test]
fn kws20_v3() {
    check("kws20_v3");
}

#[test]
fn cats_dogs_fifo() {
    check("cats-dogs");
}

#[test]
fn camvid_unet_no_unload() {
    check("camvid_unet");
}
