//! qtool's own container for GTI chip files (`.dat`) and model packages (`.model`): named byte
//! sections with CRC-32 checksums behind a fixed header. Only qtool reads it back. GTI's SDK
//! cannot load it, because GTI's real layouts are not public (gti.md §4.4). The byte layout
//! and the reading rules are in `container.md`, which is the documentation of [`Container`].

use std::collections::HashSet;
use thiserror::Error;

/// The first 8 bytes of every container.
pub const MAGIC: [u8; 8] = *b"QTOOLGTI";
/// The format version this module writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// The most sections a container may hold.
pub const MAX_SECTIONS: u32 = 4096;

/// Magic, version, kind, chip, section count.
const HEADER_LEN: usize = 8 + 2 + 1 + 4 + 4;
/// A table entry without its name: name length, offset, length, CRC.
const ENTRY_LEN: usize = 2 + 8 + 8 + 4;
const CRC_LEN: usize = 4;

/// What a container stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    /// A chip file (`.dat`).
    Chip,
    /// A model package (`.model`).
    Model,
}

impl ContainerKind {
    /// The kind byte in the header.
    pub fn code(self) -> u8 {
        match self {
            ContainerKind::Chip => 1,
            ContainerKind::Model => 2,
        }
    }

    /// The kind of a header's kind byte.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(ContainerKind::Chip),
            2 => Some(ContainerKind::Model),
            _ => None,
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ContainerKind::Chip => "dat",
            ContainerKind::Model => "model",
        }
    }
}

/// One named section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub data: Vec<u8>,
}

impl Section {
    pub fn new(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Section {
            name: name.into(),
            data: data.into(),
        }
    }
}

#[doc = include_str!("container.md")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub kind: ContainerKind,
    /// The chip number (2801, 2803, 5801, …). 0 only in a model container that names no chip.
    pub chip: u32,
    /// The sections, in file order.
    pub sections: Vec<Section>,
}

/// Why a container could not be read or written.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ContainerError {
    #[error("not a qtool GTI container: the file does not start with `QTOOLGTI`")]
    BadMagic,
    #[error(
        "unsupported qtool GTI container version {0} (this qtool reads version {FORMAT_VERSION})"
    )]
    UnsupportedVersion(u16),
    #[error("unknown container kind {0} (1 is a chip .dat, 2 is a model .model)")]
    UnknownKind(u8),
    #[error("a chip container needs a chip number, not 0")]
    MissingChip,
    #[error("{count} sections: a container holds at most {MAX_SECTIONS}")]
    TooManySections { count: u64 },
    #[error("truncated: the file ends inside {what} ({len} bytes, at least {needed} needed)")]
    Truncated {
        what: &'static str,
        needed: u64,
        len: u64,
    },
    #[error(
        "header checksum mismatch: the file says {stored:#010x}, the header and table give {computed:#010x}"
    )]
    HeaderChecksum { stored: u32, computed: u32 },
    #[error("section {index} has an empty name")]
    EmptyName { index: usize },
    #[error("section {index}'s name is not UTF-8")]
    NameNotUtf8 { index: usize },
    #[error("section {index}'s name is {len} bytes long; the format allows at most 65535")]
    NameTooLong { index: usize, len: usize },
    #[error("two sections are named `{0}`")]
    DuplicateName(String),
    #[error("section `{name}` ({length} bytes at byte {offset}) lies outside the {len}-byte file")]
    SectionOutOfBounds {
        name: String,
        offset: u64,
        length: u64,
        len: u64,
    },
    #[error("section `{name}` starts at byte {offset}; the layout puts it at byte {expected}")]
    Misplaced {
        name: String,
        offset: u64,
        expected: u64,
    },
    #[error("{count} unexpected bytes after the last section")]
    TrailingBytes { count: u64 },
    #[error(
        "section `{name}` checksum mismatch: the table says {stored:#010x}, its bytes give {computed:#010x}"
    )]
    SectionChecksum {
        name: String,
        stored: u32,
        computed: u32,
    },
}

