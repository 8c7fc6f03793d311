//! NumPy `.npy` reading and writing: sample data, expected outputs, izer intermediate logs.
//!
//! Owns dtype widening, byte order, Fortran-order transposition and the multi-record files
//! izer appends with repeated `np.save`. Must not interpret the arrays (layouts, layers).

use super::atomic::write_bytes_atomic;
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use npyz::{DType, NpyFile, NpyHeader, Order, TypeChar, TypeStr, WriteOptions, WriterBuilder};
use std::io;
use std::path::Path;
use thiserror::Error;

/// Errors name the file (and the record, in multi-record files) and fit on one line.
#[derive(Debug, Error)]
pub enum NpyError {
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
    #[error("{file}: not a valid .npy file ({reason})")]
    NotNpy { file: String, reason: String },
    #[error("{file}: truncated: {reason}")]
    Truncated { file: String, reason: String },
    #[error("{file}: dtype {dtype} is not {expected}")]
    WrongDtype {
        file: String,
        dtype: String,
        expected: &'static str,
    },
    #[error("{file}: dtype {dtype} is not supported (plain numeric or bool arrays only)")]
    Unsupported { file: String, dtype: String },
    #[error("{file}: shape {shape} has rank {rank}, expected rank {allowed}")]
    WrongRank {
        file: String,
        shape: String,
        rank: usize,
        allowed: String,
    },
    #[error("{file}: {reason}")]
    BadData { file: String, reason: String },
}

/// One array of a `.npy` file, integers widened to i64 (u64 only if every value fits).
#[derive(Debug, Clone, PartialEq)]
pub enum NpyRecord {
    I64(ArrayD<i64>),
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
    Bool(ArrayD<bool>),
}

impl NpyRecord {
    pub fn shape(&self) -> &[usize] {
        match self {
            NpyRecord::I64(a) => a.shape(),
            NpyRecord::F32(a) => a.shape(),
            NpyRecord::F64(a) => a.shape(),
            NpyRecord::Bool(a) => a.shape(),
        }
    }
}

/// Python-style shape: `(1, 28, 28)`, `(5,)`, `()`.
fn shape_str(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// NumPy's name of a plain dtype (`int64`, `float32`, `bool`), else its type string.
fn dtype_name(ts: &TypeStr) -> String {
    let bits = ts.size_field() * 8;
    match ts.type_char() {
        TypeChar::Int => format!("int{bits}"),
        TypeChar::Uint => format!("uint{bits}"),
        TypeChar::Float => format!("float{bits}"),
        TypeChar::Complex => format!("complex{bits}"),
        TypeChar::Bool => "bool".to_string(),
        _ => ts.to_string(),
    }
}

/// Checks npyz cannot be made to over-allocate, overflow or recurse deeply on this header.
fn prescan(buf: &[u8], file: &str) -> Result<(), NpyError> {
    if buf.len() < 12 || !buf.starts_with(b"\x93NUMPY") {
        return Ok(()); // npyz reports the missing magic or the short file
    }
    let (start, len) = match buf[6] {
        1 => (10usize, usize::from(u16::from_le_bytes([buf[8], buf[9]]))),
        _ => (
            12,
            u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]) as usize,
        ),
    };
    let Some(text) = buf.get(start..start.saturating_add(len)) else {
        let reason = format!("header of {len} bytes, {} left", buf.len() - start);
        return Err(NpyError::Truncated {
            file: file.into(),
            reason,
        });
    };
    let not_npy = |reason: &str| NpyError::NotNpy {
        file: file.into(),
        reason: reason.into(),
    };
    let mut depth = 0usize;
    for &c in text {
        depth = match c {
            b'(' | b'[' | b'{' => depth + 1,
            b')' | b']' | b'}' => depth.saturating_sub(1),
            _ => depth,
        };
        if depth > 16 {
            return Err(not_npy("header nests too deeply"));
        }
    }
    let text = String::from_utf8_lossy(text);
    if let Some(dims) = text.split("shape").nth(1).and_then(|s| s.split(')').next()) {
        let product = dims
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|d| d.parse::<u64>().ok())
            .filter(|&d| d != 0)
            .try_fold(1u64, u64::checked_mul);
        if product.is_none_or(|p| usize::try_from(p).is_err()) {
            return Err(not_npy("shape too large"));
        }
    }
    Ok(())
}

