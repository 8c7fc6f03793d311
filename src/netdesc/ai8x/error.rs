//! The one error type of the MAX78000 network-description front end.
//!
//! Every message names the file, and where it applies the layer and the YAML key.

use std::fmt;

/// A problem with a network description (YAML) or with its match to a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescError {
    pub file: String,
    pub layer: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl DescError {
    pub fn new(
        file: &str,
        layer: Option<usize>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        DescError {
            file: file.to_string(),
            layer,
            key: key.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for DescError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if let Some(l) = self.layer {
            write!(f, "layer {l}: ")?;
        }
        if let Some(k) = &self.key {
            write!(f, "`{k}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for DescError {}
