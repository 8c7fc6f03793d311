//! The ordered `.pth.tar` reader on the shipped ai8x reference checkpoints, cross-checked
//! against burn's `pytorch-reader`, plus error behaviour on damaged files.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pytorch_reader::{DType as BurnDType, PytorchReader};
use qtool::checkpoint::pth;
use qtool::checkpoint::{DType, RawTensor, TorchCheckpoint};

const EXPECTED_CHECKPOINTS: usize = 15;

fn reference_dir() -> Option<PathBuf> {
    common::reference_dir()
}

fn checkpoints(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for sub in std::fs::read_dir(dir).expect("list reference dir") {
        let sub = sub.expect("dir entry").path();
        if !sub.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&sub).expect("list model dir") {
            let f = f.expect("dir entry").path();
            if f.to_string_lossy().ends_with(".pth.tar") {
                found.push(f);
            }
        }
    }
    found.sort();
    found
}

fn read_ok(path: &Path) -> TorchCheckpoint {
    pth::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn same_dtype(ours: DType, theirs: BurnDType) -> bool {
    matches!(
        (ours, theirs),
        (DType::F16, BurnDType::F16)
            | (DType::BF16, BurnDType::BF16)
            | (DType::F32, BurnDType::F32)
            | (DType::F64, BurnDType::F64)
            | (DType::I8, BurnDType::I8)
            | (DType::I16, BurnDType::I16)
            | (DType::I32, BurnDType::I32)
            | (DType::I64, BurnDType::I64)
            | (DType::U8, BurnDType::U8)
            | (DType::Bool, BurnDType::Bool)
    )
}

/// burn's native-endian bytes widened to f64 (f16/bf16 through their bit patterns).
fn burn_values(dtype: BurnDType, bytes: &[u8]) -> Vec<f64> {
    fn chunks<const N: usize>(bytes: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
        bytes.chunks_exact(N).map(|c| c.try_into().unwrap())
    }
    fn half(bits: u16) -> f64 {
        // Independent of the reader's own conversion: via f32 bit manipulation.
        let sign = u32::from(bits >> 15) << 31;
        let exp = u32::from((bits >> 10) & 0x1f);
        let frac = u32::from(bits & 0x3ff);
        let f = match exp {
            0 => return (if sign != 0 { -1.0 } else { 1.0 }) * f64::from(frac) / 16_777_216.0,
            31 => sign | 0x7f80_0000 | (frac << 13),
            _ => sign | ((exp + 112) << 23) | (frac << 13),
        };
        f64::from(f32::from_bits(f))
    }
    match dtype {
        BurnDType::F64 => chunks::<8>(bytes).map(f64::from_ne_bytes).collect(),
        BurnDType::F32 => chunks::<4>(bytes)
            .map(|c| f64::from(f32::from_ne_bytes(c)))
            .collect(),
        BurnDType::F16 => chunks::<2>(bytes)
            .map(|c| half(u16::from_ne_bytes(c)))
            .collect(),
        BurnDType::BF16 => chunks::<2>(bytes)
            .map(|c| f64::from(f32::from_bits(u32::from(u16::from_ne_bytes(c)) << 16)))
            .collect(),
        BurnDType::I64 => chunks::<8>(bytes)
            .map(|c| i64::from_ne_bytes(c) as f64)
            .collect(),
        BurnDType::I32 => chunks::<4>(bytes)
            .map(|c| f64::from(i32::from_ne_bytes(c)))
            .collect(),
        BurnDType::I16 => chunks::<2>(bytes)
            .map(|c| f64::from(i16::from_ne_bytes(c)))
            .collect(),
        BurnDType::I8 => bytes.iter().map(|&b| f64::from(b as i8)).collect(),
        BurnDType::U8 | BurnDType::Bool => bytes.iter().map(|&b| f64::from(b)).collect(),
        other => panic!("unexpected burn dtype {other:?}"),
    }
}

fn same_values(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || x == y)
}