fn build<T>(
    shape: &[usize],
    order: Order,
    values: Vec<T>,
    file: &str,
) -> Result<ArrayD<T>, NpyError>
where
    T: Clone,
{
    let bad = |e: ndarray::ShapeError| NpyError::BadData {
        file: file.into(),
        reason: e.to_string(),
    };
    Ok(match order {
        Order::C => ArrayD::from_shape_vec(IxDyn(shape), values).map_err(bad)?,
        Order::Fortran => ArrayD::from_shape_vec(IxDyn(shape).f(), values)
            .map_err(bad)?
            .as_standard_layout()
            .into_owned(),
    })
}

type Input<'a, 'b> = NpyFile<&'a mut &'b [u8]>;

fn values<T: npyz::Deserialize>(npy: Input, file: &str) -> Result<Vec<T>, NpyError> {
    npy.into_vec().map_err(|e| NpyError::BadData {
        file: file.into(),
        reason: e.to_string(),
    })
}

fn ints<T>(npy: Input, file: &str) -> Result<Vec<i64>, NpyError>
where
    T: npyz::Deserialize + Copy + std::fmt::Display,
    i64: TryFrom<T>,
{
    let out_of_range = |v: T| NpyError::BadData {
        file: file.into(),
        reason: format!("value {v} does not fit in int64"),
    };
    values::<T>(npy, file)?
        .into_iter()
        .map(|v| i64::try_from(v).map_err(|_| out_of_range(v)))
        .collect()
}

/// A parsed header whose data is known to be present in full: what [`read_record`] and
/// [`read_u8`] share.
struct Header {
    header: NpyHeader,
    ts: TypeStr,
    dtype: String,
    shape: Vec<usize>,
    item: usize,
}

/// Parses the header at the start of `buf` (advancing past it) and checks the data is all there.
fn read_header(buf: &mut &[u8], file: &str) -> Result<Header, NpyError> {
    prescan(buf, file)?;
    let header = NpyHeader::from_reader(&mut *buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => NpyError::Truncated {
            file: file.into(),
            reason: "incomplete header".into(),
        },
        _ => NpyError::NotNpy {
            file: file.into(),
            reason: e.to_string(),
        },
    })?;
    let ts = match header.dtype() {
        DType::Plain(ts) => ts,
        other => {
            return Err(NpyError::Unsupported {
                file: file.into(),
                dtype: other.descr(),
            });
        }
    };
    let dtype = dtype_name(&ts);
    // `prescan` bounded the element count, so these conversions and products cannot overflow.
    let shape: Vec<usize> = header.shape().iter().map(|&d| d as usize).collect();
    let Some(item) = ts.num_bytes().filter(|_| !ts.uses_pickled_array()) else {
        return Err(NpyError::Unsupported {
            file: file.into(),
            dtype,
        });
    };
    let needed = (header.len() as u128) * (item as u128);
    if needed > buf.len() as u128 {
        let reason = format!(
            "{dtype} data of shape {} needs {needed} bytes, {} left",
            shape_str(&shape),
            buf.len()
        );
        return Err(NpyError::Truncated {
            file: file.into(),
            reason,
        });
    }
    Ok(Header {
        header,
        ts,
        dtype,
        shape,
        item,
    })
}

