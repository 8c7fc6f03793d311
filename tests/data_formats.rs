//! Every data-set format through `load_dataset`, and each bad-data error, on small generated
//! files in temporary folders.

mod common;

use common::data::{labels_i64, message, npy, put};
use image::{GrayImage, Luma, Rgb, RgbImage};
use ndarray::s;
use qtool::data::{DataError, DatasetKind, ImageSet, Split, load_dataset};
use std::path::Path;

fn load(kind: DatasetKind, dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    load_dataset(kind, dir, split)
}

// ---------- IDX (MNIST, Fashion-MNIST) ----------

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    dims.iter().for_each(|d| v.extend(d.to_be_bytes()));
    v.extend(data);
    v
}

#[test]
fn fashion_and_mnist_read_the_standard_idx_names() {
    let dir = tempfile::tempdir().unwrap();
    put(
        dir.path(),
        "t10k-images-idx3-ubyte",
        &idx(0x803, &[2, 2, 3], &[7; 12]),
    );
    put(
        dir.path(),
        "t10k-labels-idx1-ubyte",
        &idx(0x801, &[2], &[9, 0]),
    );
    for kind in [DatasetKind::Fashion, DatasetKind::Mnist] {
        let set = load(kind, dir.path(), Split::Test).unwrap();
        assert_eq!(set.images.shape(), &[2, 1, 2, 3]);
        assert_eq!((set.labels.as_slice(), set.classes), (&[9u8, 0][..], 10));
    }
    let e = load(DatasetKind::Fashion, dir.path(), Split::Train).unwrap_err();
    assert!(message(&e, dir.path()).contains("train-images-idx3-ubyte"));
}

// ---------- CIFAR ----------

/// One CIFAR record: the label bytes, then pixel `k` of the 3,072 = `(seed + k) mod 256`.
fn cifar_record(labels: &[u8], seed: u8) -> Vec<u8> {
    let mut v = labels.to_vec();
    v.extend((0..3072).map(|k| seed.wrapping_add(k as u8)));
    v
}

#[test]
fn cifar10_reads_five_training_batches_and_the_test_batch() {
    let dir = tempfile::tempdir().unwrap();
    for i in 1..=5u8 {
        let recs = [cifar_record(&[i], i), cifar_record(&[9], 100 + i)].concat();
        put(dir.path(), &format!("data_batch_{i}.bin"), &recs);
    }
    put(dir.path(), "test_batch.bin", &cifar_record(&[3], 0));
    let train = load(DatasetKind::Cifar10, dir.path(), Split::Train).unwrap();
    assert_eq!(train.images.shape(), &[10, 3, 32, 32]);
    assert_eq!(train.labels, [1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    assert_eq!(train.classes, 10);
    // Channel-major planes: pixel k of the record is [k / 1024, (k / 32) % 32, k % 32].
    let img = train.image(2);
    assert_eq!(img[[0, 0, 0]], 2);
    assert_eq!(img[[0, 0, 1]], 3);
    assert_eq!(img[[0, 1, 0]], 2 + 32);
    assert_eq!(img[[1, 0, 0]], 2); // 1024 mod 256 = 0
    let test = load(DatasetKind::Cifar10, dir.path(), Split::Test).unwrap();
    assert_eq!((test.len(), test.labels[0]), (1, 3));
}

#[test]
fn cifar100_uses_the_fine_label() {
    let dir = tempfile::tempdir().unwrap();
    let recs = [cifar_record(&[19, 99], 0), cifar_record(&[4, 42], 1)].concat();
    put(dir.path(), "train.bin", &recs);
    let set = load(DatasetKind::Cifar100, dir.path(), Split::Train).unwrap();
    assert_eq!((set.labels.as_slice(), set.classes), (&[99u8, 42][..], 100));
    assert_eq!(set.image(1)[[2, 31, 31]], 0); // (1 + 3071) mod 256
}

#[test]
fn cifar_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "test_batch.bin", &cifar_record(&[3], 0)[..3000]);
    let e = load(DatasetKind::Cifar10, dir.path(), Split::Test).unwrap_err();
    assert!(message(&e, &p).contains("truncated"), "{e}");

    let p = put(dir.path(), "test_batch.bin", &cifar_record(&[10], 0));
    let e = load(DatasetKind::Cifar10, dir.path(), Split::Test).unwrap_err();
    assert!(message(&e, &p).contains("label 10 of item 0"), "{e}");

    let p = put(dir.path(), "test.bin", &cifar_record(&[0, 100], 0));
    let e = load(DatasetKind::Cifar100, dir.path(), Split::Test).unwrap_err();
    assert!(message(&e, &p).contains("classes 0..100"), "{e}");

    let e = load(DatasetKind::Cifar10, dir.path(), Split::Train).unwrap_err();
    assert!(message(&e, &dir.path().join("data_batch_1.bin")).contains("not found"));
}

