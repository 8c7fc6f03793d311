//! The simulator's known-answer data equals izer's `golden/sampleoutput.h` word for word for
//! the five reference networks (with the options of `golden/CMD.txt` that change it), and
//! `qtool sim --expect` accepts the golden file and rejects a copy with one flipped bit.

mod common;

use assert_cmd::Command;
use qtool::device::ai8x::sim::{SimOptions, simulate};
use qtool::device::ai8x::{KatOptions, check_words, parse_sample_output, sample_output_words};
use std::path::{Path, PathBuf};

/// izer options from CMD.txt that change the known-answer data, as qtool flags.
fn kat_flags(cmd: &str) -> Vec<String> {
    let words: Vec<&str> = cmd
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let mut flags = Vec::new();
    for (i, w) in words.iter().enumerate() {
        match *w {
            "--mlator" | "--avg-pool-rounding" => flags.push(w.to_string()),
            "--max-checklines" => flags.extend([w.to_string(), words[i + 1].to_string()]),
            _ => {}
        }
    }
    flags
}

fn golden() -> Vec<(String, PathBuf, PathBuf, PathBuf, PathBuf)> {
    common::reference_networks()
        .into_iter()
        .filter_map(|(name, yaml, ckpt, sample)| {
            let g = yaml.with_file_name("golden");
            g.is_dir().then_some((name, yaml, ckpt, sample, g))
        })
        .collect()
}

#[test]
fn sample_output_matches_izer_for_all_golden_networks() {
    let nets = golden();
    if common::reference_dir().is_some() {
        assert_eq!(nets.len(), 5);
    }
    for (name, yaml, ckpt, sample, g) in nets {
        let flags = kat_flags(&std::fs::read_to_string(g.join("CMD.txt")).unwrap());
        let opts = KatOptions {
            mlator: flags.iter().any(|f| f == "--mlator"),
            max_checklines: flags
                .iter()
                .position(|f| f == "--max-checklines")
                .map(|i| flags[i + 1].parse().unwrap()),
        };
        let sim_opts = SimOptions {
            avg_pool_rounding: flags.iter().any(|f| f == "--avg-pool-rounding"),
        };
        let (built, input) = common::load_reference(&yaml, &ckpt, &sample);
        let outputs = simulate(&built.graph, &input, sim_opts).unwrap().outputs;
        let ours = sample_output_words(&check_words(&built.graph, &outputs, &opts).unwrap(), &opts);
        let file = g.join("sampleoutput.h");
        let izer = parse_sample_output(&std::fs::read_to_string(&file).unwrap(), "golden").unwrap();
        assert_eq!(ours.len(), izer.len(), "{name}: word count");
        if let Some(i) = ours.iter().zip(&izer).position(|(a, b)| a != b) {
            panic!(
                "{name}: word {i} differs: ours 0x{:08x}, izer 0x{:08x}",
                ours[i], izer[i]
            );
        }
    }
}

fn sim_expect(
    yaml: &Path,
    ckpt: &Path,
    sample: &Path,
    flags: &[String],
    expect: &Path,
) -> std::process::Output {
    Command::cargo_bin("qtool")
        .unwrap()
        .args(["sim", "-q", "--device", "max78000", "-n"])
        .arg(yaml)
        .arg("-c")
        .arg(ckpt)
        .arg("--input")
        .arg(sample)
        .args(flags)
        .arg("--expect")
        .arg(expect)
        .output()
        .unwrap()
}

#[test]
fn expect_passes_on_golden_and_fails_on_a_flipped_bit() {
    let dir = tempfile::tempdir().unwrap();
    for (name, yaml, ckpt, sample, g) in golden() {
        let flags = kat_flags(&std::fs::read_to_string(g.join("CMD.txt")).unwrap());
        let golden_file = g.join("sampleoutput.h");
        let ok = sim_expect(&yaml, &ckpt, &sample, &flags, &golden_file);
        assert_eq!(
            ok.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
        assert!(
            String::from_utf8_lossy(&ok.stdout).contains("KAT passed"),
            "{name}"
        );
        // Flip the lowest bit of the fourth word (the first checked value) of the define.
        let text = std::fs::read_to_string(&golden_file).unwrap();
        let mut words = parse_sample_output(&text, "golden").unwrap();
        let expected = words[3] ^ 1;
        words[3] = expected;
        let flipped = dir.path().join(format!("{name}.h"));
        std::fs::write(
            &flipped,
            qtool::device::ai8x::render_sample_output(&qtool::device::ai8x::MAX78000, &words),
        )
        .unwrap();
        let bad = sim_expect(&yaml, &ckpt, &sample, &flags, &flipped);
        let err = String::from_utf8_lossy(&bad.stderr);
        assert_eq!(bad.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.contains(&format!("0x{:08x}", words[0]))
                && err.contains(&format!("0x{expected:08x}")),
            "{name}: {err}"
        );
    }
}

#[test]
fn write_kat_reproduces_the_golden_define() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let m = dir.join("mnist");
    let out = tempfile::tempdir().unwrap();
    let kat = out.path().join("sampleoutput.h");
    Command::cargo_bin("qtool")
        .unwrap()
        .args(["sim", "-q", "-n"])
        .arg(m.join("mnist-chw-ai85.yaml"))
        .arg("-c")
        .arg(m.join("ai85-mnist-qat8-q.pth.tar"))
        .arg("--input")
        .arg(m.join("sample_mnist.npy"))
        .arg("--write-kat")
        .arg(&kat)
        .assert()
        .success();
    let define = |t: &str| {
        t[t.find("#define SAMPLE_OUTPUT").unwrap()..]
            .trim_end()
            .to_string()
    };
    let ours = std::fs::read_to_string(&kat).unwrap();
    let izer = std::fs::read_to_string(m.join("golden/sampleoutput.h")).unwrap();
    assert_eq!(define(&ours), define(&izer));
    assert!(
        !ours.contains("Maxim"),
        "qtool writes its own header comment"
    );
}

#[test]
fn malformed_expect_header_exits_2() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let m = dir.join("mnist");
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.h");
    std::fs::write(
        &bad,
        "#define SAMPLE_OUTPUT { \\\n  0x50401000, 0xfffffffff, \\\n}\n",
    )
    .unwrap();
    let out = sim_expect(
        &m.join("mnist-chw-ai85.yaml"),
        &m.join("ai85-mnist-qat8-q.pth.tar"),
        &m.join("sample_mnist.npy"),
        &[],
        &bad,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.h") && err.lines().count() <= 3, "{err}");
}
