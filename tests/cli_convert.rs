//! `qtool convert --headers-only`: the data headers of the five golden projects, atomic
//! output directories, refusal of limit violations before anything is written.

mod common;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn convert(
    yaml: &Path,
    ckpt: &Path,
    sample: &Path,
    out: &Path,
    extra: &[String],
) -> std::process::Output {
    let mut args = vec!["--headers-only".to_string()];
    args.extend_from_slice(extra);
    convert_project(yaml, ckpt, sample, out, &args)
}

/// `qtool convert` of the whole project.
fn convert_project(
    yaml: &Path,
    ckpt: &Path,
    sample: &Path,
    out: &Path,
    extra: &[String],
) -> std::process::Output {
    Command::cargo_bin("qtool")
        .unwrap()
        .args(["convert", "-q", "--device", "max78000", "-n"])
        .arg(yaml)
        .arg("-c")
        .arg(ckpt)
        .arg("--sample-input")
        .arg(sample)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// The reference mnist network: description, checkpoint, sample input.
fn mnist_files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let m = dir.join("mnist");
    (
        m.join("mnist-chw-ai85.yaml"),
        m.join("ai85-mnist-qat8-q.pth.tar"),
        m.join("sample_mnist.npy"),
    )
}

/// The file from its first `#define` on (header comments are qtool's own).
fn defines(p: &Path) -> String {
    let t = std::fs::read_to_string(p).unwrap();
    t[t.find("#define").unwrap_or(t.len())..].to_string()
}

#[test]
fn data_headers_equal_izer_for_the_golden_projects() {
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (name, yaml, ckpt, sample) in common::reference_networks() {
        let g = yaml.with_file_name("golden");
        let Ok(cmd) = std::fs::read_to_string(g.join("CMD.txt")) else {
            continue;
        };
        let words: Vec<&str> = cmd.lines().next().unwrap().split_whitespace().collect();
        let mut extra = Vec::new();
        for (i, w) in words.iter().enumerate() {
            match *w {
                "--fifo" | "--mlator" | "--avg-pool-rounding" => extra.push(w.to_string()),
                "--max-checklines" => extra.extend([w.to_string(), words[i + 1].to_string()]),
                _ => {}
            }
        }
        let out = tmp.path().join(&name);
        let r = convert(&yaml, &ckpt, &sample, &out, &extra);
        assert!(
            r.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        for f in ["weights.h", "sampledata.h", "sampleoutput.h"] {
            assert_eq!(defines(&out.join(f)), defines(&g.join(f)), "{name}/{f}");
            assert!(
                !std::fs::read_to_string(out.join(f))
                    .unwrap()
                    .contains("Maxim Integrated"),
                "{name}/{f}"
            );
        }
        checked += 1;
    }
    if common::reference_dir().is_some() {
        assert_eq!(checked, 5);
    }
}

#[test]
fn existing_directory_needs_overwrite_and_violations_write_nothing() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let (y, c, s) = mnist_files(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("proj");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let r = convert(&y, &c, &s, &out, &[]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--overwrite"));
    assert_eq!(
        std::fs::read_to_string(out.join("keep.txt")).unwrap(),
        "mine"
    );
    assert!(
        convert(&y, &c, &s, &out, &["--overwrite".into()])
            .status
            .success()
    );
    assert!(out.join("weights.h").is_file() && !out.join("keep.txt").exists());

    // Layer 1 on 4 processors: layer 0 cannot write its 60 channels there. Refused, nothing written.
    let bad_yaml = tmp.path().join("bad.yaml");
    let text = std::fs::read_to_string(&y).unwrap().replacen(
        "processors: 0xfffffffffffffff0",
        "processors: 0x00000000000000f0",
        1,
    );
    std::fs::write(&bad_yaml, text).unwrap();
    let bad_out = tmp.path().join("bad");
    let r = convert(&bad_yaml, &c, &s, &bad_out, &[]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains("layer 0") && err.contains("`output_processors`") && err.contains("60"),
        "{err}"
    );
    assert!(!bad_out.exists());
}

#[test]
fn verbose_prints_the_kernel_map_and_unsupported_izer_options_exit_2() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let m = dir.join("mnist");
    let tmp = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        Command::cargo_bin("qtool")
            .unwrap()
            .args(["convert", "--device", "MAX78000", "--config-file"])
            .arg(m.join("mnist-chw-ai85.yaml"))
            .arg("--checkpoint-file")
            .arg(m.join("ai85-mnist-qat8-q.pth.tar"))
            .arg("--sample-input")
            .arg(m.join("sample_mnist.npy"))
            .arg("--test-dir")
            .arg(tmp.path())
            .args(["--prefix", "mnist"])
            .args(extra)
            .output()
            .unwrap()
    };
    let r = run(&["--verbose"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let out = String::from_utf8_lossy(&r.stdout);
    let map: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Kernel map"))
        .skip(1)
        .take(64)
        .collect();
    assert_eq!(map.len(), 64, "{out}");
    // izer's own map for the same command (its log.txt, after the dashed line).
    let mut log = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(
            std::fs::File::open(m.join("golden/log.txt.gz")).unwrap(),
        ),
        &mut log,
    )
    .unwrap();
    let izer: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.starts_with("Kernel map"))
        .skip(2)
        .take(64)
        .collect();
    assert_eq!(map, izer);
    assert!(tmp.path().join("mnist/cnn.c").is_file());

    let r = run(&["--overwrite", "--zero-sram"]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("--zero-sram") && err.contains("not supported"),
        "{err}"
    );
}

