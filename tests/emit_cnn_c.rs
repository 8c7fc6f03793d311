//! `cnn.c` against izer's golden files for the five reference networks: the same functions,
//! each with the same C statements in the same order (comments and blank lines aside).

mod common;

use qtool::emit::max78000::{ProjectOptions, cnn_c};
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

fn check(network: &str, opts: ProjectOptions) {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let (_, yaml, ckpt, sample) = common::reference_networks()
        .into_iter()
        .find(|n| n.0 == network)
        .unwrap();
    let (built, _) = common::load_reference(&yaml, &ckpt, &sample);
    let golden = std::fs::read_to_string(dir.join(network).join("golden/cnn.c")).unwrap();
    let g = functions(&golden);
    let ours = cnn_c(&built.graph, &opts).unwrap_or_else(|e| panic!("{network}: {e}"));
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

fn opts(prefix: &str) -> ProjectOptions {
    ProjectOptions {
        prefix: prefix.into(),
        timer: Some(0),
        ..ProjectOptions::default()
    }
}

#[test]
fn mnist() {
    check(
        "mnist",
        ProjectOptions {
            softmax: true,
            ..opts("mnist")
        },
    );
}

#[test]
fn cifar_10() {
    check(
        "cifar-10",
        ProjectOptions {
            softmax: true,
            ..opts("cifar-10")
        },
    );
}

#[test]
fn kws20_v3() {
    check(
        "kws20_v3",
        ProjectOptions {
            softmax: true,
            ..opts("kws20_v3")
        },
    );
}

#[test]
fn camvid_unet() {
    check(
        "camvid_unet",
        ProjectOptions {
            mlator: true,
            unload: false,
            ..opts("camvid_unet")
        },
    );
}

#[test]
fn cats_dogs() {
    check(
        "cats-dogs",
        ProjectOptions {
            fifo: true,
            softmax: true,
            ..opts("cats-dogs")
        },
    );
}
