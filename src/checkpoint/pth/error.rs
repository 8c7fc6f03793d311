//! Errors of the `.pth.tar` reader.
//!
//! Owns the wording: every message is one line that starts with the file it is about. Text
//! taken from the file (keys, names) or from other libraries is escaped with [`one_line`] so
//! it cannot break that. Must not decide when an error happens.

use std::path::Path;

use super::pickle::PickleError;

#[derive(Debug, thiserror::Error)]
pub enum PthError {
    #[error("{file}: cannot read file ({source})")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not a PyTorch checkpoint ({detail})")]
    NotCheckpoint { file: String, detail: String },
    #[error("{file}: truncated or corrupt ZIP archive ({detail})")]
    CorruptZip { file: String, detail: String },
    #[error(
        "{file}: ZIP entry '{entry}' is compressed ({method}); only stored entries are supported"
    )]
    Compressed {
        file: String,
        entry: String,
        method: String,
    },
    #[error("{file}: the ZIP archive has no '<prefix>/data.pkl' entry")]
    NoPickle { file: String },
    #[error("{file}: {source}")]
    Pickle {
        file: String,
        #[source]
        source: PickleError,
    },
    #[error("{file}: truncated or corrupt legacy torch.save stream ({detail})")]
    CorruptLegacy { file: String, detail: String },
    #[error("{file}: storage '{key}' is missing")]
    MissingStorage { file: String, key: String },
    #[error("{file}: storage '{key}' holds {have} bytes, tensor needs {need}")]
    StorageTooSmall {
        file: String,
        key: String,
        have: u64,
        need: u64,
    },
    #[error("{file}: tensor '{name}': {detail}")]
    BadTensor {
        file: String,
        name: String,
        detail: String,
    },
    #[error("{file}: {detail}")]
    Layout { file: String, detail: String },
    #[error(
        "{file}: tensors would take {needed} elements, more than the {limit} this file's size allows"
    )]
    TooLarge {
        file: String,
        needed: u64,
        limit: u64,
    },
}

/// `text` with control characters (newlines included) escaped, so a message stays one line.
pub fn one_line(text: impl std::fmt::Display) -> String {
    let text = text.to_string();
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        text
    }
}

/// The file name as it appears in messages.
pub fn file_label(path: &Path) -> String {
    one_line(path.display())
}
