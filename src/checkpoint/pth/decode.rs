//! Storage bytes to tensor values: bounds of a strided view, gathering it into row-major
//! order, and widening each little-endian element to `f64`.
//!
//! Owns element decoding (including f16/bf16). Must not interpret pickles nor open files; it
//! is handed a [`TensorRef`] and the bytes of its storage.

use super::torch::{TensorRef, element_size};
use crate::checkpoint::DType;

#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The storage is shorter than the view reaches.
    TooSmall { have: u64, need: u64 },
    /// Size/stride/offset arithmetic overflows.
    Overflow,
}

/// Number of elements of a tensor of `size`, `None` on overflow.
pub fn numel(size: &[usize]) -> Option<usize> {
    size.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// The tensor's values in row-major order, honouring storage offset and strides.
pub fn materialize(t: &TensorRef, bytes: &[u8]) -> Result<Vec<f64>, DecodeError> {
    let dtype = t.storage.dtype;
    let esize = element_size(dtype);
    let count = numel(&t.size).ok_or(DecodeError::Overflow)?;
    let base = t
        .storage
        .view_offset
        .checked_add(t.offset)
        .ok_or(DecodeError::Overflow)?;
    if count == 0 {
        return Ok(Vec::new());
    }
    // Highest element index the view touches (every dim is ≥ 1 since count > 0).
    let mut last = base;
    for (&d, &s) in t.size.iter().zip(&t.stride) {
        let reach = d
            .saturating_sub(1)
            .checked_mul(s)
            .ok_or(DecodeError::Overflow)?;
        last = last.checked_add(reach).ok_or(DecodeError::Overflow)?;
    }
    let need = last
        .checked_add(1)
        .and_then(|n| n.checked_mul(esize))
        .ok_or(DecodeError::Overflow)?;
    let too_small = DecodeError::TooSmall {
        have: bytes.len() as u64,
        need: need as u64,
    };
    let data = bytes.get(..need).ok_or_else(|| too_small.clone())?;
    let element = |index: usize| -> Result<f64, DecodeError> {
        let start = index * esize;
        let chunk = data
            .get(start..start + esize)
            .ok_or_else(|| too_small.clone())?;
        Ok(widen(dtype, chunk))
    };

    let mut out = Vec::with_capacity(count);
    if is_row_major(&t.size, &t.stride) {
        for i in 0..count {
            out.push(element(base + i)?);
        }
        return Ok(out);
    }
    // Odometer over the multi-index; every position is ≤ `last`, so nothing overflows.
    let mut index = vec![0usize; t.size.len()];
    for _ in 0..count {
        let pos = base
            + index
                .iter()
                .zip(&t.stride)
                .map(|(i, s)| i * s)
                .sum::<usize>();
        out.push(element(pos)?);
        for (i, &d) in index.iter_mut().zip(&t.size).rev() {
            *i += 1;
            if *i < d {
                break;
            }
            *i = 0;
        }
    }
    Ok(out)
}

/// Whether `stride` is the row-major (C-contiguous) stride of `size` (size-1 dims ignored).
fn is_row_major(size: &[usize], stride: &[usize]) -> bool {
    let mut expected = 1usize;
    for (&d, &s) in size.iter().zip(stride).rev() {
        if d != 1 && s != expected {
            return false;
        }
        expected = expected.saturating_mul(d);
    }
    true
}

fn le<const N: usize>(chunk: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(chunk) {
        *o = *b;
    }
    out
}

/// One little-endian element of `dtype`, widened to `f64` (exact except for i64 beyond 2^53).
pub fn widen(dtype: DType, chunk: &[u8]) -> f64 {
    match dtype {
        DType::F32 => f64::from(f32::from_le_bytes(le(chunk))),
        DType::F64 => f64::from_le_bytes(le(chunk)),
        DType::F16 => f16_to_f64(u16::from_le_bytes(le(chunk))),
        DType::BF16 => f64::from(f32::from_bits(
            u32::from(u16::from_le_bytes(le(chunk))) << 16,
        )),
        DType::I64 => i64::from_le_bytes(le(chunk)) as f64,
        DType::I32 => f64::from(i32::from_le_bytes(le(chunk))),
        DType::I16 => f64::from(i16::from_le_bytes(le(chunk))),
        DType::I8 => f64::from(i8::from_le_bytes(le(chunk))),
        DType::U8 => f64::from(u8::from_le_bytes(le(chunk))),
        DType::Bool => f64::from(u8::from(le::<1>(chunk) != [0])),
    }
}

/// IEEE 754 binary16 to f64 (exact).
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::pth::torch::StorageRef;

    fn view(dtype: DType, offset: usize, size: &[usize], stride: &[usize]) -> TensorRef {
        TensorRef {
            storage: StorageRef {
                key: "0".into(),
                dtype,
                view_offset: 0,
            },
            offset,
            size: size.to_vec(),
            stride: stride.to_vec(),
        }
    }

    fn f32_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn contiguous_with_offset() {
        let bytes = f32_bytes(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = view(DType::F32, 1, &[2, 3], &[3, 1]);
        assert_eq!(
            materialize(&t, &bytes),
            Ok(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        );
    }

    #[test]
    fn transposed_view_is_gathered_row_major() {
        // Storage holds a 2x3 matrix; the view is its 3x2 transpose.
        let bytes = f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = view(DType::F32, 0, &[3, 2], &[1, 3]);
        assert_eq!(
            materialize(&t, &bytes),
            Ok(vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
        );
    }

    #[test]
    fn short_storage_is_reported_with_sizes() {
        let bytes = f32_bytes(&[1.0, 2.0]);
        let t = view(DType::F32, 0, &[4], &[1]);
        assert_eq!(
            materialize(&t, &bytes),
            Err(DecodeError::TooSmall { have: 8, need: 16 })
        );
    }

    #[test]
    fn overflowing_shape_is_an_error() {
        let t = view(DType::F32, 0, &[usize::MAX, 2], &[1, 1]);
        assert_eq!(materialize(&t, &[]), Err(DecodeError::Overflow));
    }

    #[test]
    fn narrow_types_widen_exactly() {
        assert_eq!(widen(DType::F16, &0x3c00u16.to_le_bytes()), 1.0);
        assert_eq!(widen(DType::F16, &0xc000u16.to_le_bytes()), -2.0);
        assert_eq!(widen(DType::F16, &0x0001u16.to_le_bytes()), 2f64.powi(-24));
        assert_eq!(widen(DType::BF16, &0x3f80u16.to_le_bytes()), 1.0);
        assert_eq!(widen(DType::I8, &[0xff]), -1.0);
        assert_eq!(widen(DType::Bool, &[7]), 1.0);
        assert_eq!(widen(DType::I64, &(-5i64).to_le_bytes()), -5.0);
    }
}
