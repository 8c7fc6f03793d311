//! Reading a `SAMPLE_OUTPUT` define back (izer's or ours), splitting it into runs, and
//! comparing two arrays run by run.
//!
//! Owns the run structure and the parser's error reports. Must not build arrays
//! (`render.rs`) or know where values come from (`entries.rs`).

use super::{KatError, KatMismatch, RunHeader};

/// One run of a `SAMPLE_OUTPUT` array: `values` are expected at `address`, `address + 4`, …
/// after ANDing the memory word with `mask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run<'a> {
    pub address: u32,
    pub mask: u32,
    pub values: &'a [u32],
}

impl Run<'_> {
    pub fn header(&self) -> RunHeader {
        RunHeader {
            address: self.address,
            mask: self.mask,
            count: self.values.len() as u32,
        }
    }
}

/// What is wrong with an array's run structure; indices are word positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    NoTerminator,
    PastEnd {
        index: usize,
        address: u32,
        count: u32,
        left: usize,
    },
    Trailing {
        index: usize,
    },
}

/// Walks the runs of an array; yields one error and stops when the structure breaks.
struct RunIter<'a> {
    words: &'a [u32],
    pos: usize,
    done: bool,
}

impl<'a> RunIter<'a> {
    fn new(words: &'a [u32]) -> Self {
        RunIter {
            words,
            pos: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for RunIter<'a> {
    type Item = Result<Run<'a>, Broken>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let w = self.words;
        let pos = self.pos;
        let fail = |me: &mut Self, b| {
            me.done = true;
            Some(Err(b))
        };
        match w.get(pos) {
            None => return fail(self, Broken::NoTerminator),
            Some(0) if pos + 1 == w.len() => {
                self.done = true;
                return None;
            }
            Some(0) => return fail(self, Broken::Trailing { index: pos + 1 }),
            Some(_) => {}
        }
        let [address, mask, count] = match w.get(pos..pos + 3) {
            Some(&[a, m, c]) => [a, m, c],
            _ => return fail(self, Broken::NoTerminator),
        };
        let left = w.len() - (pos + 3);
        if count as usize > left {
            return fail(
                self,
                Broken::PastEnd {
                    index: pos,
                    address,
                    count,
                    left,
                },
            );
        }
        let end = pos + 3 + count as usize;
        self.pos = end;
        Some(Ok(Run {
            address,
            mask,
            values: &w[pos + 3..end],
        }))
    }
}

/// The runs of a well-formed `SAMPLE_OUTPUT` array (terminator excluded), or `None` when the
/// structure is broken (use [`parse_sample_output`] for a report on text).
pub fn runs(words: &[u32]) -> Option<Vec<Run<'_>>> {
    RunIter::new(words).collect::<Result<_, _>>().ok()
}