// ---------- image folders ----------

fn gray(w: u32, h: u32, v: u8) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| Luma([v + (y * w + x) as u8]))
}

#[test]
fn folder_classes_sorted_grayscale_one_channel() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("train");
    for (class, v) in [("zebra", 100u8), ("apple", 0), ("mango", 50)] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        gray(3, 2, v).save(root.join(class).join("b.png")).unwrap();
        gray(3, 2, v + 10)
            .save(root.join(class).join("a.PNG"))
            .unwrap();
    }
    put(&root, "mango/notes.txt", b"not an image");
    let set = load(DatasetKind::Folder, dir.path(), Split::Train).unwrap();
    assert_eq!(set.images.shape(), &[6, 1, 2, 3]);
    assert_eq!(set.labels, [0, 0, 1, 1, 2, 2]);
    assert_eq!(set.classes, 3);
    // apple/a.PNG first, then apple/b.png; pixels row-major.
    let firsts: Vec<u8> = (0..6).map(|i| set.image(i)[[0, 0, 0]]).collect();
    assert_eq!(firsts, [10, 0, 60, 50, 110, 100]);
    assert_eq!(set.image(0)[[0, 1, 2]], 10 + 5);
}

#[test]
fn folder_rgb_png_and_jpeg_give_three_channel_planes() {
    let dir = tempfile::tempdir().unwrap();
    let class = dir.path().join("test/cat");
    std::fs::create_dir_all(&class).unwrap();
    RgbImage::from_fn(2, 2, |x, y| Rgb([x as u8, y as u8, 200]))
        .save(class.join("a.png"))
        .unwrap();
    RgbImage::from_pixel(2, 2, Rgb([255, 0, 0]))
        .save(class.join("b.jpg"))
        .unwrap();
    let set = load(DatasetKind::Folder, dir.path(), Split::Test).unwrap();
    assert_eq!(set.images.shape(), &[2, 3, 2, 2]);
    let a = set.image(0);
    assert_eq!(a.slice(s![0, .., ..]), ndarray::array![[0, 1], [0, 1]]);
    assert_eq!(a.slice(s![1, .., ..]), ndarray::array![[0, 0], [1, 1]]);
    assert!(a.slice(s![2, .., ..]).iter().all(|&v| v == 200));
    let b = set.image(1); // lossy: red stays dominant
    assert!(
        b[[0, 0, 0]] > 200 && b[[1, 0, 0]] < 60 && b[[2, 0, 0]] < 60,
        "{b:?}"
    );
}

#[test]
fn folder_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(DatasetKind::Folder, dir.path(), Split::Train).unwrap_err();
    assert!(message(&e, &dir.path().join("train")).contains("not found"));

    std::fs::create_dir_all(dir.path().join("train")).unwrap();
    let e = load(DatasetKind::Folder, dir.path(), Split::Train).unwrap_err();
    assert!(message(&e, &dir.path().join("train")).contains("no class sub-folders"));

    let class = dir.path().join("train/a");
    std::fs::create_dir_all(&class).unwrap();
    gray(3, 2, 0).save(class.join("1.png")).unwrap();
    gray(2, 3, 0).save(class.join("2.png")).unwrap();
    let e = load(DatasetKind::Folder, dir.path(), Split::Train).unwrap_err();
    let m = message(&e, &class.join("2.png"));
    assert!(m.contains("1x3x2") && m.contains("1x2x3"), "{m}");

    RgbImage::new(3, 2).save(class.join("2.png")).unwrap();
    let e = load(DatasetKind::Folder, dir.path(), Split::Train).unwrap_err();
    assert!(message(&e, &class.join("2.png")).contains("3x2x3"));

    let p = put(&class, "2.png", b"\x89PNG but not really");
    let e = load(DatasetKind::Folder, dir.path(), Split::Train).unwrap_err();
    assert!(message(&e, &p).contains("cannot decode"));
}

