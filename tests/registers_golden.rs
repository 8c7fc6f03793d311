//! MAX78000 register programming against izer's golden `cnn.c` for the five reference
//! networks: the register writes of `cnn_init()`, `cnn_configure()` and `cnn_start()` (address
//! and value, in order) are the same.

mod common;

use qtool::device::max78000::{MAX78000, RegWrite, register_program};
use qtool::emit::max78000::cnn_c::register_options;

/// `(address, value)` of every `*((volatile uint32_t *) A) = V;` line inside C function `name`.
fn golden_writes(cnn_c: &str, name: &str) -> Vec<(u32, u32)> {
    let start = cnn_c
        .find(&format!("int {name}(void)\n{{"))
        .unwrap_or_else(|| panic!("{name} missing"));
    let body = &cnn_c[start..];
    let body = &body[..body.find("\n}\n").unwrap()];
    body.lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("*((volatile uint32_t *) 0x")?;
            let (addr, rest) = rest.split_once(") = 0x")?;
            let value = rest.split(';').next()?;
            Some((
                u32::from_str_radix(addr, 16).ok()?,
                u32::from_str_radix(value, 16).ok()?,
            ))
        })
        .collect()
}

fn ours(writes: &[RegWrite]) -> Vec<(u32, u32)> {
    writes
        .iter()
        .filter(|w| w.emitted())
        .map(|w| (w.addr, w.value))
        .collect()
}

fn compare(network: &str, what: &str, a: &[(u32, u32)], b: &[(u32, u32)]) {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(
            x, y,
            "{network} {what}: write #{i} is {:08x} = {:08x}, izer writes {:08x} = {:08x}",
            x.0, x.1, y.0, y.1
        );
    }
    assert_eq!(a.len(), b.len(), "{network} {what}: number of writes");
}

fn check(network: &str) {
    let Some(g) = common::golden(network) else {
        return;
    };
    let opts = common::golden_options(network, &g.read("CMD.txt"));
    let program = register_program(&g.built.graph, &MAX78000, &register_options(&opts))
        .unwrap_or_else(|e| panic!("{network}: {e}"));
    let golden = g.read("cnn.c");
    compare(
        network,
        "cnn_init",
        &ours(&program.init),
        &golden_writes(&golden, "cnn_init"),
    );
    let mut configure: Vec<RegWrite> = program
        .layers
        .iter()
        .flat_map(|b| b.writes.clone())
        .collect();
    configure.extend(program.fifo_control);
    compare(
        network,
        "cnn_configure",
        &ours(&configure),
        &golden_writes(&golden, "cnn_configure"),
    );
    let mut start = program.enables.clone();
    start.push(program.master);
    compare(
        network,
        "cnn_start",
        &ours(&start),
        &golden_writes(&golden, "cnn_start"),
    );
}

golden_tests!(check);
