//! `.npy` reading and writing: real ai8x sample and izer log files, and generated files for
//! every dtype, byte order, memory order and failure mode.

mod common;

use ndarray::{ArrayD, IxDyn};
use qtool::io::npy::{self, NpyRecord};
use std::path::{Path, PathBuf};

fn shared() -> Option<PathBuf> {
    common::reference_dir()
}

/// A version 1.0 `.npy` file built by hand (independent of the writer under test).
fn npy_bytes(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let f = if fortran { "True" } else { "False" };
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': {f}, 'shape': {shape}, }}");
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((h.len() as u16).to_le_bytes());
    out.extend(h.as_bytes());
    out.extend(data);
    out
}

/// Encodes integers with `width` bytes (two's complement), little- or big-endian.
fn int_data(values: &[i64], width: usize, big: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        let mut b = v.to_le_bytes()[..width].to_vec();
        if big {
            b.reverse();
        }
        out.extend(b);
    }
    out
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn one_line_naming(msg: &str, name: &str) {
    assert!(msg.contains(name), "error does not name {name}: {msg}");
    assert!(!msg.contains('\n'), "multi-line error: {msg}");
}

#[test]
fn real_sample_files() {
    let Some(root) = shared() else { return };
    let mut n = 0;
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(dir).unwrap() {
            let p = f.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("sample_") && name.ends_with(".npy") {
                let a = npy::read_i64(&p).unwrap_or_else(|e| panic!("{e}"));
                assert!(!a.is_empty() && a.iter().any(|&v| v != 0), "{name}");
                n += 1;
            }
        }
    }
    assert!(n >= 10, "only {n} sample files found");
    let mnist = root.join("mnist/sample_mnist.npy");
    let a = npy::read_i64_with_rank(&mnist, &[3]).unwrap();
    assert_eq!(a.shape(), &[1, 28, 28]);
    assert!(a.iter().all(|&v| (-128..=127).contains(&v)));
    assert_eq!(npy::read_f32(&mnist).unwrap(), a.mapv(|v| v as f32));
    let kws = npy::read_i64(&root.join("kws20_v3/sample_kws_20.npy")).unwrap();
    assert_eq!(kws.shape(), &[128, 128]);
    let msg = npy::read_i64_with_rank(&mnist, &[2, 4])
        .unwrap_err()
        .to_string();
    one_line_naming(&msg, "sample_mnist.npy");
    assert!(msg.contains("(1, 28, 28)") && msg.contains("rank 3") && msg.contains("2 or 4"));
}

#[test]
fn real_intermediate_logs_have_all_records() {
    let Some(root) = shared() else { return };
    let dir = root.join("mnist/intermediate");
    let data = npy::read_all_records(&dir.join("data.npy")).unwrap();
    assert_eq!(data.len(), 25);
    assert_eq!(data[0].shape(), &[1, 1, 28, 28]);
    assert!(matches!(&data[1], NpyRecord::F64(a) if a.shape() == [0]));
    assert_eq!(data[3].shape(), &[60, 28, 28]);
    assert!(
        data.iter()
            .all(|r| matches!(r, NpyRecord::I64(_) | NpyRecord::F64(_)))
    );
    // The sample is the first layer's input.
    let sample = npy::read_i64(&root.join("mnist/sample_mnist.npy")).unwrap();
    let NpyRecord::I64(first) = &data[0] else {
        panic!("record 0 is not int64")
    };
    assert_eq!(first.as_slice().unwrap(), sample.as_slice().unwrap());
    // Plain reading returns the first record, like np.load.
    assert_eq!(&npy::read_i64(&dir.join("data.npy")).unwrap(), first);

    let weights = npy::read_all_records(&dir.join("weights.npy")).unwrap();
    let shapes: Vec<_> = weights.iter().map(|r| r.shape().to_vec()).collect();
    let want = [
        [60, 1, 3, 3],
        [60, 60, 3, 3],
        [56, 60, 3, 3],
        [12, 56, 3, 3],
        [10, 12, 1, 16],
    ];
    assert_eq!(shapes, want.map(|s| s.to_vec()));
    let bias = npy::read_all_records(&dir.join("bias.npy")).unwrap();
    assert_eq!(bias.len(), 5);
    assert!(matches!(&bias[4], NpyRecord::I64(a) if a.shape() == [10]));
}

