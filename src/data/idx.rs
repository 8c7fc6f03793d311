//! IDX files (the container of MNIST and Fashion-MNIST), raw or gzip-compressed.
//!
//! Owns the IDX header, gzip detection by magic bytes (`1f 8b`) and every size check: nothing
//! is allocated beyond what both the header promises and the file actually holds. Must not know
//! which data set a file belongs to (file names and class counts come from the caller).

use super::DataError;
use super::image_set::check_labels;
use flate2::read::MultiGzDecoder;
use ndarray::Array3;
use std::fs::File;
use std::io::{self, Cursor, ErrorKind, Read};
use std::path::Path;

/// Magic number of an IDX file of unsigned bytes with 3 dimensions: images `[N, rows, cols]`.
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension: labels `[N]`.
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// An open IDX file: its name for errors and a reader of its (decompressed) bytes.
struct Source {
    file: String,
    gzip: bool,
    len: u64,
    reader: Box<dyn Read>,
}

impl Source {
    fn open(path: &Path) -> Result<Self, DataError> {
        let file = path.display().to_string();
        let io_err = |source| DataError::Io {
            file: file.clone(),
            source,
        };
        let mut f = File::open(path).map_err(io_err)?;
        let len = f.metadata().map_err(io_err)?.len();
        let mut head = Vec::with_capacity(2);
        (&mut f).take(2).read_to_end(&mut head).map_err(io_err)?;
        let gzip = head == [0x1f, 0x8b];
        if !gzip && path.extension().is_some_and(|e| e == "gz") {
            let found = match head.as_slice() {
                [] => "no bytes at all".to_string(),
                h => h
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            return Err(DataError::NotGzip { file, found });
        }
        let raw = Cursor::new(head).chain(f);
        let reader: Box<dyn Read> = match gzip {
            true => Box::new(MultiGzDecoder::new(raw)),
            false => Box::new(raw),
        };
        Ok(Source {
            file,
            gzip,
            len,
            reader,
        })
    }

    fn read_error(&self, source: io::Error) -> DataError {
        match self.gzip {
            true => DataError::CorruptGzip {
                file: self.file.clone(),
                reason: source.to_string(),
            },
            false => DataError::Io {
                file: self.file.clone(),
                source,
            },
        }
    }

    /// Reads up to `n` bytes, fewer only at the end of the data. The buffer starts at
    /// `capacity` and grows only with the bytes actually read.
    fn read_up_to(&mut self, n: u64, capacity: usize) -> Result<Vec<u8>, DataError> {
        let mut buf = Vec::with_capacity(capacity);
        match (&mut self.reader).take(n).read_to_end(&mut buf) {
            Ok(_) => Ok(buf),
            Err(e) => Err(self.read_error(e)),
        }
    }

    fn truncated(&self, what: String, needed: u128, present: usize) -> DataError {
        DataError::Truncated {
            file: self.file.clone(),
            what,
            needed,
            present: present as u64,
        }
    }

    /// Reads the magic number and `ndim` big-endian dimensions.
    fn header(
        &mut self,
        magic: u32,
        ndim: usize,
        what: &'static str,
    ) -> Result<Vec<u32>, DataError> {
        let size = 4 + 4 * ndim;
        let head = self.read_up_to(size as u64, size)?;
        let word = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        if head.len() < 4 {
            return Err(self.truncated("the IDX header".into(), size as u128, head.len()));
        }
        if word(0) != magic {
            return Err(DataError::WrongMagic {
                file: self.file.clone(),
                found: word(0),
                expected: magic,
                what,
            });
        }
        if head.len() < size {
            return Err(self.truncated("the IDX header".into(), size as u128, head.len()));
        }
        Ok((0..ndim).map(|d| word(4 + 4 * d)).collect())
    }

    /// Reads exactly the `needed` data bytes the header promised, then checks that the file
    /// ends there (which also makes the gzip decoder verify its checksum).
    fn body(&mut self, needed: u128, what: String) -> Result<Vec<u8>, DataError> {
        let n = u64::try_from(needed).unwrap_or(u64::MAX);
        let capacity = needed.min(u128::from(self.len)).min(isize::MAX as u128) as usize;
        let data = self.read_up_to(n, capacity)?;
        if (data.len() as u128) < needed {
            return Err(self.truncated(what, needed, data.len()));
        }
        let mut one = [0u8; 1];
        loop {
            match self.reader.read(&mut one) {
                Ok(0) => return Ok(data),
                Ok(_) => {
                    return Err(DataError::TrailingData {
                        file: self.file.clone(),
                        needed: n,
                    });
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.read_error(e)),
            }
        }
    }
}

/// Reads an IDX images file (magic `0x00000803`): `[N, rows, cols]` bytes.
pub fn read_images(path: &Path) -> Result<Array3<u8>, DataError> {
    let mut src = Source::open(path)?;
    let dims = src.header(IMAGES_MAGIC, 3, "IDX u8 images [N, rows, cols]")?;
    let [n, rows, cols] = [dims[0], dims[1], dims[2]].map(|d| d as usize);
    let needed = dims.iter().map(|&d| u128::from(d)).product();
    let data = src.body(needed, format!("{n} images of {rows}x{cols}"))?;
    Array3::from_shape_vec((n, rows, cols), data).map_err(|e| DataError::Io {
        file: src.file.clone(),
        source: io::Error::new(ErrorKind::InvalidData, e.to_string()),
    })
}

/// Reads an IDX labels file (magic `0x00000801`) whose labels must all be `< classes`.
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<u8>, DataError> {
    let mut src = Source::open(path)?;
    let dims = src.header(LABELS_MAGIC, 1, "IDX u8 labels [N]")?;
    let labels = src.body(u128::from(dims[0]), format!("{} labels", dims[0]))?;
    check_labels(path, &labels, classes)?;
    Ok(labels)
}
