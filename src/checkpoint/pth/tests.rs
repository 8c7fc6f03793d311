//! Reader tests on synthetic checkpoints: a tiny pickle writer plus a stored ZIP.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;
use crate::checkpoint::DType;

/// Emits the protocol-2 opcodes `torch.save` uses.
struct Pk(Vec<u8>);

impl Pk {
    fn new() -> Self {
        Pk(vec![0x80, 0x02])
    }
    fn op(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
    fn s(&mut self, text: &str) -> &mut Self {
        self.op(b"X")
            .op(&(text.len() as u32).to_le_bytes())
            .op(text.as_bytes())
    }
    fn int(&mut self, v: i32) -> &mut Self {
        self.op(b"J").op(&v.to_le_bytes())
    }
    fn global(&mut self, module: &str, name: &str) -> &mut Self {
        self.op(b"c")
            .op(module.as_bytes())
            .op(b"\n")
            .op(name.as_bytes())
            .op(b"\n")
    }
    fn ints(&mut self, values: &[i32]) -> &mut Self {
        self.op(b"(");
        for &v in values {
            self.int(v);
        }
        self.op(b"t")
    }
    fn ordered_dict(&mut self) -> &mut Self {
        self.global("collections", "OrderedDict").op(b")R")
    }
    /// `_rebuild_tensor_v2(storage(key), offset, size, stride, False, OrderedDict())`.
    fn tensor(
        &mut self,
        ty: &str,
        key: &str,
        offset: i32,
        size: &[i32],
        stride: &[i32],
    ) -> &mut Self {
        self.global("torch._utils", "_rebuild_tensor_v2").op(b"((");
        self.s("storage")
            .global("torch", ty)
            .s(key)
            .s("cpu")
            .int(99)
            .op(b"tQ");
        self.int(offset)
            .ints(size)
            .ints(stride)
            .op(b"\x89")
            .ordered_dict()
            .op(b"tR")
    }
    fn stop(&mut self) -> Vec<u8> {
        self.op(b".");
        std::mem::take(&mut self.0)
    }
}

/// Top-level `{'epoch': 7, 'arch': 'toy', 'state_dict': OrderedDict(<body>), 'opt': Adam}`.
fn checkpoint_pickle(body: impl FnOnce(&mut Pk)) -> Vec<u8> {
    let mut p = Pk::new();
    p.op(b"}(")
        .s("epoch")
        .int(7)
        .s("arch")
        .s("toy")
        .s("state_dict")
        .ordered_dict()
        .op(b"(");
    body(&mut p);
    p.op(b"u")
        .s("opt")
        .global("torch.optim.adam", "Adam")
        .op(b"u");
    p.stop()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn f32s(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn names(ckpt: &TorchCheckpoint) -> Vec<&str> {
    ckpt.state_dict.iter().map(|(k, _)| k.as_str()).collect()
}

#[test]
fn order_views_wrappers_and_non_tensors() {
    let pickle = checkpoint_pickle(|p| {
        // 3x2 transpose of the 2x3 matrix at storage 0 offset 1.
        p.s("z.weight")
            .tensor("FloatStorage", "0", 1, &[3, 2], &[1, 3]);
        p.s("n").int(5); // not a tensor: skipped
        p.s("a.bias").tensor("FloatStorage", "0", 0, &[2], &[1]);
        p.s("p.weight").global("torch._utils", "_rebuild_parameter");
        p.op(b"(")
            .tensor("LongStorage", "1", 0, &[1], &[1])
            .op(b"\x89")
            .ordered_dict()
            .op(b"tR");
    });
    let storage0 = f32s(&[9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let storage1 = (-3i64).to_le_bytes();
    let bytes = zip_of(&[
        ("toy/data.pkl", &pickle),
        ("toy/version", b"3\n"),
        ("toy/data/0", &storage0),
        ("toy/data/1", &storage1),
    ]);
    let ckpt = read_bytes("toy.pth.tar", &bytes).unwrap();
    assert_eq!(ckpt.epoch, Some(7));
    assert_eq!(ckpt.arch.as_deref(), Some("toy"));
    assert_eq!(ckpt.top_level_keys, ["epoch", "arch", "state_dict", "opt"]);
    assert_eq!(names(&ckpt), ["z.weight", "a.bias", "p.weight"]);
    let z = &ckpt.state_dict[0].1;
    assert_eq!(
        (z.shape.as_slice(), z.dtype),
        ([3, 2].as_slice(), DType::F32)
    );
    assert_eq!(z.values, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(ckpt.state_dict[1].1.values, [9.0, 1.0]);
    let p = &ckpt.state_dict[2].1;
    assert_eq!(
        (p.dtype, p.values.as_slice()),
        (DType::I64, [-3.0].as_slice())
    );
}

#[test]
fn bare_state_dict_is_used() {
    let mut p = Pk::new();
    p.ordered_dict()
        .op(b"(")
        .s("b")
        .tensor("FloatStorage", "0", 0, &[1], &[1]);
    p.s("a").tensor("FloatStorage", "0", 0, &[1], &[1]).op(b"u");
    let pickle = p.stop();
    let bytes = zip_of(&[
        ("archive/data.pkl", &pickle),
        ("archive/data/0", &f32s(&[2.5])),
    ]);
    let ckpt = read_bytes("bare.pt", &bytes).unwrap();
    assert_eq!(names(&ckpt), ["b", "a"]);
    assert_eq!((ckpt.epoch, ckpt.arch), (None, None));
}

fn error_of(pickle: &[u8], storages: &[(&str, &[u8])]) -> String {
    let mut entries = vec![("archive/data.pkl", pickle)];
    entries.extend_from_slice(storages);
    match read_bytes("bad.pth.tar", &zip_of(&entries)) {
        Ok(c) => panic!("expected an error, read {:?}", names(&c)),
        Err(e) => e.to_string(),
    }
}

#[test]
fn missing_and_short_storages_are_named() {
    let pickle = checkpoint_pickle(|p| {
        p.s("w").tensor("FloatStorage", "0", 0, &[4], &[1]);
    });
    assert_eq!(
        error_of(&pickle, &[]),
        "bad.pth.tar: storage 'archive/data/0' is missing"
    );
    let short = f32s(&[1.0, 2.0]);
    assert_eq!(
        error_of(&pickle, &[("archive/data/0", &short)]),
        "bad.pth.tar: storage 'archive/data/0' holds 8 bytes, tensor needs 16"
    );
}

#[test]
fn bad_tensors_and_layouts_are_errors() {
    let complex = checkpoint_pickle(|p| {
        p.s("c").tensor("ComplexFloatStorage", "0", 0, &[1], &[1]);
    });
    let msg = error_of(&complex, &[("archive/data/0", &[0; 8])]);
    assert!(msg.starts_with("bad.pth.tar: tensor 'c': storage type torch.ComplexFloatStorage"));

    let list = Pk::new().op(b"]").stop();
    let msg = error_of(&list, &[]);
    assert_eq!(
        msg,
        "bad.pth.tar: top-level object is a list, expected a dict"
    );

    let newline_key = checkpoint_pickle(|p| {
        p.s("x\ny").tensor("FloatStorage", "0\n", 0, &[1], &[1]);
    });
    let msg = error_of(&newline_key, &[]);
    assert!(!msg.contains('\n'), "{msg}");
}

#[test]
fn zero_stride_expansion_is_refused_before_allocating() {
    let pickle = checkpoint_pickle(|p| {
        p.s("huge")
            .tensor("FloatStorage", "0", 0, &[1 << 30, 1 << 30], &[0, 0]);
    });
    let msg = error_of(&pickle, &[("archive/data/0", &f32s(&[1.0]))]);
    assert!(msg.contains("more than the"), "{msg}");
}

#[test]
fn compressed_entries_are_refused() {
    let pickle = checkpoint_pickle(|_| {});
    let mut bytes = zip_of(&[("archive/data.pkl", &pickle)]);
    // Rewrite the method field (stored = 0) as deflate (8) in the local and central headers.
    for (sig, at) in [(b"PK\x03\x04", 8), (b"PK\x01\x02", 10)] {
        let pos = bytes.windows(4).position(|w| w == sig).unwrap() + at;
        bytes[pos] = 8;
    }
    let msg = read_bytes("z.pth.tar", &bytes).unwrap_err().to_string();
    assert!(
        msg.starts_with("z.pth.tar: ZIP entry 'archive/data.pkl' is compressed"),
        "{msg}"
    );
}

#[test]
fn missing_data_pkl_is_reported() {
    let bytes = zip_of(&[("archive/version", b"3\n")]);
    let msg = read_bytes("v.pth.tar", &bytes).unwrap_err().to_string();
    assert_eq!(
        msg,
        "v.pth.tar: the ZIP archive has no '<prefix>/data.pkl' entry"
    );
}

#[test]
fn unsupported_opcode_names_file_and_offset() {
    let bytes = zip_of(&[("archive/data.pkl", b"\x80\x02I1\n.")]);
    let msg = read_bytes("op.pth.tar", &bytes).unwrap_err().to_string();
    assert_eq!(
        msg,
        "op.pth.tar: pickle opcode 0x49 at byte 2 is not supported"
    );
}