/// The first `SAMPLE_OUTPUT` define of a header file, as words, checked to be a well-formed
/// run list ending in the 0 terminator. `file` names the file in errors.
pub fn parse_sample_output(text: &str, file: &str) -> Result<Vec<u32>, KatError> {
    let file = file.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let (start, rest) = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| define_body(strip_comment(l)).map(|r| (i, r)))
        .ok_or_else(|| KatError::NoDefine { file: file.clone() })?;

    // Words with the 1-based line each came from.
    let mut words: Vec<(u32, usize)> = Vec::new();
    let mut open = false;
    let mut closed_at = None;
    let pieces = std::iter::once((start, rest))
        .chain((start + 1..lines.len()).map(|i| (i, strip_comment(lines[i]))));
    for (i, piece) in pieces {
        let line = i + 1;
        let mut piece = piece.trim();
        if !open {
            if piece.is_empty() || piece == "\\" {
                continue;
            }
            match piece.strip_prefix('{') {
                Some(p) => {
                    open = true;
                    piece = p;
                }
                None => {
                    return Err(KatError::Malformed {
                        file,
                        line,
                        token: piece.to_string(),
                    });
                }
            }
        }
        let (body, closes) = match piece.split_once('}') {
            Some((b, _)) => (b, true),
            None => (piece, false),
        };
        let body = body.trim().trim_end_matches('\\');
        let tokens: Vec<&str> = body.split(',').map(str::trim).collect();
        for (k, token) in tokens.iter().enumerate() {
            // An empty piece is allowed only after the last comma of a line.
            if token.is_empty() && (k + 1 == tokens.len()) {
                continue;
            }
            let value = number(token).ok_or_else(|| KatError::Malformed {
                file: file.clone(),
                line,
                token: token.to_string(),
            })?;
            words.push((value, line));
        }
        if closes {
            closed_at = Some(line);
            break;
        }
    }
    let closed_at = closed_at.ok_or(KatError::Unclosed {
        file: file.clone(),
        line: lines.len(),
    })?;

    let values: Vec<u32> = words.iter().map(|w| w.0).collect();
    let line_of = |index: usize| words.get(index).map_or(closed_at, |w| w.1);
    for run in RunIter::new(&values) {
        match run {
            Ok(_) => {}
            Err(Broken::NoTerminator) => {
                return Err(KatError::NoTerminator {
                    file,
                    line: closed_at,
                });
            }
            Err(Broken::PastEnd {
                index,
                address,
                count,
                left,
            }) => {
                return Err(KatError::RunPastEnd {
                    file,
                    line: line_of(index),
                    address,
                    count,
                    left,
                });
            }
            Err(Broken::Trailing { index }) => {
                return Err(KatError::Trailing {
                    file,
                    line: line_of(index),
                });
            }
        }
    }
    Ok(values)
}

/// The text after `#define SAMPLE_OUTPUT`, if `line` is that define.
fn define_body(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix('#')?.trim_start();
    let rest = rest.strip_prefix("define")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start().strip_prefix("SAMPLE_OUTPUT")?;
    match rest.chars().next() {
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => None,
        _ => Some(rest),
    }
}

fn strip_comment(line: &str) -> &str {
    line.split_once("//").map_or(line, |(code, _)| code)
}

/// A C integer literal that fits 32 bits: hexadecimal (`0x…`) or decimal, optional `u`/`U`.
fn number(token: &str) -> Option<u32> {
    let t = token.trim_end_matches(['u', 'U']);
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()
        }
        Some(_) => None,
        None if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => t.parse().ok(),
        None => None,
    }
}

/// Compare two `SAMPLE_OUTPUT` arrays run by run: the number of values checked, or the first
/// difference. A value difference names the data word's address; runs that cover different
/// memory, or arrays of different length or broken structure, are reported as such.
pub fn compare(expected: &[u32], actual: &[u32]) -> Result<usize, KatMismatch> {
    let length = || KatMismatch::Length {
        expected_values: value_count(expected),
        expected_words: expected.len(),
        actual_values: value_count(actual),
        actual_words: actual.len(),
    };
    let mut checked = 0;
    let (mut e, mut a) = (RunIter::new(expected), RunIter::new(actual));
    for run in 0.. {
        match (e.next(), a.next()) {
            (None, None) => break,
            (Some(Ok(x)), Some(Ok(y))) => {
                if x.header() != y.header() {
                    return Err(KatMismatch::Run {
                        run,
                        expected: x.header(),
                        actual: y.header(),
                    });
                }
                let differs = x.values.iter().zip(y.values).position(|(p, q)| p != q);
                if let Some(i) = differs {
                    return Err(KatMismatch::Value {
                        address: x.address.wrapping_add(4 * i as u32),
                        expected: x.values[i],
                        actual: y.values[i],
                    });
                }
                checked += x.values.len();
            }
            _ => return Err(length()),
        }
    }
    Ok(checked)
}

/// Values in the well-formed runs of an array.
fn value_count(words: &[u32]) -> usize {
    RunIter::new(words)
        .map_while(Result::ok)
        .map(|r| r.values.len())
        .sum()
}
