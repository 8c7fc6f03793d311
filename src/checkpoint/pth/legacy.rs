//! The legacy stream `torch.save` wrote before PyTorch 1.6 (and still writes with
//! `_use_new_zipfile_serialization=False`): five pickles in a row — magic number, protocol
//! version 1001, system info, the saved object, the list of storage keys — followed, for each
//! key in that list, by an `i64` element count and the storage's raw bytes.
//!
//! Owns splitting that stream into the main pickle and the storages. Must not interpret
//! tensors beyond asking `torch.rs` each storage's element type, needed to find where the
//! next storage starts.

use std::collections::HashMap;

use super::error::{PthError, one_line};
use super::object::{Obj, Pickle};
use super::pickle::unpickle;
use super::torch::{all_storages, element_size};

/// `0x1950a86a20f9469cfc6c` as the little-endian bytes `LONG1` carries.
const MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const PROTOCOL_VERSION: i64 = 1001;

/// Whether `bytes` starts with the legacy magic-number pickle (`PROTO 2`, `LONG1 10 <magic>`).
pub fn looks_legacy(bytes: &[u8]) -> bool {
    bytes.get(..4) == Some(&[0x80, 0x02, 0x8a, 0x0a]) && bytes.get(4..14) == Some(&MAGIC)
}

/// The storages of a legacy stream, by key.
pub struct LegacyStorages<'a> {
    storages: HashMap<String, &'a [u8]>,
}

impl<'a> LegacyStorages<'a> {
    /// Split the whole file `bytes` into the decoded main object and its storages.
    pub fn open(file: &str, bytes: &'a [u8]) -> Result<(Pickle, Self), PthError> {
        let corrupt = |detail: String| PthError::CorruptLegacy {
            file: file.to_owned(),
            detail,
        };
        let pickle_at = |start: usize| {
            unpickle(bytes, start).map_err(|source| PthError::Pickle {
                file: file.to_owned(),
                source,
            })
        };
        let magic = pickle_at(0)?;
        if *magic.get(magic.root()) != Obj::BigInt(MAGIC.to_vec()) {
            return Err(PthError::NotCheckpoint {
                file: file.to_owned(),
                detail: "pickle stream without the torch.save magic number".into(),
            });
        }
        let version = pickle_at(magic.end())?;
        if version.as_int(version.root()) != Some(PROTOCOL_VERSION) {
            return Err(corrupt("protocol version is not 1001".into()));
        }
        let sys_info = pickle_at(version.end())?;
        check_little_endian(&sys_info).map_err(corrupt)?;
        let pickle = pickle_at(sys_info.end())?;
        let keys = pickle_at(pickle.end())?;
        let key_list = keys
            .as_seq(keys.root())
            .ok_or_else(|| corrupt("storage key list is not a list".into()))?;

        let dtypes: HashMap<String, _> = all_storages(&pickle)
            .into_iter()
            .map(|s| (s.key, s.dtype))
            .collect();
        let mut storages = HashMap::new();
        let mut pos = keys.end();
        for &key in key_list {
            let key = keys
                .as_str(key)
                .ok_or_else(|| corrupt("storage key is not a string".into()))?;
            let dtype = dtypes.get(key).ok_or_else(|| {
                corrupt(format!(
                    "storage '{}' has no readable type in the pickle",
                    one_line(key)
                ))
            })?;
            let truncated = || corrupt(format!("storage '{}' is truncated", one_line(key)));
            let count: [u8; 8] = bytes
                .get(pos..pos.saturating_add(8))
                .and_then(|c| c.try_into().ok())
                .ok_or_else(truncated)?;
            let len = u64::try_from(i64::from_le_bytes(count))
                .ok()
                .and_then(|n| usize::try_from(n).ok())
                .and_then(|n| n.checked_mul(element_size(*dtype)))
                .ok_or_else(|| corrupt(format!("storage '{}' has a bad size", one_line(key))))?;
            let start = pos + 8;
            let end = start.checked_add(len).ok_or_else(truncated)?;
            let data = bytes.get(start..end).ok_or_else(truncated)?;
            storages.insert(key.to_owned(), data);
            pos = end;
        }
        Ok((pickle, Self { storages }))
    }

    /// Bytes of storage `key`, `None` if the stream has none.
    pub fn storage(&self, key: &str) -> Option<&'a [u8]> {
        self.storages.get(key).copied()
    }
}

fn check_little_endian(sys_info: &Pickle) -> Result<(), String> {
    let items = sys_info
        .dict_items(sys_info.root())
        .ok_or("system info is not a dict")?;
    for (k, v) in items {
        if sys_info.as_str(k) == Some("little_endian") && *sys_info.get(v) != Obj::Bool(true) {
            return Err("big-endian checkpoints are not supported".into());
        }
    }
    Ok(())
}