impl Container {
    /// An empty container.
    pub fn new(kind: ContainerKind, chip: u32) -> Self {
        Container {
            kind,
            chip,
            sections: Vec::new(),
        }
    }

    /// The bytes of a section, by name.
    pub fn section(&self, name: &str) -> Option<&[u8]> {
        self.sections
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.data.as_slice())
    }

    /// Whether `bytes` start with the container's magic. This is a quick test of the file
    /// type, not a validation: use [`Container::from_bytes`] for that.
    pub fn is_container(bytes: &[u8]) -> bool {
        bytes.starts_with(&MAGIC)
    }

    /// The file's bytes. The same container always gives the same bytes. A container that
    /// breaks the format's rules (an empty, over-long or repeated name, too many sections, a
    /// chip container with chip 0) is refused, so every file written here reads back.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ContainerError> {
        self.validate()?;
        let table_len: usize = self.sections.iter().map(|s| ENTRY_LEN + s.name.len()).sum();
        let data_start = HEADER_LEN + table_len + CRC_LEN;
        let data_len: usize = self.sections.iter().map(|s| s.data.len()).sum();
        let mut out = Vec::with_capacity(data_start + data_len);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.push(self.kind.code());
        out.extend_from_slice(&self.chip.to_le_bytes());
        // validate() bounds the count by MAX_SECTIONS and each name by u16::MAX.
        out.extend_from_slice(&(self.sections.len() as u32).to_le_bytes());
        let mut offset = data_start as u64;
        for s in &self.sections {
            out.extend_from_slice(&(s.name.len() as u16).to_le_bytes());
            out.extend_from_slice(s.name.as_bytes());
            out.extend_from_slice(&offset.to_le_bytes());
            out.extend_from_slice(&(s.data.len() as u64).to_le_bytes());
            out.extend_from_slice(&crc32fast::hash(&s.data).to_le_bytes());
            offset += s.data.len() as u64;
        }
        let header_crc = crc32fast::hash(&out);
        out.extend_from_slice(&header_crc.to_le_bytes());
        for s in &self.sections {
            out.extend_from_slice(&s.data);
        }
        debug_assert_eq!(out.len(), data_start + data_len);
        Ok(out)
    }

    /// Read a container. Refuses every file that [`Container::to_bytes`] would not write
    /// (see the rules in `container.md`). Never panics, and allocates no more than the
    /// input's length implies.
    pub fn from_bytes(bytes: &[u8]) -> Result<Container, ContainerError> {
        let len = bytes.len() as u64;
        if bytes.len() < MAGIC.len() {
            return Err(if MAGIC.starts_with(bytes) {
                ContainerError::Truncated {
                    what: "the header",
                    needed: HEADER_LEN as u64,
                    len,
                }
            } else {
                ContainerError::BadMagic
            });
        }
        let mut r = Reader { bytes, pos: 0 };
        if r.take(MAGIC.len(), "the header")? != MAGIC {
            return Err(ContainerError::BadMagic);
        }
        if bytes.len() < MAGIC.len() + 2 {
            return Err(ContainerError::Truncated {
                what: "the header",
                needed: HEADER_LEN as u64,
                len,
            });
        }
        let version = r.u16("the header")?;
        if version != FORMAT_VERSION {
            return Err(ContainerError::UnsupportedVersion(version));
        }
        if bytes.len() < HEADER_LEN {
            return Err(ContainerError::Truncated {
                what: "the header",
                needed: HEADER_LEN as u64,
                len,
            });
        }
        let kind_code = r.u8("the header")?;
        let chip = r.u32("the header")?;
        let count = r.u32("the header")?;
        if count > MAX_SECTIONS {
            return Err(ContainerError::TooManySections {
                count: u64::from(count),
            });
        }
        // Every entry holds at least a one-byte name: check that the table can fit before
        // allocating room for it.
        let min_table = u64::from(count) * (ENTRY_LEN as u64 + 1);
        let min_len = HEADER_LEN as u64 + min_table + CRC_LEN as u64;
        if min_len > len {
            return Err(ContainerError::Truncated {
                what: "the section table",
                needed: min_len,
                len,
            });
        }
        let mut entries = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let name_len = usize::from(r.u16("the section table")?);
            let name = r.take(name_len, "the section table")?;
            let offset = r.u64("the section table")?;
            let length = r.u64("the section table")?;
            let crc = r.u32("the section table")?;
            entries.push(Entry {
                name,
                offset,
                length,
                crc,
            });
        }
        let table_end = r.pos;
        let stored = r.u32("the header checksum")?;
        let computed = crc32fast::hash(&bytes[..table_end]);
        if stored != computed {
            return Err(ContainerError::HeaderChecksum { stored, computed });
        }

        let kind =
            ContainerKind::from_code(kind_code).ok_or(ContainerError::UnknownKind(kind_code))?;
        if kind == ContainerKind::Chip && chip == 0 {
            return Err(ContainerError::MissingChip);
        }
        let mut names = Vec::with_capacity(entries.len());
        let mut seen = HashSet::with_capacity(entries.len());
        for (index, e) in entries.iter().enumerate() {
            if e.name.is_empty() {
                return Err(ContainerError::EmptyName { index });
            }
            let name =
                std::str::from_utf8(e.name).map_err(|_| ContainerError::NameNotUtf8 { index })?;
            if !seen.insert(name) {
                return Err(ContainerError::DuplicateName(name.to_string()));
            }
            names.push(name);
        }

        let mut expected = r.pos as u64;
        let mut sections = Vec::with_capacity(entries.len());
        for (e, name) in entries.iter().zip(names) {
            if e.offset != expected {
                return Err(ContainerError::Misplaced {
                    name: name.to_string(),
                    offset: e.offset,
                    expected,
                });
            }
            let end = match e.offset.checked_add(e.length) {
                Some(end) if end <= len => end,
                _ => {
                    return Err(ContainerError::SectionOutOfBounds {
                        name: name.to_string(),
                        offset: e.offset,
                        length: e.length,
                        len,
                    });
                }
            };
            // Both bounds are at most `len`, which came from a usize.
            let data = &bytes[e.offset as usize..end as usize];
            let computed = crc32fast::hash(data);
            if computed != e.crc {
                return Err(ContainerError::SectionChecksum {
                    name: name.to_string(),
                    stored: e.crc,
                    computed,
                });
            }
            sections.push(Section::new(name, data));
            expected = end;
        }
        if expected != len {
            return Err(ContainerError::TrailingBytes {
                count: len - expected,
            });
        }
        Ok(Container {
            kind,
            chip,
            sections,
        })
    }

    /// The rules the writer shares with the reader.
    fn validate(&self) -> Result<(), ContainerError> {
        if self.kind == ContainerKind::Chip && self.chip == 0 {
            return Err(ContainerError::MissingChip);
        }
        if self.sections.len() > MAX_SECTIONS as usize {
            return Err(ContainerError::TooManySections {
                count: self.sections.len() as u64,
            });
        }
        let mut seen = HashSet::with_capacity(self.sections.len());
        for (index, s) in self.sections.iter().enumerate() {
            if s.name.is_empty() {
                return Err(ContainerError::EmptyName { index });
            }
            if s.name.len() > usize::from(u16::MAX) {
                return Err(ContainerError::NameTooLong {
                    index,
                    len: s.name.len(),
                });
            }
            if !seen.insert(s.name.as_str()) {
                return Err(ContainerError::DuplicateName(s.name.clone()));
            }
        }
        Ok(())
    }
}

/// A table entry as read, before its name is checked.
struct Entry<'a> {
    name: &'a [u8],
    offset: u64,
    length: u64,
    crc: u32,
}

/// A cursor that checks every read against the input's end.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ContainerError> {
        let truncated = || ContainerError::Truncated {
            what,
            needed: (self.pos as u64).saturating_add(n as u64),
            len: self.bytes.len() as u64,
        };
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let out = self.bytes.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], ContainerError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, ContainerError> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, ContainerError> {
        self.array(what).map(u16::from_le_bytes)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, ContainerError> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, ContainerError> {
        self.array(what).map(u64::from_le_bytes)
    }
}

#[cfg(test)]
mod tests;
