//! GTI's coefficient text files, `filter.txt` and `bias.txt` (gti.md §4.3): one number per
//! line, written as C's `printf("%.16e\n", x)` writes it. Seventeen significant digits
//! identify every f64 exactly, so the files read back to the same bits.

use std::fmt::Write as _;
use thiserror::Error;

/// Why a coefficient text file could not be read. Line numbers start at 1.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CoefTextError {
    #[error("{file}:{line}: `{text}` is not a number")]
    NotANumber {
        file: String,
        line: usize,
        text: String,
    },
    #[error("{file}:{line}: `{text}` is not a finite number")]
    NonFinite {
        file: String,
        line: usize,
        text: String,
    },
    #[error("{file}:{line}: empty line")]
    EmptyLine { file: String, line: usize },
}

/// `x` as C's `printf("%.16e", x)` prints it: one digit, a point, 16 digits, `e`, the
/// exponent's sign and at least two exponent digits (`2.2656250000000000e-01`,
/// `-0.0000000000000000e+00`). The digits are rounded to nearest, ties to even, from the
/// exact binary value, as glibc does. Non-finite values come out as glibc prints them
/// (`inf`, `-inf`, `nan`, `-nan`), which [`read_values`] refuses.
pub fn format_value(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    // Rust prints the same correctly rounded digits, but the exponent as `e-1` or `e5`.
    let rust = format!("{x:.16e}");
    let (mantissa, exponent) = rust.split_once('e').unwrap_or((&rust, "0"));
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(digits) => ('-', digits),
        None => ('+', exponent),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

/// A whole `filter.txt` or `bias.txt`: each value on its own line, every line ending in `\n`.
pub fn write_values(values: impl IntoIterator<Item = f64>) -> String {
    let mut out = String::new();
    for x in values {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{}", format_value(x));
    }
    out
}

/// Read a coefficient text file. `file` names it in errors. Each line holds one finite
/// decimal number, in `%.16e` form or any other form Rust's `f64` parser accepts. Spaces
/// around the number and a `\r` before the `\n` are allowed. The last line may omit its
/// `\n`. Empty lines, text that is not a number, infinities and NaNs are refused.
pub fn read_values(text: &str, file: &str) -> Result<Vec<f64>, CoefTextError> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Ok(Vec::new());
    }
    body.split('\n')
        .enumerate()
        .map(|(i, raw)| {
            let line = i + 1;
            let trimmed = raw.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r');
            if trimmed.is_empty() {
                return Err(CoefTextError::EmptyLine {
                    file: file.to_string(),
                    line,
                });
            }
            let shown = || snippet(trimmed);
            let value: f64 = trimmed.parse().map_err(|_| CoefTextError::NotANumber {
                file: file.to_string(),
                line,
                text: shown(),
            })?;
            if value.is_finite() {
                Ok(value)
            } else {
                Err(CoefTextError::NonFinite {
                    file: file.to_string(),
                    line,
                    text: shown(),
                })
            }
        })
        .collect()
}

