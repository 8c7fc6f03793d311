//! Reader for PyTorch `.pth.tar` checkpoints that keeps the `state_dict` in insertion order.
//!
//! Owns the entry points and the assembly of a [`TorchCheckpoint`] from the top-level dict.
//! The pieces: `pickle` (data-only pickle VM), `torch` (tensor/storage meaning of globals),
//! `decode` (storage bytes to values), `zipfile` and `legacy` (the two containers),
//! `error` (messages). Must not know about layers, quantization or devices.
//!
//! Nothing from the file is executed. Allocations are bounded by the file size: storages and
//! strings are slices of the file, and the tensors materialized together may hold at most
//! [`ELEMENTS_PER_FILE_BYTE`] elements per byte of the file.

mod decode;
mod error;
mod legacy;
mod object;
mod pickle;
mod torch;
mod zipfile;

use std::path::Path;

pub use error::PthError;
pub use pickle::PickleError;

use self::decode::{DecodeError, materialize, numel};
use self::error::{file_label, one_line};
use self::legacy::LegacyStorages;
use self::object::{Obj, ObjId, Pickle};
use self::pickle::unpickle;
use self::torch::tensor_ref;
use self::zipfile::ZipCheckpoint;
use super::{RawTensor, TorchCheckpoint};

/// Budget of materialized elements per byte of the file. A tensor's elements each take at
/// least one byte of the file unless tensors share storage or use zero strides; this leaves
/// room for such sharing while refusing a small file that expands to gigabytes.
pub const ELEMENTS_PER_FILE_BYTE: u64 = 4;

/// Read the checkpoint at `path`: `epoch`, `arch`, the top-level keys, and every tensor of
/// `state_dict` (or of the top-level dict itself when it has no `state_dict` entry) in
/// insertion order. Values of `state_dict` that are not tensors are skipped.
pub fn read(path: &Path) -> Result<TorchCheckpoint, PthError> {
    let file = file_label(path);
    let bytes = std::fs::read(path).map_err(|source| PthError::Io {
        file: file.clone(),
        source,
    })?;
    read_bytes(&file, &bytes)
}

/// [`read`] for a checkpoint already in memory; `label` names it in error messages.
pub fn read_bytes(label: &str, bytes: &[u8]) -> Result<TorchCheckpoint, PthError> {
    let file = one_line(label);
    let (pickle, mut storages) = open(&file, bytes)?;
    let limit = (bytes.len() as u64).saturating_mul(ELEMENTS_PER_FILE_BYTE);
    assemble(&file, &pickle, &mut storages, limit)
}

enum Storages<'a> {
    Zip(ZipCheckpoint<'a>),
    Legacy(LegacyStorages<'a>),
}

impl Storages<'_> {
    /// The storage's bytes and its name for messages.
    fn get(&mut self, file: &str, key: &str) -> Result<(&[u8], String), PthError> {
        match self {
            Storages::Zip(zip) => {
                let name = zip.storage_name(key);
                Ok((zip.storage(key)?, name))
            }
            Storages::Legacy(legacy) => match legacy.storage(key) {
                Some(bytes) => Ok((bytes, key.to_owned())),
                None => Err(PthError::MissingStorage {
                    file: file.into(),
                    key: one_line(key),
                }),
            },
        }
    }
}

fn open<'a>(file: &str, bytes: &'a [u8]) -> Result<(Pickle, Storages<'a>), PthError> {
    if bytes.is_empty() {
        let detail = "the file is empty".into();
        return Err(PthError::NotCheckpoint {
            file: file.into(),
            detail,
        });
    }
    if legacy::looks_legacy(bytes) {
        let (pickle, storages) = LegacyStorages::open(file, bytes)?;
        return Ok((pickle, Storages::Legacy(storages)));
    }
    let mut zip = ZipCheckpoint::open(file, bytes).map_err(|e| {
        if bytes.starts_with(b"PK") {
            e
        } else {
            let detail = "neither a ZIP archive nor a legacy torch.save stream".into();
            PthError::NotCheckpoint {
                file: file.into(),
                detail,
            }
        }
    })?;
    let data = zip.pickle()?;
    let pickle = unpickle(&data, 0).map_err(|source| PthError::Pickle {
        file: file.into(),
        source,
    })?;
    Ok((pickle, Storages::Zip(zip)))
}

fn assemble(
    file: &str,
    p: &Pickle,
    storages: &mut Storages<'_>,
    limit: u64,
) -> Result<TorchCheckpoint, PthError> {
    let layout = |detail: String| PthError::Layout {
        file: file.into(),
        detail,
    };
    let top = p.dict_items(p.root()).ok_or_else(|| {
        layout(format!(
            "top-level object is a {}, expected a dict",
            p.get(p.root()).kind()
        ))
    })?;
    let mut ckpt = TorchCheckpoint::default();
    let mut state_dict = None;
    for &(k, v) in &top {
        let Some(name) = key_text(p, k) else { continue };
        match (name.as_str(), p.get(v)) {
            ("epoch", Obj::Int(epoch)) => ckpt.epoch = Some(*epoch),
            ("arch", Obj::Str(arch)) => ckpt.arch = Some(arch.clone()),
            ("state_dict", _) => state_dict = Some(v),
            _ => {}
        }
        ckpt.top_level_keys.push(name);
    }
    let entries = match state_dict {
        Some(id) => p.dict_items(id).ok_or_else(|| {
            layout(format!(
                "'state_dict' is a {}, expected a dict",
                p.get(id).kind()
            ))
        })?,
        None => top,
    };

    let mut budget = 0u64;
    for (index, &(k, v)) in entries.iter().enumerate() {
        let bad = |name: &str, detail: String| PthError::BadTensor {
            file: file.into(),
            name: one_line(name),
            detail: one_line(detail),
        };
        let described = tensor_ref(p, v);
        let name = match p.get(k) {
            Obj::Str(name) => name.as_str(),
            other => match described {
                Ok(None) => continue,
                _ => {
                    let detail = format!("state_dict key #{index} is a {}", other.kind());
                    return Err(layout(detail));
                }
            },
        };
        let Some(t) = described.map_err(|detail| bad(name, detail))? else {
            continue;
        };
        let count = numel(&t.size).ok_or_else(|| bad(name, "element count overflows".into()))?;
        budget = budget.saturating_add(count as u64);
        if budget > limit {
            return Err(PthError::TooLarge {
                file: file.into(),
                needed: budget,
                limit,
            });
        }
        let (bytes, storage) = storages.get(file, &t.storage.key)?;
        let values = materialize(&t, bytes).map_err(|e| match e {
            DecodeError::TooSmall { have, need } => PthError::StorageTooSmall {
                file: file.into(),
                key: one_line(&storage),
                have,
                need,
            },
            DecodeError::Overflow => bad(name, "size, stride or offset overflows".into()),
        })?;
        let tensor = RawTensor {
            shape: t.size,
            dtype: t.storage.dtype,
            values,
        };
        ckpt.state_dict.push((name.to_owned(), tensor));
    }
    Ok(ckpt)
}

/// A top-level key as text: strings as they are, integers in decimal, others skipped.
fn key_text(p: &Pickle, k: ObjId) -> Option<String> {
    match p.get(k) {
        Obj::Str(s) => Some(s.clone()),
        Obj::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
