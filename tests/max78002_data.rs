//! MAX78002 data against izer's golden projects (`../shared/reference/ai87/<net>/golden`, izer
//! device "AI87") for mnist, cifar-10 and kws20_v3_1:
//!
//! * `qtool convert --device max78002 --headers-only` with the golden `CMD.txt` command line:
//!   every `#define` of `weights.h` (kernel memory at 0x51400000 with the large processors'
//!   extension, bias memory), `sampledata.h` (data memory at 0x51800000) and
//!   `sampleoutput.h` equals izer's;
//! * `qtool sim --device max78002 --write-kat` reproduces `sampleoutput.h`'s define;
//! * the layer descriptions (shapes, pooling, operator) equal izer's `// Layer i: …` comments
//!   in `cnn.c`, and `qtool inspect --device max78002` reports the same shapes and the chip's
//!   limits.
//!
//! Owns these comparisons only.

mod common;

use assert_cmd::Command;
use qtool::device::ai8x::{ChipId, MAX78002, allocate_kernels, check_graph, describe};
use std::path::{Path, PathBuf};

/// The MAX78002 networks with izer golden projects (folders of `ai87/`).
const NETS: [&str; 3] = ["mnist", "cifar-10", "kws20_v3_1"];

/// The network's reference folder, or `None` (said loudly) without `../shared`.
fn net_dir(net: &str) -> Option<PathBuf> {
    Some(common::reference_dir_of("ai87")?.join(net))
}

/// The one file in `folder` whose name ends in `suffix`.
fn pick(folder: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{}: one *{suffix}", folder.display());
    found[0].clone()
}

fn load(dir: &Path) -> (qtool::netdesc::ai8x::Built, ndarray::Array3<i64>) {
    common::load_reference_on(
        &pick(dir, ".yaml"),
        &pick(dir, ".pth.tar"),
        &pick(dir, ".npy"),
        ChipId::Max78002,
    )
}

fn cmd_line(dir: &Path) -> String {
    let cmd = std::fs::read_to_string(dir.join("golden/CMD.txt")).unwrap();
    cmd.lines().next().unwrap().to_string()
}

fn check_headers(net: &str) {
    let Some(dir) = net_dir(net) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut args = common::izer_command_args(&cmd_line(&dir), &dir, tmp.path());
    assert!(
        args.windows(2)
            .any(|w| w[0] == "--device" && w[1] == "MAX78002"),
        "{net}: izer ran for the MAX78002"
    );
    args.push("--headers-only".into());
    let prefix = args[args.iter().position(|a| a == "--prefix").unwrap() + 1].clone();
    let r = Command::cargo_bin("qtool")
        .unwrap()
        .args(&args)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "{net}: qtool {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&r.stderr)
    );
    let ours = tmp.path().join(prefix);
    for f in ["weights.h", "sampledata.h", "sampleoutput.h"] {
        let (a, b) = (
            common::defines(&ours.join(f)),
            common::defines(&dir.join("golden").join(f)),
        );
        if a != b {
            let line = a
                .lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .unwrap_or(a.lines().count().min(b.lines().count()));
            panic!(
                "{net}/{f}: first difference at define line {line}:\n ours: {:?}\n izer: {:?}",
                a.lines().nth(line),
                b.lines().nth(line)
            );
        }
        let text = std::fs::read_to_string(ours.join(f)).unwrap();
        assert!(
            text.contains("MAX78002"),
            "{net}/{f}: header names the chip"
        );
    }
}

#[test]
fn headers_mnist() {
    check_headers("mnist");
}

#[test]
fn headers_cifar_10() {
    check_headers("cifar-10");
}

#[test]
fn headers_kws20_v3_1() {
    check_headers("kws20_v3_1");
}

fn check_write_kat(net: &str) {
    let Some(dir) = net_dir(net) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let kat = tmp.path().join("sampleoutput.h");
    Command::cargo_bin("qtool")
        .unwrap()
        .args(["sim", "-q", "--device", "max78002", "-n"])
        .arg(pick(&dir, ".yaml"))
        .arg("-c")
        .arg(pick(&dir, ".pth.tar"))
        .arg("--input")
        .arg(pick(&dir, ".npy"))
        .arg("--write-kat")
        .arg(&kat)
        .assert()
        .success();
    assert_eq!(
        common::defines(&kat),
        common::defines(&dir.join("golden/sampleoutput.h")),
        "{net}"
    );
}