/// Reads the record at the start of `buf` and advances `buf` past it. Returns the record and
/// the name of the dtype it was stored with.
fn read_record(buf: &mut &[u8], file: &str) -> Result<(NpyRecord, String), NpyError> {
    let Header {
        header,
        ts,
        dtype,
        shape,
        item,
    } = read_header(buf, file)?;
    let unsupported = || NpyError::Unsupported {
        file: file.into(),
        dtype: dtype.clone(),
    };
    let order = header.order();
    let npy = NpyFile::with_header(header, &mut *buf);
    let int = |v: Vec<i64>| build(&shape, order, v, file).map(NpyRecord::I64);
    let record = match (ts.type_char(), item) {
        (TypeChar::Int, 1) => int(ints::<i8>(npy, file)?)?,
        (TypeChar::Int, 2) => int(ints::<i16>(npy, file)?)?,
        (TypeChar::Int, 4) => int(ints::<i32>(npy, file)?)?,
        (TypeChar::Int, 8) => int(ints::<i64>(npy, file)?)?,
        (TypeChar::Uint, 1) => int(ints::<u8>(npy, file)?)?,
        (TypeChar::Uint, 2) => int(ints::<u16>(npy, file)?)?,
        (TypeChar::Uint, 4) => int(ints::<u32>(npy, file)?)?,
        (TypeChar::Uint, 8) => int(ints::<u64>(npy, file)?)?,
        (TypeChar::Float, 4) => NpyRecord::F32(build(&shape, order, values(npy, file)?, file)?),
        (TypeChar::Float, 8) => NpyRecord::F64(build(&shape, order, values(npy, file)?, file)?),
        (TypeChar::Bool, 1) => NpyRecord::Bool(build(&shape, order, values(npy, file)?, file)?),
        _ => return Err(unsupported()),
    };
    Ok((record, dtype))
}

fn read_file(path: &Path) -> Result<Vec<u8>, NpyError> {
    std::fs::read(path).map_err(|source| NpyError::Io {
        file: path.display().to_string(),
        source,
    })
}

/// Reads the (first) array of a `.npy` file.
fn read_first(path: &Path) -> Result<(NpyRecord, String), NpyError> {
    let bytes = read_file(path)?;
    read_record(&mut bytes.as_slice(), &path.display().to_string())
}

/// Reads an integer array of any integer dtype, byte order and memory order as i64.
pub fn read_i64(path: &Path) -> Result<ArrayD<i64>, NpyError> {
    match read_first(path)? {
        (NpyRecord::I64(a), _) => Ok(a),
        (_, dtype) => Err(NpyError::WrongDtype {
            file: path.display().to_string(),
            dtype,
            expected: "an integer type (expected int64 data)",
        }),
    }
}

/// [`read_i64`], also requiring the rank to be one of `allowed_ranks`.
pub fn read_i64_with_rank(path: &Path, allowed_ranks: &[usize]) -> Result<ArrayD<i64>, NpyError> {
    let a = read_i64(path)?;
    if allowed_ranks.contains(&a.ndim()) {
        return Ok(a);
    }
    let allowed: Vec<_> = allowed_ranks.iter().map(|r| r.to_string()).collect();
    Err(NpyError::WrongRank {
        file: path.display().to_string(),
        shape: shape_str(a.shape()),
        rank: a.ndim(),
        allowed: allowed.join(" or "),
    })
}

/// Reads a `uint8` array (images) without widening it.
pub fn read_u8(path: &Path) -> Result<ArrayD<u8>, NpyError> {
    let bytes = read_file(path)?;
    let file = path.display().to_string();
    let mut buf = bytes.as_slice();
    let h = read_header(&mut buf, &file)?;
    if (h.ts.type_char(), h.item) != (TypeChar::Uint, 1) {
        return Err(NpyError::WrongDtype {
            file,
            dtype: h.dtype,
            expected: "uint8",
        });
    }
    let order = h.header.order();
    let npy = NpyFile::with_header(h.header, &mut buf);
    build(&h.shape, order, values(npy, &file)?, &file)
}

/// Reads a float32/float64 or integer array as f32 (float64 and wide integers are rounded).
pub fn read_f32(path: &Path) -> Result<ArrayD<f32>, NpyError> {
    match read_first(path)? {
        (NpyRecord::F32(a), _) => Ok(a),
        (NpyRecord::F64(a), _) => Ok(a.mapv(|v| v as f32)),
        (NpyRecord::I64(a), _) => Ok(a.mapv(|v| v as f32)),
        (NpyRecord::Bool(_), dtype) => Err(NpyError::WrongDtype {
            file: path.display().to_string(),
            dtype,
            expected: "a numeric type (expected float32 data)",
        }),
    }
}

