//! `qtool convert --headers-only`: the data headers of the five golden projects, atomic
//! output directories, refusal of limit violations before anything is written.

mod common;

use assert_cmd::Command;
use std::path::Path;

fn convert(
    yaml: &Path,
    ckpt: &Path,
    sample: &Path,
    out: &Path,
    extra: &[String],
) -> std::process::Output {
    Command::cargo_bin("qtool")
        .unwrap()
        .args([
            "convert",
            "-q",
            "--device",
            "max78000",
            "--headers-only",
            "-n",
        ])
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
    let m = dir.join("mnist");
    let (y, c, s) = (
        m.join("mnist-chw-ai85.yaml"),
        m.join("ai85-mnist-qat8-q.pth.tar"),
        m.join("sample_mnist.npy"),
    );
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
    let m = dir.join("mnist");
    let (y, c, s) = (
        m.join("mnist-chw-ai85.yaml"),
        m.join("ai85-mnist-qat8-q.pth.tar"),
        m.join("sample_mnist.npy"),
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ff");
    let r = convert(&y, &c, &s, &out, &["--fast-fifo".into()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--riscv"));
    assert!(!out.exists());

    let full = |extra: &[&str]| {
        Command::cargo_bin("qtool")
            .unwrap()
            .args(["convert", "-q", "-n"])
            .arg(&y)
            .arg("-c")
            .arg(&c)
            .arg("--sample-input")
            .arg(&s)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let r = full(&["--riscv", "--fast-fifo", "--softmax"]);
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