#[test]
fn write_kat_mnist() {
    check_write_kat("mnist");
}

#[test]
fn write_kat_cifar_10() {
    check_write_kat("cifar-10");
}

#[test]
fn write_kat_kws20_v3_1() {
    check_write_kat("kws20_v3_1");
}

#[test]
fn layer_descriptions_match_izer_cnn_c() {
    for net in NETS {
        let Some(dir) = net_dir(net) else { return };
        let text = std::fs::read_to_string(dir.join("golden/cnn.c")).unwrap();
        let golden: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("// "))
            .filter(|l| l.starts_with("Layer ") && l.ends_with(" output"))
            .collect();
        let (built, _) = load(&dir);
        check_graph(&built.graph).unwrap_or_else(|e| panic!("{net}: {e}"));
        let ours: Vec<String> = built
            .graph
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| describe(i, n))
            .collect();
        assert_eq!(ours, golden, "{net}");
    }
}

/// `AxBxC` of an izer layer comment's input (before `,` or ` flattened`) and output.
fn comment_shapes(line: &str) -> (Vec<usize>, Vec<usize>) {
    let dims = |s: &str| -> Vec<usize> { s.split('x').map(|d| d.parse().unwrap()).collect() };
    let body = line.split_once(": ").unwrap().1;
    let input = body.split([',', ' ']).next().unwrap();
    let output = body
        .rsplit(", ")
        .next()
        .unwrap()
        .trim_end_matches(" output");
    (dims(input), dims(output))
}

#[test]
fn inspect_reports_izer_shapes_and_chip_limits() {
    for net in NETS {
        let Some(dir) = net_dir(net) else { return };
        let out = Command::cargo_bin("qtool")
            .unwrap()
            .args(["inspect", "--json", "--device", "max78002", "--network"])
            .arg(pick(&dir, ".yaml"))
            .arg("--checkpoint")
            .arg(pick(&dir, ".pth.tar"))
            .output()
            .unwrap();
        let v = common::success_json(&out);
        assert_eq!(v["device"], "max78002", "{net}");
        assert_eq!(v["totals"]["layers_limit"], 128, "{net}");
        assert_eq!(v["totals"]["bias_bytes_limit"], 2048, "{net}");
        assert_eq!(v["totals"]["fits"], true, "{net}");
        let text = std::fs::read_to_string(dir.join("golden/cnn.c")).unwrap();
        let comments: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("// "))
            .filter(|l| l.starts_with("Layer ") && l.ends_with(" output"))
            .collect();
        let layers = v["layers"].as_array().unwrap();
        assert_eq!(layers.len(), comments.len(), "{net}: layer count");
        for (l, c) in layers.iter().zip(&comments) {
            let (input, output) = comment_shapes(c);
            assert_eq!(l["input_shape"], serde_json::json!(input), "{net}: {c}");
            assert_eq!(l["output_shape"], serde_json::json!(output), "{net}: {c}");
            assert_eq!(l["description"], *c, "{net}");
        }
    }
}

/// izer's kernel map of mnist on the MAX78002 (its `log.txt`): the first layer, alone on the
/// large processor 0, goes to the top of the extended memory (columns 5060–5119); the others
/// are stacked from column 0.
#[test]
fn mnist_kernel_map_uses_the_extended_memory() {
    let Some(dir) = net_dir("mnist") else { return };
    let (built, _) = load(&dir);
    let map = allocate_kernels(&built.graph, &MAX78002).unwrap();
    assert_eq!(map.offsets[0], Some(5060));
    assert_eq!(map.owner(0, 5119), Some(0));
    assert_eq!(map.owner(0, 5059), None);
    assert!(map.offsets[1..].iter().all(|o| o.is_some_and(|c| c < 4096)));
}
