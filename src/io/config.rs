//! The error of a small configuration file (training recipe, QAT policy): the file, and the
//! key when one value is wrong.
//!
//! Owns the message shape only; each file format parses itself. Must not read files.

use thiserror::Error;

/// A configuration file that cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// The file cannot be read or is not valid for its format.
    #[error("{file}: {message}")]
    Read { file: String, message: String },
    /// One key holds a value that is not allowed.
    #[error("{file}: key `{key}`: {message}")]
    Value {
        file: String,
        key: String,
        message: String,
    },
}