// ---------- .npy pairs ----------

#[test]
fn npy_pairs_of_rank_4_and_rank_3() {
    let dir = tempfile::tempdir().unwrap();
    let px: Vec<u8> = (0..24).collect();
    put(dir.path(), "train/x.npy", &npy("|u1", &[2, 3, 2, 2], &px));
    put(dir.path(), "train/y.npy", &labels_i64(&[4, 1]));
    let set = load(DatasetKind::Npy, dir.path(), Split::Train).unwrap();
    assert_eq!(set.images.shape(), &[2, 3, 2, 2]);
    assert_eq!(set.image(1)[[2, 1, 1]], 23);
    assert_eq!((set.labels.as_slice(), set.classes), (&[4u8, 1][..], 5));

    put(dir.path(), "test/x.npy", &npy("|u1", &[3, 2, 4], &px));
    put(dir.path(), "test/y.npy", &npy("|u1", &[3], &[0, 0, 2]));
    let set = load(DatasetKind::Npy, dir.path(), Split::Test).unwrap();
    assert_eq!(set.images.shape(), &[3, 1, 2, 4]);
    assert_eq!(set.image(2)[[0, 1, 3]], 23);
}

#[test]
fn npy_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = load(DatasetKind::Npy, d, Split::Train).unwrap_err();
    assert!(message(&e, &d.join("train/x.npy")).contains("not found"));

    let x = put(d, "train/x.npy", &npy("|u1", &[2, 1, 1], &[0, 1]));
    let e = load(DatasetKind::Npy, d, Split::Train).unwrap_err();
    assert!(message(&e, &d.join("train/y.npy")).contains("not found"));

    let y = put(d, "train/y.npy", &labels_i64(&[0, 1, 2]));
    let e = load(DatasetKind::Npy, d, Split::Train).unwrap_err();
    let m = message(&e, &x);
    assert!(
        m.contains(&y.display().to_string()) && m.contains("2 images"),
        "{m}"
    );

    for bad in [-1, 256] {
        put(d, "train/y.npy", &labels_i64(&[0, bad]));
        let e = load(DatasetKind::Npy, d, Split::Train).unwrap_err();
        assert!(
            message(&e, &y).contains(&format!("label {bad} of item 1")),
            "{e}"
        );
    }

    put(d, "train/y.npy", &labels_i64(&[0, 1]));
    put(d, "train/x.npy", &npy("<f4", &[2], &[0; 8]));
    let e = load(DatasetKind::Npy, d, Split::Train).unwrap_err();
    assert!(message(&e, &x).contains("uint8"), "{e}");

    put(d, "train/x.npy", &npy("|u1", &[2, 1], &[0, 1]));
    let e = load(DatasetKind::Npy, d, Split::Train).unwrap_err();
    assert!(message(&e, &x).contains("[2, 1]"), "{e}");

    put(d, "train/x.npy", &npy("|u1", &[2, 2, 2], &[0; 5]));
    let e = load(DatasetKind::Npy, d, Split::Train).unwrap_err();
    assert!(message(&e, &x).contains("truncated"), "{e}");
}

#[test]
fn kind_names_round_trip() {
    for kind in DatasetKind::ALL {
        assert_eq!(kind.name().parse::<DatasetKind>(), Ok(kind));
    }
    assert!(
        "imagenet"
            .parse::<DatasetKind>()
            .unwrap_err()
            .contains("cifar100")
    );
}