/// At most 40 characters of a bad line, for an error message.
fn snippet(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values and what glibc's `printf("%.16e", x)` prints for them (checked with a C
    /// program compiled with gcc on x86-64 glibc).
    const KNOWN: &[(f64, &str)] = &[
        (0.2265625, "2.2656250000000000e-01"),
        (-1.0, "-1.0000000000000000e+00"),
        (0.0, "0.0000000000000000e+00"),
        (-0.0, "-0.0000000000000000e+00"),
        (1.0 / 3.0, "3.3333333333333331e-01"),
        (2.0 / 3.0, "6.6666666666666663e-01"),
        (1e-300, "1.0000000000000000e-300"),
        (123456.0, "1.2345600000000000e+05"),
        (0.1, "1.0000000000000001e-01"),
        (-0.1, "-1.0000000000000001e-01"),
        (1.0, "1.0000000000000000e+00"),
        (1e22, "1.0000000000000000e+22"),
        (1e23, "9.9999999999999992e+22"),
        (1e100, "1.0000000000000000e+100"),
        (-1e-5, "-1.0000000000000001e-05"),
        (5e-324, "4.9406564584124654e-324"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (f64::MAX, "1.7976931348623157e+308"),
        (466.0 / 2048.0, "2.2753906250000000e-01"),
        (-29.0 / 128.0, "-2.2656250000000000e-01"),
        (0.8984375, "8.9843750000000000e-01"),
        // Exact ties at the 17th digit: glibc rounds them to even.
        (12345678.0 + 1.0 / 1024.0, "1.2345678000976562e+07"),
        (12345678.0 + 3.0 / 1024.0, "1.2345678002929688e+07"),
        (9.5367431640625e-07, "9.5367431640625000e-07"),
        (31.96875, "3.1968750000000000e+01"),
        (1e16, "1.0000000000000000e+16"),
        (12.916666666666666, "1.2916666666666666e+01"),
        (-0.6458333333333334, "-6.4583333333333337e-01"),
        (6.0 / 31.0, "1.9354838709677419e-01"),
        (100.0, "1.0000000000000000e+02"),
        (1e-10, "1.0000000000000000e-10"),
    ];

    #[test]
    fn values_print_as_c_prints_them() {
        for &(x, c) in KNOWN {
            assert_eq!(format_value(x), c, "{x:e}");
        }
        assert_eq!(format_value(f64::INFINITY), "inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_value(f64::NAN), "nan");
        assert_eq!(
            write_values([0.2265625, -1.0, 0.0]),
            "2.2656250000000000e-01\n-1.0000000000000000e+00\n0.0000000000000000e+00\n"
        );
        assert_eq!(write_values(std::iter::empty()), "");
    }

    #[test]
    fn the_known_strings_read_back() {
        let text: String = KNOWN.iter().map(|(_, c)| format!("{c}\n")).collect();
        let back = read_values(&text, "filter.txt").unwrap();
        assert_eq!(back.len(), KNOWN.len());
        for (v, &(x, _)) in back.iter().zip(KNOWN) {
            assert_eq!(v.to_bits(), x.to_bits(), "{x:e}");
        }
    }

    #[test]
    fn write_then_read_gives_the_same_bits() {
        let mut values = vec![0.0, -0.0, f64::MAX, -f64::MAX, f64::MIN_POSITIVE, 5e-324];
        // Every k/2^s with s up to 12 and |k| up to 2^s·4, as quantized weights are.
        for s in 0..=12 {
            let scale = f64::from(1u32 << s);
            for k in -(4 << s)..=(4 << s) {
                values.push(f64::from(k) / scale);
            }
        }
        // Arbitrary bit patterns (xorshift64), the non-finite ones left out.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f64::from_bits(state);
            if x.is_finite() {
                values.push(x);
            }
        }
        let text = write_values(values.iter().copied());
        let back = read_values(&text, "bias.txt").unwrap();
        assert_eq!(back.len(), values.len());
        for (a, b) in values.iter().zip(&back) {
            assert_eq!(a.to_bits(), b.to_bits(), "{a:e} read back as {b:e}");
        }
        assert_eq!(write_values(back), text);
    }

    #[test]
    fn reading_is_lenient_about_layout_only() {
        assert_eq!(read_values("", "f").unwrap(), Vec::<f64>::new());
        assert_eq!(read_values("1.5", "f").unwrap(), [1.5]);
        assert_eq!(read_values(" 1.5 \r\n-2e3\n", "f").unwrap(), [1.5, -2000.0]);
        assert_eq!(
            read_values("1\n\n2\n", "bias.txt"),
            Err(CoefTextError::EmptyLine {
                file: "bias.txt".into(),
                line: 2
            })
        );
        assert_eq!(
            read_values("\n", "f"),
            Err(CoefTextError::EmptyLine {
                file: "f".into(),
                line: 1
            })
        );
        let err = read_values("1\n2\n1,5\n", "filter.txt").unwrap_err();
        assert_eq!(err.to_string(), "filter.txt:3: `1,5` is not a number");
        for junk in ["0x10", "1e", "--1", "1.0.0", "one", "1 2", "2.5e-01x"] {
            assert!(
                matches!(
                    read_values(junk, "f"),
                    Err(CoefTextError::NotANumber { line: 1, .. })
                ),
                "{junk}"
            );
        }
        for bad in ["inf", "-inf", "nan", "NaN", "infinity", "1e400", "-1e999"] {
            let err = read_values(&format!("0\n{bad}\n"), "filter.txt").unwrap_err();
            assert_eq!(
                err,
                CoefTextError::NonFinite {
                    file: "filter.txt".into(),
                    line: 2,
                    text: bad.into()
                }
            );
        }
        let long = "x".repeat(100);
        let err = read_values(&long, "f").unwrap_err().to_string();
        assert!(err.len() < 70, "{err}");
    }
}