/// Reads a float array (float32, or float64 rounded to float32); integer and boolean arrays
/// are refused naming their dtype.
pub fn read_float(path: &Path) -> Result<ArrayD<f32>, NpyError> {
    match read_first(path)? {
        (NpyRecord::F32(a), _) => Ok(a),
        (NpyRecord::F64(a), _) => Ok(a.mapv(|v| v as f32)),
        (_, dtype) => Err(NpyError::WrongDtype {
            file: path.display().to_string(),
            dtype,
            expected: "float32 or float64",
        }),
    }
}

/// Reads every record of a file written by repeated `np.save` calls on one handle.
pub fn read_all_records(path: &Path) -> Result<Vec<NpyRecord>, NpyError> {
    let bytes = read_file(path)?;
    let mut buf = bytes.as_slice();
    let mut records = Vec::new();
    while !buf.is_empty() || records.is_empty() {
        let file = match records.len() {
            0 => path.display().to_string(),
            n => format!("{} record {n}", path.display()),
        };
        records.push(read_record(&mut buf, &file)?.0);
    }
    Ok(records)
}

/// One `.npy` record in memory (C order, little-endian).
fn encode<T: npyz::Serialize + Copy>(a: &ArrayD<T>, descr: &str) -> io::Result<Vec<u8>> {
    let ts: TypeStr = descr
        .parse()
        .map_err(|e| io::Error::other(format!("{e}")))?;
    let shape: Vec<u64> = a.shape().iter().map(|&d| d as u64).collect();
    let mut bytes = Vec::new();
    let mut w = WriteOptions::new()
        .dtype(DType::Plain(ts))
        .shape(&shape)
        .writer(&mut bytes)
        .begin_nd()?;
    w.extend(a.iter().copied())?;
    w.finish()?;
    Ok(bytes)
}

fn write<T: npyz::Serialize + Copy>(
    path: &Path,
    a: &ArrayD<T>,
    descr: &str,
) -> Result<(), NpyError> {
    let io_err = |source| NpyError::Io {
        file: path.display().to_string(),
        source,
    };
    let bytes = encode(a, descr).map_err(io_err)?;
    write_bytes_atomic(path, &bytes).map_err(io_err)
}

/// Writes several records back to back in one file (as repeated `np.save` on one handle
/// does; izer's `--log-intermediate` files), atomically.
pub fn write_records(path: &Path, records: &[NpyRecord]) -> Result<(), NpyError> {
    let io_err = |source| NpyError::Io {
        file: path.display().to_string(),
        source,
    };
    let mut bytes = Vec::new();
    for r in records {
        bytes.extend(
            match r {
                NpyRecord::I64(a) => encode(a, "<i8"),
                NpyRecord::F32(a) => encode(a, "<f4"),
                NpyRecord::F64(a) => encode(a, "<f8"),
                NpyRecord::Bool(a) => encode(a, "|b1"),
            }
            .map_err(io_err)?,
        );
    }
    write_bytes_atomic(path, &bytes).map_err(io_err)
}

/// Writes a C-order little-endian int64 `.npy` file atomically.
pub fn write_i64(path: &Path, a: &ArrayD<i64>) -> Result<(), NpyError> {
    write(path, a, "<i8")
}

/// Writes a C-order uint8 `.npy` file atomically.
pub fn write_u8(path: &Path, a: &ArrayD<u8>) -> Result<(), NpyError> {
    write(path, a, "|u1")
}

/// The bytes of a C-order little-endian float32 `.npy` file (for a folder written at once,
/// [`crate::io::atomic::write_dir_atomic`]).
pub fn f32_bytes(a: &ArrayD<f32>) -> io::Result<Vec<u8>> {
    encode(a, "<f4")
}

/// Writes a C-order little-endian float32 `.npy` file atomically.
pub fn write_f32(path: &Path, a: &ArrayD<f32>) -> Result<(), NpyError> {
    write(path, a, "<f4")
}
