//! IDX reading and MNIST loading: the bundled split, and every error on generated files.

mod common;

use common::data::{message, put};
use flate2::Compression;
use flate2::write::GzEncoder;
use qtool::data::idx::{IMAGES_MAGIC, LABELS_MAGIC, read_images, read_labels};
use qtool::data::{DataError, ImageSet, Split, bundled_mnist_dir, load_mnist_split};
use std::io::Write;

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn per_class(set: &ImageSet) -> Vec<usize> {
    let mut counts = vec![0; set.classes];
    for &l in &set.labels {
        counts[usize::from(l)] += 1;
    }
    counts
}

#[test]
fn bundled_test_split() {
    let set = load_mnist_split(&bundled_mnist_dir(), Split::Test).unwrap();
    assert_eq!(set.images.shape(), &[2000, 1, 28, 28]);
    assert_eq!(set.len(), 2000);
    assert_eq!(set.classes, 10);
    assert_eq!(per_class(&set), vec![200; 10]);
    // Real digits: dark background, some bright strokes in every image.
    for img in set.images.outer_iter() {
        assert_eq!(img[[0, 0, 0]], 0);
        assert!(img.iter().any(|&p| p > 200));
    }
    let q = set.q7_inputs();
    assert_eq!(q.len(), 2000);
    assert_eq!(q[0].shape(), &[1, 28, 28]);
    assert_eq!(q[0][[0, 0, 0]], -128);
}

#[test]
fn bundled_train_split() {
    let set = load_mnist_split(&bundled_mnist_dir(), Split::Train).unwrap();
    assert_eq!(set.images.shape(), &[8000, 1, 28, 28]);
    assert_eq!(set.labels.len(), 8000);
    assert!(per_class(&set).iter().all(|&c| c > 0));
}

#[test]
fn uncompressed_files_load_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let bundled = bundled_mnist_dir();
    for name in ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
        let packed = std::fs::read(bundled.join(format!("{name}.gz"))).unwrap();
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&packed[..]), &mut raw)
            .unwrap();
        put(dir.path(), name, &raw);
    }
    let a = load_mnist_split(dir.path(), Split::Test).unwrap();
    let b = load_mnist_split(&bundled, Split::Test).unwrap();
    assert_eq!(a, b);
}

#[test]
fn reads_raw_and_gzip_images_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let pixels: Vec<u8> = (0..12).collect();
    let bytes = idx(IMAGES_MAGIC, &[3, 2, 2], &pixels);
    let raw = read_images(&put(dir.path(), "i", &bytes)).unwrap();
    // Gzip is detected by its magic bytes, whatever the name.
    let packed = read_images(&put(dir.path(), "i.bin", &gz(&bytes))).unwrap();
    assert_eq!(raw, packed);
    assert_eq!(raw.shape(), &[3, 2, 2]);
    assert_eq!(raw[[2, 1, 0]], 10);
    let labels = idx(LABELS_MAGIC, &[3], &[0, 9, 4]);
    assert_eq!(
        read_labels(&put(dir.path(), "l.gz", &gz(&labels)), 10).unwrap(),
        vec![0, 9, 4]
    );
    // Empty sets are valid.
    let empty = read_images(&put(dir.path(), "e", &idx(IMAGES_MAGIC, &[0, 28, 28], &[])));
    assert_eq!(empty.unwrap().shape(), &[0, 28, 28]);
}