#[test]
fn every_integer_dtype_and_byte_order() {
    let dir = tempfile::tempdir().unwrap();
    let signed = [-128, -1, 0, 1, 100, 127];
    let unsigned = [0, 1, 7, 100, 200, 255];
    for (kind, values) in [('i', signed), ('u', unsigned)] {
        for width in [1, 2, 4, 8] {
            for (end, big) in [('<', false), ('>', true), ('|', false)] {
                if (end == '|') != (width == 1) {
                    continue;
                }
                let descr = format!("{end}{kind}{width}");
                let bytes = npy_bytes(&descr, false, "(2, 3)", &int_data(&values, width, big));
                let p = put(dir.path(), "x.npy", &bytes);
                let a = npy::read_i64(&p).unwrap_or_else(|e| panic!("{descr}: {e}"));
                assert_eq!(a.shape(), &[2, 3], "{descr}");
                assert_eq!(a.iter().copied().collect::<Vec<_>>(), values, "{descr}");
                let f = npy::read_f32(&p).unwrap();
                assert_eq!(f, a.mapv(|v| v as f32), "{descr}");
            }
        }
    }
    // Wide values survive exactly in int64 and big uint64 values that fit.
    let wide = [i64::MIN, i64::MAX, -5];
    let p = put(
        dir.path(),
        "w.npy",
        &npy_bytes(">i8", false, "(3,)", &int_data(&wide, 8, true)),
    );
    assert_eq!(npy::read_i64(&p).unwrap().into_raw_vec_and_offset().0, wide);
    let p = put(
        dir.path(),
        "u.npy",
        &npy_bytes("<u8", false, "(1,)", &int_data(&[i64::MAX], 8, false)),
    );
    assert_eq!(npy::read_i64(&p).unwrap()[[0]], i64::MAX);
    let p = put(
        dir.path(),
        "big.npy",
        &npy_bytes("<u8", false, "(2,)", &[0xff; 16]),
    );
    let msg = npy::read_i64(&p).unwrap_err().to_string();
    one_line_naming(&msg, "big.npy");
    assert!(msg.contains("18446744073709551615 does not fit"), "{msg}");
}

#[test]
fn fortran_order_is_transposed_to_logical_order() {
    let dir = tempfile::tempdir().unwrap();
    // Logical a[i][j][k] = 100*i + 10*j + k, stored first-index-fastest.
    let mut stored = Vec::new();
    for k in 0..4 {
        for j in 0..3 {
            for i in 0..2 {
                stored.push(100 * i + 10 * j + k);
            }
        }
    }
    let p = put(
        dir.path(),
        "f.npy",
        &npy_bytes("<i4", true, "(2, 3, 4)", &int_data(&stored, 4, false)),
    );
    let a = npy::read_i64(&p).unwrap();
    assert_eq!(a.shape(), &[2, 3, 4]);
    assert!(a.is_standard_layout());
    for ((i, j, k), v) in ndarray::indices((2, 3, 4)).into_iter().zip(a.iter()) {
        assert_eq!(*v, (100 * i + 10 * j + k) as i64);
    }
    let floats: Vec<u8> = stored
        .iter()
        .flat_map(|&v| (v as f64).to_be_bytes())
        .collect();
    let p = put(
        dir.path(),
        "ff.npy",
        &npy_bytes(">f8", true, "(2, 3, 4)", &floats),
    );
    assert_eq!(npy::read_f32(&p).unwrap(), a.mapv(|v| v as f32));
}

#[test]
fn floats_read_as_f32_and_dtype_errors() {
    let dir = tempfile::tempdir().unwrap();
    let special = [f32::from_bits(0x7fc0_0001), -0.0, f32::from_bits(1), 2.5];
    let data: Vec<u8> = special.iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = put(
        dir.path(),
        "f4.npy",
        &npy_bytes("<f4", false, "(4,)", &data),
    );
    let f = npy::read_f32(&p).unwrap();
    let bits: Vec<u32> = f.iter().map(|v| v.to_bits()).collect();
    assert_eq!(bits, special.map(f32::to_bits));

    let f8 = put(
        dir.path(),
        "f8.npy",
        &npy_bytes("<f8", false, "(1,)", &1.5f64.to_le_bytes()),
    );
    assert_eq!(npy::read_f32(&f8).unwrap()[[0]], 1.5);
    let msg = npy::read_i64(&f8).unwrap_err().to_string();
    one_line_naming(&msg, "f8.npy");
    assert!(
        msg.ends_with("dtype float64 is not an integer type (expected int64 data)"),
        "{msg}"
    );
    let b1 = put(
        dir.path(),
        "b.npy",
        &npy_bytes("|b1", false, "(2,)", &[0, 1]),
    );
    assert!(
        npy::read_i64(&b1)
            .unwrap_err()
            .to_string()
            .contains("dtype bool is not an integer")
    );
    assert!(
        npy::read_f32(&b1)
            .unwrap_err()
            .to_string()
            .contains("dtype bool is not a numeric")
    );
    let s = put(
        dir.path(),
        "s.npy",
        &npy_bytes("<U2", false, "(1,)", &[0; 8]),
    );
    let msg = npy::read_f32(&s).unwrap_err().to_string();
    one_line_naming(&msg, "s.npy");
    assert!(
        msg.contains("<U2") && msg.contains("not supported"),
        "{msg}"
    );
    let c = put(
        dir.path(),
        "c.npy",
        &npy_bytes("<c8", false, "(1,)", &[0; 8]),
    );
    assert!(
        npy::read_i64(&c)
            .unwrap_err()
            .to_string()
            .contains("complex64")
    );
}

