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
