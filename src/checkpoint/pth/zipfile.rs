//! The ZIP container `torch.save` writes since PyTorch 1.6: `<prefix>/data.pkl` plus one
//! `<prefix>/data/<key>` entry per storage, all stored uncompressed.
//!
//! Owns locating the prefix and the entries and reading their bytes (a compressed entry is an
//! error). Must not interpret the pickle.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use zip::{CompressionMethod, ZipArchive};

use super::error::{PthError, one_line};

/// An open checkpoint archive over the file's bytes.
pub struct ZipCheckpoint<'a> {
    file: String,
    archive: ZipArchive<Cursor<&'a [u8]>>,
    /// Directory holding `data.pkl` and `data/`, with its trailing `/` (may be empty).
    prefix: String,
    limit: u64,
    cache: HashMap<String, Vec<u8>>,
}

impl<'a> ZipCheckpoint<'a> {
    /// Open the archive in `bytes` (the whole file) and find its `data.pkl`.
    pub fn open(file: &str, bytes: &'a [u8]) -> Result<Self, PthError> {
        let archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| PthError::CorruptZip {
            file: file.to_owned(),
            detail: one_line(e),
        })?;
        let prefix = archive
            .file_names()
            .filter_map(Result::ok)
            .find_map(|name| pickle_prefix(&name))
            .ok_or_else(|| PthError::NoPickle {
                file: file.to_owned(),
            })?;
        Ok(Self {
            file: file.to_owned(),
            archive,
            prefix,
            limit: bytes.len() as u64,
            cache: HashMap::new(),
        })
    }

    /// Bytes of `<prefix>/data.pkl`.
    pub fn pickle(&mut self) -> Result<Vec<u8>, PthError> {
        let name = format!("{}data.pkl", self.prefix);
        self.entry(&name)?.ok_or_else(|| PthError::NoPickle {
            file: self.file.clone(),
        })
    }

    /// Full entry name of storage `key`, as error messages show it.
    pub fn storage_name(&self, key: &str) -> String {
        format!("{}data/{key}", self.prefix)
    }

    /// Bytes of storage `key` (read once, then cached: several tensors may share a storage).
    pub fn storage(&mut self, key: &str) -> Result<&[u8], PthError> {
        let name = self.storage_name(key);
        if !self.cache.contains_key(&name) {
            let bytes = self.entry(&name)?.ok_or_else(|| PthError::MissingStorage {
                file: self.file.clone(),
                key: one_line(&name),
            })?;
            self.cache.insert(name.clone(), bytes);
        }
        Ok(self.cache.get(&name).map(Vec::as_slice).unwrap_or_default())
    }

    /// Contents of entry `name`, `None` if there is no such entry.
    fn entry(&mut self, name: &str) -> Result<Option<Vec<u8>>, PthError> {
        let Some(index) = self.archive.index_for_name(name) else {
            return Ok(None);
        };
        let corrupt = |e: &dyn std::fmt::Display| PthError::CorruptZip {
            file: self.file.clone(),
            detail: format!("entry '{}': {}", one_line(name), one_line(e)),
        };
        let (method, size) = match self.archive.by_index_data(index) {
            Ok(meta) => (meta.compression(), meta.size()),
            Err(e) => return Err(corrupt(&e)),
        };
        if method != CompressionMethod::Stored {
            return Err(PthError::Compressed {
                file: self.file.clone(),
                entry: one_line(name),
                method: one_line(format!("{method:?}")),
            });
        }
        if size > self.limit {
            return Err(corrupt(&format!(
                "declares {size} bytes, the file has {}",
                self.limit
            )));
        }
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        let read = match self.archive.by_index(index) {
            Ok(entry) => entry.take(self.limit).read_to_end(&mut out),
            Err(e) => return Err(corrupt(&e)),
        };
        match read {
            Ok(_) if out.len() as u64 == size => Ok(Some(out)),
            Ok(_) => Err(corrupt(&format!(
                "holds {} bytes, declares {size}",
                out.len()
            ))),
            Err(e) => Err(corrupt(&e)),
        }
    }
}

/// `Some(prefix)` if `name` is `data.pkl` at the top or in a top-level directory.
fn pickle_prefix(name: &str) -> Option<String> {
    let dir = name.strip_suffix("data.pkl")?;
    match dir.strip_suffix('/') {
        None if dir.is_empty() => Some(String::new()),
        Some(top) if !top.is_empty() && !top.contains('/') => Some(dir.to_owned()),
        _ => None,
    }
}
