//! A host FC layer's `.bin` file (gti.md §4.4): little-endian i32 `in_size`, i32 `out_size`,
//! then `out·in` f32 weights row-major `[out][in]`, then `out` f32 biases; nothing else.

use thiserror::Error;

/// One fully connected layer as the host runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct FcLayer {
    pub inputs: usize,
    pub outputs: usize,
    /// `[out][in]` row-major.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FcBinError {
    #[error("{0} bytes: too short for the two size fields (8 bytes)")]
    Short(usize),
    #[error("negative size {0}")]
    Negative(i32),
    #[error("{inputs}→{outputs} needs {expected} bytes, the file has {got}")]
    Length {
        inputs: usize,
        outputs: usize,
        expected: usize,
        got: usize,
    },
    #[error("{what} has {got} values, {inputs}→{outputs} needs {expected}")]
    Values {
        what: &'static str,
        inputs: usize,
        outputs: usize,
        expected: usize,
        got: usize,
    },
    #[error("{0} is too large for the format's 32-bit size fields")]
    TooLarge(usize),
}

/// The bytes of `fc`'s `.bin` file.
pub fn fc_bin(fc: &FcLayer) -> Result<Vec<u8>, FcBinError> {
    let check = |what, got: usize, expected: usize| {
        if got == expected {
            Ok(())
        } else {
            Err(FcBinError::Values {
                what,
                inputs: fc.inputs,
                outputs: fc.outputs,
                expected,
                got,
            })
        }
    };
    check(
        "the weight matrix",
        fc.weights.len(),
        fc.inputs * fc.outputs,
    )?;
    check("the bias", fc.bias.len(), fc.outputs)?;
    let size = |n: usize| i32::try_from(n).map_err(|_| FcBinError::TooLarge(n));
    let mut out = Vec::with_capacity(8 + 4 * (fc.weights.len() + fc.bias.len()));
    out.extend(size(fc.inputs)?.to_le_bytes());
    out.extend(size(fc.outputs)?.to_le_bytes());
    for v in fc.weights.iter().chain(&fc.bias) {
        out.extend(v.to_le_bytes());
    }
    Ok(out)
}

/// Read a `.bin` file's bytes back; the length must match its sizes exactly.
pub fn read_fc_bin(bytes: &[u8]) -> Result<FcLayer, FcBinError> {
    let int = |at: usize| -> Result<usize, FcBinError> {
        let v = i32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        usize::try_from(v).map_err(|_| FcBinError::Negative(v))
    };
    if bytes.len() < 8 {
        return Err(FcBinError::Short(bytes.len()));
    }
    let (inputs, outputs) = (int(0)?, int(4)?);
    let values = inputs
        .checked_mul(outputs)
        .and_then(|w| w.checked_add(outputs));
    let expected = values
        .and_then(|v| v.checked_mul(4))
        .and_then(|b| b.checked_add(8));
    if expected != Some(bytes.len()) {
        return Err(FcBinError::Length {
            inputs,
            outputs,
            expected: expected.unwrap_or(usize::MAX),
            got: bytes.len(),
        });
    }
    let floats: Vec<f32> = bytes[8..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    let (weights, bias) = floats.split_at(inputs * outputs);
    Ok(FcLayer {
        inputs,
        outputs,
        weights: weights.to_vec(),
        bias: bias.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_to_three_layer_is_44_bytes_and_reads_back() {
        let fc = FcLayer {
            inputs: 2,
            outputs: 3,
            weights: vec![1.0, -2.0, 0.5, 0.25, -0.125, 3.0],
            bias: vec![0.1, 0.2, -0.3],
        };
        let bytes = fc_bin(&fc).unwrap();
        assert_eq!(bytes.len(), 44);
        assert_eq!(&bytes[..8], &[2, 0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(&bytes[8..12], &1.0f32.to_le_bytes());
        let back = read_fc_bin(&bytes).unwrap();
        assert_eq!(back, fc);
        assert_eq!(fc_bin(&back).unwrap(), bytes);
    }

    #[test]
    fn malformed_files_are_refused() {
        assert_eq!(read_fc_bin(&[1, 0, 0]), Err(FcBinError::Short(3)));
        let mut b = fc_bin(&FcLayer {
            inputs: 1,
            outputs: 1,
            weights: vec![1.0],
            bias: vec![0.0],
        })
        .unwrap();
        b.push(0);
        assert!(matches!(
            read_fc_bin(&b),
            Err(FcBinError::Length { got: 17, .. })
        ));
        let huge = [0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f];
        assert!(matches!(read_fc_bin(&huge), Err(FcBinError::Length { .. })));
        let neg = [0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0];
        assert_eq!(read_fc_bin(&neg), Err(FcBinError::Negative(-1)));
        let bad = FcLayer {
            inputs: 2,
            outputs: 1,
            weights: vec![1.0],
            bias: vec![0.0],
        };
        assert!(matches!(fc_bin(&bad), Err(FcBinError::Values { .. })));
    }
}
