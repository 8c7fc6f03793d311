//! Bad input never panics: each case exits with code 2 and at most three lines on stderr
//! naming the file (and the layer and key where there is one).

mod common;

use std::path::{Path, PathBuf};

const NET: &str = "arch: ai85net5\ndataset: MNIST\nlayers:\n  - processors: 1\n    out_offset: 0\n    out_channels: 8\n    op: conv2d\n";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Run `qtool inspect ARGS`, check exit code 2 and a short stderr containing every `needle`.
fn fails_with(args: &[&str], needles: &[&str]) {
    common::fails_cleanly(&[&["inspect"], args].concat(), needles);
}

fn yaml_case(text: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let y = write(dir.path(), "net.yaml", text.as_bytes());
    fails_with(
        &["--network", y.to_str().unwrap()],
        &[&["net.yaml"], needles].concat(),
    );
}

#[test]
fn yaml_unknown_key() {
    yaml_case(&format!("{NET}    colour: red\n"), &["layer 0", "colour"]);
}

#[test]
fn yaml_wrong_value_type() {
    yaml_case(
        &format!("{NET}    pad: one\n"),
        &["layer 0", "`pad`", "integer"],
    );
}

#[test]
fn yaml_syntax_error() {
    yaml_case("arch: a\ndataset: [\n", &["YAML syntax error", "line"]);
}

#[test]
fn conv2d_five_by_five_kernel() {
    yaml_case(
        &format!("{NET}    kernel_size: 5x5\n"),
        &["layer 0", "`kernel_size`", "5x5"],
    );
}

#[test]
fn sixty_five_bit_processor_map() {
    yaml_case(
        &NET.replace("processors: 1", "processors: 0x1ffffffffffffffff"),
        &["layer 0", "`processors`", "64"],
    );
    yaml_case(
        &NET.replace("processors: 1", "processors: '0x1_ffff_ffff_ffff_ffff'"),
        &["layer 0", "`processors`", "64"],
    );
}

#[test]
fn unsupported_activation() {
    yaml_case(
        &format!("{NET}    activate: Sigmoid\n"),
        &["layer 0", "`activate`", "sigmoid"],
    );
}

fn mnist() -> Option<(String, PathBuf, PathBuf)> {
    let dir = common::reference_dir()?.join("mnist");
    let yaml = std::fs::read_to_string(dir.join("mnist-chw-ai85.yaml")).unwrap();
    Some((
        yaml,
        dir.join("ai85-mnist-qat8-q.pth.tar"),
        dir.join("sample_mnist.npy"),
    ))
}

#[test]
fn checkpoint_layer_count_mismatch() {
    let Some((yaml, ckpt, _)) = mnist() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let extra = "  - processors: 0x000000000000ffff\n    out_offset: 0\n    op: conv2d\n    kernel_size: 1x1\n    pad: 0\n";
    let y = write(dir.path(), "net.yaml", format!("{yaml}{extra}").as_bytes());
    fails_with(
        &["-n", y.to_str().unwrap(), "-c", ckpt.to_str().unwrap()],
        &["net.yaml", "does not match the checkpoint", "(6)", "(5)"],
    );
}

#[test]
fn checkpoint_shape_mismatch() {
    let Some((yaml, ckpt, _)) = mnist() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let changed = yaml.replacen("    pad: 2\n", "    pad: 0\n    kernel_size: 1x1\n", 1);
    let y = write(dir.path(), "net.yaml", changed.as_bytes());
    fails_with(
        &["-n", y.to_str().unwrap(), "-c", ckpt.to_str().unwrap()],
        &[
            "ai85-mnist-qat8-q.pth.tar",
            "layer 1",
            "`kernel_size`",
            "3x3",
        ],
    );
}

#[test]
fn truncated_pth_tar() {
    let Some((yaml, ckpt, _)) = mnist() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let y = write(dir.path(), "net.yaml", yaml.as_bytes());
    let bytes = std::fs::read(&ckpt).unwrap();
    let cut = write(dir.path(), "cut.pth.tar", &bytes[..bytes.len() / 2]);
    fails_with(
        &["-n", y.to_str().unwrap(), "-c", cut.to_str().unwrap()],
        &["cut.pth.tar"],
    );
}

#[test]
fn truncated_safetensors() {
    use qtool::checkpoint::native::{NativeCheckpoint, NativeMeta};
    let dir = tempfile::tempdir().unwrap();
    let y = write(dir.path(), "net.yaml", NET.as_bytes());
    let st = dir.path().join("model.safetensors");
    let w = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[8, 1, 3, 3]));
    NativeCheckpoint {
        meta: NativeMeta::new("ai85net5", Some(1), vec![]),
        tensors: vec![("conv1.op.weight".into(), w)],
    }
    .write(&st)
    .unwrap();
    let bytes = std::fs::read(&st).unwrap();
    std::fs::write(&st, &bytes[..bytes.len() - 20]).unwrap();
    fails_with(
        &["-n", y.to_str().unwrap(), "-c", st.to_str().unwrap()],
        &["model.safetensors"],
    );
}

fn npy(dir: &Path, name: &str, descr: &str, shape: &str, payload: &[u8]) -> PathBuf {
    let p = dir.join(name);
    common::write_npy(&p, descr, shape, payload);
    p
}

#[test]
fn sample_with_wrong_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let y = write(dir.path(), "net.yaml", NET.as_bytes());
    let s = npy(dir.path(), "sample.npy", "<f8", "(1, 2, 2)", &[0u8; 32]);
    fails_with(
        &[
            "-n",
            y.to_str().unwrap(),
            "--sample-input",
            s.to_str().unwrap(),
        ],
        &["sample.npy", "float64"],
    );
}

#[test]
fn sample_with_wrong_rank() {
    let dir = tempfile::tempdir().unwrap();
    let y = write(dir.path(), "net.yaml", NET.as_bytes());
    let s = npy(dir.path(), "sample.npy", "<i8", "(4,)", &[0u8; 32]);
    fails_with(
        &[
            "-n",
            y.to_str().unwrap(),
            "--sample-input",
            s.to_str().unwrap(),
        ],
        &["sample.npy", "rank"],
    );
}