#[test]
fn truncated_files() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = idx(IMAGES_MAGIC, &[3, 2, 2], &[7; 10]);
    for (name, content) in [("t", bytes.clone()), ("t.gz", gz(&bytes))] {
        let p = put(dir.path(), name, &content);
        let e = read_images(&p).unwrap_err();
        assert!(matches!(e, DataError::Truncated { .. }), "{e}");
        let m = message(&e, &p);
        assert!(
            m.contains("12 bytes needed for 3 images of 2x2, only 10 present"),
            "{m}"
        );
    }
    // Short header, and an empty file.
    let p = put(dir.path(), "h", &idx(LABELS_MAGIC, &[], &[0, 0]));
    let m = message(&read_labels(&p, 10).unwrap_err(), &p);
    assert!(
        m.contains("8 bytes needed for the IDX header, only 6 present"),
        "{m}"
    );
    let p = put(dir.path(), "empty", &[]);
    assert!(matches!(
        read_labels(&p, 10),
        Err(DataError::Truncated { .. })
    ));
    // A header promising ~2^96 bytes is refused without allocating them.
    let p = put(
        dir.path(),
        "huge",
        &idx(IMAGES_MAGIC, &[u32::MAX; 3], &[1; 100]),
    );
    let m = message(&read_images(&p).unwrap_err(), &p);
    assert!(m.contains("only 100 present"), "{m}");
    let p = put(
        dir.path(),
        "huge.gz",
        &gz(&idx(LABELS_MAGIC, &[u32::MAX], &[1; 5])),
    );
    let m = message(&read_labels(&p, 10).unwrap_err(), &p);
    assert!(
        m.contains("4294967295 bytes needed for 4294967295 labels, only 5 present"),
        "{m}"
    );
}

#[test]
fn trailing_data_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "l", &idx(LABELS_MAGIC, &[2], &[1, 2, 3]));
    let e = read_labels(&p, 10).unwrap_err();
    assert!(
        matches!(e, DataError::TrailingData { needed: 2, .. }),
        "{e}"
    );
    message(&e, &p);
}

#[test]
fn wrong_magic() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "l.gz", &gz(&idx(LABELS_MAGIC, &[2], &[1, 2])));
    let e = read_images(&p).unwrap_err();
    let m = message(&e, &p);
    assert!(
        m.contains("wrong magic number 0x00000801, expected 0x00000803"),
        "{m}"
    );
    let p = put(dir.path(), "text", b"hello world");
    assert!(matches!(
        read_labels(&p, 10),
        Err(DataError::WrongMagic {
            found: 0x6865_6c6c,
            ..
        })
    ));
}

#[test]
fn image_and_label_counts_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let i = put(dir.path(), "i", &idx(IMAGES_MAGIC, &[2, 1, 1], &[0, 1]));
    let l = put(dir.path(), "l", &idx(LABELS_MAGIC, &[3], &[0, 1, 2]));
    let e = ImageSet::from_idx(&i, &l, 10).unwrap_err();
    let m = message(&e, &i);
    assert!(m.contains(&l.display().to_string()), "{m}");
    assert!(
        m.contains("has 2 images but") && m.contains("has 3 labels"),
        "{m}"
    );
}

#[test]
fn label_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "l", &idx(LABELS_MAGIC, &[4], &[0, 9, 10, 3]));
    let e = read_labels(&p, 10).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::LabelOutOfRange {
                index: 2,
                label: 10,
                classes: 10,
                ..
            }
        ),
        "{e}"
    );
    message(&e, &p);
    assert!(read_labels(&p, 11).is_ok());
}

#[test]
fn corrupt_or_missing_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let good = gz(&idx(IMAGES_MAGIC, &[50, 4, 4], &[5; 800]));
    // Cut short, garbage deflate data, and a wrong CRC in the trailer.
    let mut garbage = good.clone();
    garbage[10..20].copy_from_slice(&[0xff; 10]);
    let mut bad_crc = good.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0x55;
    for (name, bytes) in [
        ("cut.gz", good[..good.len() / 2].to_vec()),
        ("garbage.gz", garbage),
        ("crc.gz", bad_crc),
    ] {
        let p = put(dir.path(), name, &bytes);
        let e = read_images(&p).unwrap_err();
        assert!(matches!(e, DataError::CorruptGzip { .. }), "{name}: {e}");
        message(&e, &p);
    }
    // A `.gz` name on bytes that are not gzip.
    let p = put(dir.path(), "raw.gz", &idx(LABELS_MAGIC, &[1], &[1]));
    let e = read_labels(&p, 10).unwrap_err();
    let m = message(&e, &p);
    assert!(m.contains("not a gzip file") && m.contains("00 00"), "{m}");
}

#[test]
fn missing_split_files() {
    let dir = tempfile::tempdir().unwrap();
    let e = load_mnist_split(dir.path(), Split::Train).unwrap_err();
    let m = message(&e, dir.path());
    assert!(
        m.contains("neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz"),
        "{m}"
    );
}
