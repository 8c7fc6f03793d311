//! Helpers for the data-set tests: writing generated files and checking error messages.

use qtool::data::DataError;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `dir/name` (creating parent folders) and returns the path.
pub fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The error's message is one line and names the file.
pub fn message(e: &DataError, file: &Path) -> String {
    let m = e.to_string();
    assert!(!m.contains('\n'), "{m}");
    assert!(m.contains(&file.display().to_string()), "{m}");
    m
}

/// A version-1 `.npy` file of `descr` data with `shape`.
pub fn npy(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let comma = if shape.len() == 1 { "," } else { "" };
    let mut h = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': ({}{comma}), }}",
        dims.join(", ")
    );
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    v.extend((h.len() as u16).to_le_bytes());
    v.extend(h.as_bytes());
    v.extend(data);
    v
}

pub fn labels_i64(labels: &[i64]) -> Vec<u8> {
    npy(
        "<i8",
        &[labels.len()],
        &labels
            .iter()
            .flat_map(|l| l.to_le_bytes())
            .collect::<Vec<_>>(),
    )
}