#[test]
fn all_reference_checkpoints_match_burn_reader() {
    let Some(dir) = reference_dir() else { return };
    let files = checkpoints(&dir);
    assert_eq!(
        files.len(),
        EXPECTED_CHECKPOINTS,
        "reference checkpoints: {files:?}"
    );
    for path in &files {
        let ours = read_ok(path);
        let burn = PytorchReader::with_top_level_key(path, "state_dict")
            .unwrap_or_else(|e| panic!("burn reading {}: {e}", path.display()));
        let theirs = burn.tensors();

        let our_keys: BTreeSet<&str> = ours.state_dict.iter().map(|(k, _)| k.as_str()).collect();
        let their_keys: BTreeSet<&str> = theirs.keys().map(String::as_str).collect();
        assert_eq!(our_keys, their_keys, "{}: key sets differ", path.display());
        assert_eq!(
            our_keys.len(),
            ours.state_dict.len(),
            "{}: duplicate keys",
            path.display()
        );
        assert!(
            !ours.state_dict.is_empty(),
            "{}: empty state_dict",
            path.display()
        );
        assert!(ours.epoch.is_some(), "{}: no epoch", path.display());
        assert!(ours.top_level_keys.iter().any(|k| k == "state_dict"));

        for (name, tensor) in &ours.state_dict {
            let other = &theirs[name];
            let at = format!("{}: {name}", path.display());
            assert_eq!(tensor.shape, other.shape(), "{at}: shape");
            assert!(
                same_dtype(tensor.dtype, other.dtype()),
                "{at}: dtype {:?}",
                tensor.dtype
            );
            assert_eq!(
                tensor.numel(),
                tensor.shape.iter().product::<usize>(),
                "{at}: numel"
            );
            let bytes = other
                .read()
                .unwrap_or_else(|e| panic!("{at}: burn read: {e}"));
            let expected = burn_values(other.dtype(), &bytes);
            assert!(
                same_values(&tensor.values, &expected),
                "{at}: values differ"
            );
        }
    }
}

fn reference(rel: &str) -> Option<PathBuf> {
    reference_dir().map(|d| d.join(rel))
}

fn tensor<'a>(ckpt: &'a TorchCheckpoint, name: &str) -> &'a RawTensor {
    ckpt.state_dict
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("no tensor {name}"))
}

#[test]
fn mnist_facts() {
    let Some(path) = reference("mnist/ai85-mnist-qat8-q.pth.tar") else {
        return;
    };
    let ckpt = read_ok(&path);
    assert_eq!(ckpt.epoch, Some(194));
    assert_eq!(ckpt.arch.as_deref(), Some("ai85net5"));
    assert_eq!(ckpt.state_dict[0].0, "conv1.output_shift");
    let weights: Vec<&str> = ckpt
        .state_dict
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| k.ends_with(".weight"))
        .collect();
    assert_eq!(
        weights,
        [
            "conv1.op.weight",
            "conv2.op.weight",
            "conv3.op.weight",
            "conv4.op.weight",
            "fc.op.weight"
        ]
    );
    let bias = tensor(&ckpt, "fc.op.bias");
    assert!(
        bias.values.contains(&2936.0),
        "fc.op.bias: {:?}",
        bias.values
    );
    assert_eq!(bias.dtype, DType::F32);
    assert_eq!(
        ckpt.top_level_keys.first().map(String::as_str),
        Some("epoch")
    );
}

#[test]
fn kws20_v3_unprefixed_biases_come_last() {
    let Some(path) = reference("kws20_v3/ai85-kws20_v3-qat8-q.pth.tar") else {
        return;
    };
    let ckpt = read_ok(&path);
    let keys: Vec<&str> = ckpt.state_dict.iter().map(|(k, _)| k.as_str()).collect();
    let bias = keys
        .iter()
        .position(|&k| k == "voice_conv1.op.bias")
        .expect("voice_conv1 bias");
    let last_module = keys
        .iter()
        .rposition(|k| k.starts_with("module."))
        .expect("module. keys");
    assert!(
        bias > last_module,
        "voice_conv1.op.bias at {bias}, last module. key at {last_module}"
    );
    assert!(keys[bias..].iter().all(|k| !k.starts_with("module.")));
    assert!(keys.contains(&"module.voice_conv1.op.weight"));
}

