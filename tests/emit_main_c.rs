//! `main.c` and `cnn.h` against izer's golden projects: the C statements (comments and
//! layout aside) of `main.c`, the operation summary character for character, and every
//! declaration of the golden `cnn.h`.

mod common;

use qtool::emit::ai8x::{cnn_h, main_c, summary_comment};

/// `text` without comments, whitespace runs collapsed to one space.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').map_or("", |i| &r[i..]);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |i| &r[i + 2..]);
        } else if let Some(r) = rest.strip_prefix('"') {
            // String literal, copied whole.
            let end = r.find('"').unwrap();
            out.push('"');
            out.push_str(&r[..=end]);
            rest = &r[end + 1..];
        } else {
            let ch = rest.chars().next().unwrap();
            out.push(ch);
            rest = &rest[ch.len_utf8()..];
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Statements of normalized code, split after `;`, `{` and `}` (for readable diffs).
fn statements(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in code.chars() {
        cur.push(ch);
        if matches!(ch, ';' | '{' | '}') {
            out.push(cur.trim().to_string());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The izer options of a golden project, from the first line of its CMD.txt.
/// The `/* SUMMARY OF OPS … */` block of a file.
fn summary_block(text: &str) -> &str {
    let start = text.find("/*\n  SUMMARY OF OPS").expect("summary block");
    let end = start + text[start..].find("*/\n").unwrap() + 3;
    &text[start..end]
}

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

/// Lines of code without comments, whitespace-normalized, blank lines dropped.
fn code_lines(text: &str) -> Vec<String> {
    let mut no_block = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("/*") {
        no_block.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    no_block.push_str(rest);
    no_block
        .lines()
        .map(code)
        .filter(|l| !l.is_empty())
        .collect()
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
