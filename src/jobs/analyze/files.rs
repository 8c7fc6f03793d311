//! The file names of a layer's outputs (`--extract`, `--histograms`): the layer's name with
//! every character outside `A–Z a–z 0–9 . _ -` replaced by `_`, and a suffix; two layers
//! whose names give the same file are refused, naming both. Writing a folder of such files
//! at once, atomically, refusing an existing folder without `--overwrite`.
//!
//! Owns the names and the folder write. Must not compute what goes into the files.

use crate::io::atomic::write_dir_atomic;
use crate::jobs::JobError;
use std::collections::HashMap;
use std::path::Path;

/// `name` as a file stem.
pub fn stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

/// A folder's files: `(file name, what it holds, bytes)`; duplicates are refused.
#[derive(Debug, Default)]
pub struct Folder {
    files: Vec<(String, Vec<u8>)>,
    owners: HashMap<String, String>,
}

impl Folder {
    /// Add `file`, written for `owner` (a layer's name, for the error).
    pub fn add(&mut self, file: String, owner: &str, bytes: Vec<u8>) -> Result<(), JobError> {
        if let Some(other) = self.owners.get(&file) {
            return Err(JobError::Other(format!(
                "layers `{other}` and `{owner}` would both write {file}; rename one in the \
                 network description"
            )));
        }
        self.owners.insert(file.clone(), owner.to_string());
        self.files.push((file, bytes));
        Ok(())
    }

    /// Write the folder `dir` at once (replacing an existing one only with `overwrite`).
    pub fn write(self, dir: &Path, overwrite: bool) -> Result<(), JobError> {
        crate::jobs::refuse_existing(dir, overwrite)?;
        write_dir_atomic(dir, &self.files, overwrite)
            .map_err(|e| JobError::io(dir, "cannot write", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_safe_and_duplicates_refused() {
        assert_eq!(stem("conv1"), "conv1");
        assert_eq!(stem("layers.0"), "layers.0");
        assert_eq!(stem("a/b c"), "a_b_c");
        assert_eq!(stem(".."), "_..");
        assert_eq!(stem(""), "_");
        let mut f = Folder::default();
        f.add("a_b.npy".into(), "a/b", vec![]).unwrap();
        let e = f.add("a_b.npy".into(), "a b", vec![]).unwrap_err();
        assert!(e.to_string().contains("`a/b` and `a b`"), "{e}");
        assert_eq!(f.files.len(), 1);
    }
}