fn assert_error_names_file(result: Result<TorchCheckpoint, pth::PthError>, file_name: &str) {
    let err = match result {
        Ok(_) => panic!("{file_name}: expected an error"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(file_name),
        "message does not name the file: {err}"
    );
    assert!(!err.contains('\n'), "message is not one line: {err}");
}

#[test]
fn truncated_checkpoint_is_an_error() {
    let Some(path) = reference("mnist/ai85-mnist-qat8-q.pth.tar") else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read mnist");
    let dir = tempfile::tempdir().expect("tempdir");
    for cut in [bytes.len() / 2, bytes.len() - 30, 100] {
        let file = dir.path().join(format!("cut-{cut}.pth.tar"));
        std::fs::write(&file, &bytes[..cut]).expect("write");
        assert_error_names_file(pth::read(&file), &format!("cut-{cut}.pth.tar"));
    }
}

#[test]
fn truncated_legacy_checkpoint_is_an_error() {
    let Some(path) = reference("fashionmnist-testckpt/test-fashionmnist.pth.tar") else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read fashionmnist");
    let dir = tempfile::tempdir().expect("tempdir");
    for cut in [bytes.len() - 1, bytes.len() / 2, 1000, 20] {
        let file = dir.path().join(format!("legacy-{cut}.pth.tar"));
        std::fs::write(&file, &bytes[..cut]).expect("write");
        assert_error_names_file(pth::read(&file), &format!("legacy-{cut}.pth.tar"));
    }
}

#[test]
fn non_zip_empty_and_missing_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("notes.pth.tar");
    std::fs::write(&text, "this is not a checkpoint\n").expect("write");
    assert_error_names_file(pth::read(&text), "notes.pth.tar");

    let empty = dir.path().join("empty.pth.tar");
    std::fs::write(&empty, b"").expect("write");
    assert_error_names_file(pth::read(&empty), "empty.pth.tar");

    assert_error_names_file(
        pth::read(&dir.path().join("absent.pth.tar")),
        "absent.pth.tar",
    );
}

#[test]
fn every_prefix_of_a_small_checkpoint_fails_cleanly() {
    let Some(path) = reference("mnist-extrasmall/ai85-mnist-extrasmall-qat8-q.pth.tar") else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read");
    for cut in (0..bytes.len()).step_by(97) {
        assert!(
            pth::read_bytes("cut", &bytes[..cut]).is_err(),
            "prefix of {cut} bytes read"
        );
    }
}

/// Entries of a stored ZIP, in order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).expect("entry");
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("read entry");
            (entry.name().expect("entry name").into_owned(), data)
        })
        .collect()
}

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        w.start_file(name.as_str(), opts).expect("start entry");
        w.write_all(data).expect("write entry");
    }
    w.finish().expect("finish zip").into_inner()
}

#[test]
fn damaged_pickles_never_panic() {
    let Some(path) = reference("mnist-extrasmall/ai85-mnist-extrasmall-qat8-q.pth.tar") else {
        return;
    };
    let entries = unzip(&std::fs::read(&path).expect("read"));
    let at = entries
        .iter()
        .position(|(n, _)| n.ends_with("data.pkl"))
        .expect("data.pkl");
    // Unchanged round trip reads back the same checkpoint.
    let original = read_ok(&path);
    assert_eq!(
        pth::read_bytes("rezipped", &rezip(&entries)).expect("rezipped"),
        original
    );

    let pickle_len = entries[at].1.len();
    let mut failures = 0;
    for pos in (0..pickle_len).step_by(5) {
        for flip in [0x01u8, 0xff] {
            let mut damaged = entries.clone();
            damaged[at].1[pos] ^= flip;
            failures += usize::from(pth::read_bytes("damaged", &rezip(&damaged)).is_err());
        }
        // Truncated pickle.
        let mut cut = entries.clone();
        cut[at].1.truncate(pos);
        assert!(
            pth::read_bytes("cut", &rezip(&cut)).is_err(),
            "pickle cut at {pos} read"
        );
    }
    assert!(failures > 0, "no damaged pickle was rejected");
}

#[test]
fn damaged_legacy_stream_never_panics() {
    let Some(path) = reference("fashionmnist-testckpt/test-fashionmnist.pth.tar") else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read");
    // The five pickles and the first storage headers lie in the first ~2.4 KB.
    for pos in (0..2400).step_by(3) {
        let mut damaged = bytes.clone();
        damaged[pos] ^= 0x5a;
        let _ = pth::read_bytes("damaged", &damaged);
    }
}