#[test]
fn fast_fifo_needs_riscv_and_feeds_the_input_through_the_fast_fifo() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let (y, c, s) = mnist_files(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ff");
    let r = convert(&y, &c, &s, &out, &["--fast-fifo".into()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--riscv"));
    assert!(!out.exists());

    let args = ["--riscv", "--fast-fifo", "--softmax"].map(String::from);
    let r = convert_project(&y, &c, &s, &out, &args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let app = std::fs::read_to_string(out.join("main_riscv.c")).unwrap();
    assert!(
        app.contains("*((volatile uint32_t *) 0x400c0410) = *in0++;"),
        "{app}"
    );
    assert!(app.contains("while (((*((volatile uint32_t *) 0x400c0404) & 2)) != 0);"));
    let cnn = std::fs::read_to_string(out.join("cnn.c")).unwrap();
    assert!(
        cnn.contains("*((volatile uint32_t *) 0x400c0400) = 0x000000a0;"),
        "{cnn}"
    );
    assert!(!cnn.contains("0x50000000) ="), "no slow-FIFO control write");
}

/// izer's network-changing options: `--no-bias` drops biases, `--stop-after N` ends the
/// network at layer N (its known answer is that layer's output), `--input-offset` moves the
/// input in data memory.
#[test]
fn no_bias_stop_after_and_input_offset_change_the_network() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let (y, c, s) = mnist_files(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let extra: Vec<String> = extra.iter().map(|e| e.to_string()).collect();
        let r = convert_project(&y, &c, &s, &out, &extra);
        assert!(
            r.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
        (
            read("weights.h"),
            read("sampledata.h"),
            read("sampleoutput.h"),
        )
    };
    let (w, d, o) = run("plain", &[]);
    assert!(w.contains("#define BIAS_0"));

    let (w2, d2, o2) = run("nobias", &["--no-bias"]);
    assert!(!w2.contains("BIAS_"), "{w2}");
    assert_eq!(d2, d);
    assert_ne!(o2, o, "the known answer changes without the bias");
    let (w3, ..) = run("nobias4", &["--no-bias", "4"]);
    assert!(!w3.contains("BIAS_"));
    let (w4, ..) = run("nobias0", &["--no-bias", "0,1"]);
    assert!(w4.contains("#define BIAS_0"), "layer 4 keeps its bias");

    let (w5, _, o5) = run("stop", &["--stop-after", "2"]);
    assert!(
        !w5.contains("BIAS_"),
        "layer 4 (the only biased one) is gone"
    );
    assert_ne!(o5, o);
    let tmp_out = tmp.path().join("stop");
    let cnn = std::fs::read_to_string(tmp_out.join("cnn.c")).unwrap();
    assert!(cnn.contains("// Configuring 3 layers"));
    assert!(cnn.contains("= 0x00000002; // Layer count"), "{cnn}");

    // The same words (sampledata.h holds no addresses) land 0x1000 bytes further in.
    let (_, d6, o6) = run("offset", &["--input-offset", "0x1000"]);
    assert_eq!((d6, o6), (d, o));
    let cnn = std::fs::read_to_string(tmp.path().join("offset/cnn.c")).unwrap();
    assert!(cnn.contains("*((volatile uint32_t *) 0x50100510) = 0x00000400; // SRAM read ptr"));
    let main = std::fs::read_to_string(tmp.path().join("offset/main.c")).unwrap();
    assert!(
        main.contains("0x50401000"),
        "input loaded at the offset: {main}"
    );
}
