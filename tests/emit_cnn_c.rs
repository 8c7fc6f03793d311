//! `cnn.c` against izer's golden files for the five reference networks: the same functions,
//! each with the same C statements in the same order (comments and blank lines aside).

mod common;

use qtool::emit::ai8x::cnn_c;
use std::collections::BTreeMap;

/// Function name → its statements (one per line, comments and blank lines removed).
fn functions(c: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, Vec<String>)> = None;
    let mut prev = "";
    for line in c.lines() {
        if line == "{" {
            let name = prev
                .split('(')
                .next()
                .unwrap_or("")
                .rsplit(' ')
                .next()
                .unwrap_or("");
            current = Some((name.trim_start_matches('*').to_string(), Vec::new()));
        } else if line == "}" {
            if let Some((n, body)) = current.take() {
                out.insert(n, body);
            }
        } else if let Some((_, body)) = current.as_mut() {
            let code = line.split("//").next().unwrap_or("").trim();
            if !code.is_empty() {
                body.push(code.to_string());
            }
        }
        prev = line;
    }
    out
}

fn check(network: &str) {
    let Some(gold) = common::golden(network) else {
        return;
    };
    let opts = common::golden_options(network, &gold.read("CMD.txt"));
    let golden = gold.read("cnn.c");
    let g = functions(&golden);
    let ours = cnn_c(&gold.built.graph, &opts).unwrap_or_else(|e| panic!("{network}: {e}"));
    let o = functions(&ours);
    assert_eq!(
        o.keys().collect::<Vec<_>>(),
        g.keys().collect::<Vec<_>>(),
        "{network}: functions"
    );
    for (name, body) in &g {
        for (i, (a, b)) in o[name].iter().zip(body).enumerate() {
            assert_eq!(a, b, "{network}: {name}, statement {i}");
        }
        assert_eq!(o[name].len(), body.len(), "{network}: {name} length");
    }
    // Top-level declarations and includes in the same order.
    let top = |c: &str| -> Vec<String> {
        c.lines()
            .filter(|l| l.starts_with("#include") || l.starts_with("static const"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(top(&ours), top(&golden), "{network}: declarations");
}

golden_tests!(check);
