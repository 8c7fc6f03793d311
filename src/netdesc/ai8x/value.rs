//! Reading typed values out of YAML nodes the way izer interprets them (hex-string processor
//! maps, Python truthiness for booleans, scalar-or-pair dimensions).
//!
//! Owns value conversion only; which key means what is decided in `layer.rs`/`desc.rs`.

use crate::device::ai8x::ProcessorMask;
use serde_yaml::Value;

/// Short description of a YAML value's type for error messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// An integer (YAML int; booleans are rejected).
pub fn int(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("expected an integer, found {n}")),
        other => Err(format!("expected an integer, found {}", kind(other))),
    }
}

/// A non-negative integer that fits `usize`.
pub fn count(v: &Value) -> Result<usize, String> {
    let i = int(v)?;
    usize::try_from(i).map_err(|_| format!("expected a non-negative integer, found {i}"))
}

/// A non-negative integer that fits `u32`.
pub fn uint(v: &Value) -> Result<u32, String> {
    let i = int(v)?;
    u32::try_from(i).map_err(|_| format!("expected a non-negative integer below 2^32, found {i}"))
}

/// A string value.
pub fn string(v: &Value) -> Result<&str, String> {
    v.as_str()
        .ok_or_else(|| format!("expected a string, found {}", kind(v)))
}

/// Python truthiness, as izer applies `bool()` to YAML values. Returns the value and whether
/// it was given as a string (a likely mistake: `"false"` is true).
pub fn truthy(v: &Value) -> Result<(bool, bool), String> {
    Ok(match v {
        Value::Null => (false, false),
        Value::Bool(b) => (*b, false),
        Value::Number(n) => (n.as_f64().is_some_and(|f| f != 0.0), false),
        Value::String(s) => (!s.is_empty(), true),
        Value::Sequence(s) => (!s.is_empty(), false),
        Value::Mapping(m) => (!m.is_empty(), false),
        Value::Tagged(_) => return Err("expected a boolean, found a tagged value".into()),
    })
}

/// A 64-processor map: an integer or a hex string (dots and underscores ignored, optional
/// `0x`), from 1 to 2^64 − 1.
pub fn processor_mask(v: &Value) -> Result<ProcessorMask, String> {
    let raw: u128 = match v {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u128::from(u),
            (None, Some(i)) => return Err(format!("processor map {i} is negative")),
            _ => return Err(format!("expected an integer or hex string, found {n}")),
        },
        Value::String(s) => {
            let cleaned: String = s.chars().filter(|c| *c != '.' && *c != '_').collect();
            let digits = cleaned
                .trim()
                .trim_start_matches("0x")
                .trim_start_matches("0X");
            if digits.is_empty() || digits.len() > 32 {
                return Err(format!("`{s}` is not a hexadecimal processor map"));
            }
            u128::from_str_radix(digits, 16)
                .map_err(|_| format!("`{s}` is not a hexadecimal processor map"))?
        }
        other => {
            return Err(format!(
                "expected an integer or hex string, found {}",
                kind(other)
            ));
        }
    };
    match u64::try_from(raw) {
        Ok(0) => Err("processor map must not be zero".into()),
        Ok(m) => Ok(ProcessorMask(m)),
        Err(_) => Err(format!(
            "processor map 0x{raw:x} has more than 64 bits (MAX78000 has 64 processors)"
        )),
    }
}

/// An integer or a list of one or two integers, as a pair (`n` → `[n, n]`).
pub fn pair(v: &Value) -> Result<[usize; 2], String> {
    match v {
        Value::Sequence(items) => match items.as_slice() {
            [a] => Ok([count(a)?, count(a)?]),
            [a, b] => Ok([count(a)?, count(b)?]),
            _ => Err(format!(
                "expected one or two integers, found a list of {}",
                items.len()
            )),
        },
        other => {
            let n = count(other)?;
            Ok([n, n])
        }
    }
}

/// An integer (`L` → `[L, 1]`) or a list of one or two integers (izer `in_dim`, `dim`).
pub fn dim(v: &Value) -> Result<[usize; 2], String> {
    match v {
        Value::Sequence(items) => match items.as_slice() {
            [a] => Ok([count(a)?, 1]),
            [a, b] => Ok([count(a)?, count(b)?]),
            _ => Err(format!(
                "expected an integer or a list of at most two integers, found {} entries",
                items.len()
            )),
        },
        other => Ok([count(other)?, 1]),
    }
}
