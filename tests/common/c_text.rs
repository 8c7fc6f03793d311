//! C text normalised for comparison with izer's files (test support): code without comments
//! or layout, split into statements or lines, and the operation-summary comment.
#![allow(dead_code)]

/// `text` without comments, whitespace runs collapsed to one space.
pub fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').map_or("", |i| &r[i..]);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |i| &r[i + 2..]);
        } else if let Some(r) = rest.strip_prefix('"') {
            // String literal, copied whole.
            let end = r.find('"').unwrap();
            out.push('"');
            out.push_str(&r[..=end]);
            rest = &r[end + 1..];
        } else {
            let ch = rest.chars().next().unwrap();
            out.push(ch);
            rest = &rest[ch.len_utf8()..];
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Statements of normalized code, split after `;`, `{` and `}` (for readable diffs).
pub fn statements(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in code.chars() {
        cur.push(ch);
        if matches!(ch, ';' | '{' | '}') {
            out.push(cur.trim().to_string());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The `/* SUMMARY OF OPS … */` block of a file.
pub fn summary_block(text: &str) -> &str {
    let start = text.find("/*\n  SUMMARY OF OPS").expect("summary block");
    let end = start + text[start..].find("*/\n").unwrap() + 3;
    &text[start..end]
}

/// Lines of code without comments, whitespace-normalized, blank lines dropped.
pub fn code_lines(text: &str) -> Vec<String> {
    let mut no_block = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("/*") {
        no_block.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    no_block.push_str(rest);
    no_block
        .lines()
        .map(code)
        .filter(|l| !l.is_empty())
        .collect()
}