#[test]
fn truncated_garbage_and_hostile_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let full = npy_bytes("<i8", false, "(3, 4)", &int_data(&[7; 12], 8, false));
    for cut in 0..full.len() {
        let p = put(dir.path(), "cut.npy", &full[..cut]);
        let msg = npy::read_i64(&p).unwrap_err().to_string();
        one_line_naming(&msg, "cut.npy");
    }
    let p = put(dir.path(), "cut.npy", &full[..full.len() - 3]);
    let msg = npy::read_i64(&p).unwrap_err().to_string();
    assert!(msg.contains("truncated") && msg.contains("(3, 4)"), "{msg}");

    let p = put(
        dir.path(),
        "text.npy",
        b"this is just some text, not numpy data\n",
    );
    let msg = npy::read_i64(&p).unwrap_err().to_string();
    one_line_naming(&msg, "text.npy");
    assert!(msg.contains("not a valid .npy file"), "{msg}");
    let msg = npy::read_i64(&dir.path().join("absent.npy"))
        .unwrap_err()
        .to_string();
    one_line_naming(&msg, "absent.npy");

    // Shapes whose element count overflows or far exceeds the file: no panic, no huge allocation.
    for shape in [
        "(4294967296, 4294967296, 16)",
        "(1000000000000,)",
        "(0, 18446744073709551615, 3)",
    ] {
        let p = put(
            dir.path(),
            "huge.npy",
            &npy_bytes("<i8", false, shape, &[0; 16]),
        );
        one_line_naming(&npy::read_i64(&p).unwrap_err().to_string(), "huge.npy");
    }
    let deep = format!("{}1,{}", "(".repeat(5000), ")".repeat(5000));
    let p = put(dir.path(), "deep.npy", &npy_bytes("<i8", false, &deep, &[]));
    one_line_naming(&npy::read_i64(&p).unwrap_err().to_string(), "deep.npy");
    // A version-2 header claiming 4 GiB.
    let mut v2 = b"\x93NUMPY\x02\x00\xff\xff\xff\xff{}".to_vec();
    v2.extend([b' '; 50]);
    let p = put(dir.path(), "v2.npy", &v2);
    let msg = npy::read_i64(&p).unwrap_err().to_string();
    assert!(msg.contains("truncated"), "{msg}");
}

#[test]
fn multi_record_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = npy_bytes("<i8", false, "(2,)", &int_data(&[1, 2], 8, false));
    bytes.extend(npy_bytes("<f8", false, "(0,)", &[]));
    bytes.extend(npy_bytes(
        ">i2",
        true,
        "(2, 2)",
        &int_data(&[1, 3, 2, 4], 2, true),
    ));
    let p = put(dir.path(), "log.npy", &bytes);
    let r = npy::read_all_records(&p).unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r[1], NpyRecord::F64(ArrayD::zeros(IxDyn(&[0]))));
    let want = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1, 2, 3, 4]).unwrap();
    assert_eq!(r[2], NpyRecord::I64(want));

    bytes.extend(b"junk");
    let p = put(dir.path(), "log.npy", &bytes);
    let msg = npy::read_all_records(&p).unwrap_err().to_string();
    one_line_naming(&msg, "log.npy record 3");
    let p = put(dir.path(), "empty.npy", b"");
    one_line_naming(
        &npy::read_all_records(&p).unwrap_err().to_string(),
        "empty.npy",
    );
}

#[test]
fn write_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("o.npy");
    let a =
        ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![i64::MIN, -1, 0, 1, 255, i64::MAX]).unwrap();
    for arr in [
        a.clone(),
        a.clone().reversed_axes(),
        ArrayD::from_elem(IxDyn(&[]), 5),
        ArrayD::zeros(IxDyn(&[0, 3])),
    ] {
        npy::write_i64(&p, &arr).unwrap();
        assert_eq!(npy::read_i64(&p).unwrap(), arr);
        assert_eq!(npy::read_all_records(&p).unwrap().len(), 1);
    }
    // A header numpy reads: version 1.0, `<i8`, C order, 64-byte aligned.
    npy::write_i64(&p, &a).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = String::from_utf8_lossy(&bytes[10..10 + hlen]);
    assert!(bytes.starts_with(b"\x93NUMPY\x01\x00") && (10 + hlen).is_multiple_of(64));
    assert!(
        header.contains("'<i8'") && header.contains("False") && header.contains("(2, 3"),
        "{header}"
    );

    let f = ArrayD::from_shape_vec(IxDyn(&[3]), vec![f32::from_bits(0x7f80_0001), -0.0, 1e-40])
        .unwrap();
    npy::write_f32(&p, &f).unwrap();
    let back = npy::read_f32(&p).unwrap();
    assert_eq!(back.mapv(f32::to_bits), f.mapv(f32::to_bits));
    let msg = npy::write_f32(&dir.path().join("no/dir/x.npy"), &f)
        .unwrap_err()
        .to_string();
    one_line_naming(&msg, "x.npy");
}
