//! MAX78000 register programming against izer's golden `cnn.c` for the five reference
//! networks: the register writes of `cnn_init()`, `cnn_configure()` and `cnn_start()` (address
//! and value, in order) are the same.

mod common;

use qtool::device::ai8x::{MAX78000, RegWrite, RegisterOptions, register_program};
use qtool::emit::ai8x::cnn_c::register_options;

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
        &ours(&program.init_writes()),
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

/// `--fast-fifo` (RISC-V): the same program as `--fifo` except the fast FIFO's control writes
/// instead of the FIFO control register, and the fast-FIFO bits (22; 23 when the fast FIFO
/// serves processor 0 alone or with its quad) in the enables of the quadrant that takes the
/// input.
#[test]
fn fast_fifo_changes_only_the_fifo_writes_and_enable_bits() {
    let Some(g) = common::golden("mnist") else {
        return;
    };
    let fifo = RegisterOptions {
        fifo: true,
        ..RegisterOptions::default()
    };
    let fast = RegisterOptions {
        fast_fifo: true,
        ..fifo
    };
    let a = register_program(&g.built.graph, &MAX78000, &fifo).unwrap();
    let b = register_program(&g.built.graph, &MAX78000, &fast).unwrap();
    assert_eq!(a.init, b.init);
    assert_eq!(a.layers, b.layers);
    assert_eq!(
        b.fifo_control
            .iter()
            .map(|w| (w.addr, w.value))
            .collect::<Vec<_>>(),
        vec![(0x400c_0408, 0), (0x400c_0400, 0xa0)]
    );
    assert_eq!(b.enables[0].value, a.enables[0].value | 1 << 22 | 1 << 23);
    assert_eq!(&b.enables[1..], &a.enables[1..]);
    assert_eq!(b.master.value, a.master.value | 1 << 22 | 1 << 23);

    // kws20_v3 feeds 128 HWC channels: more than the fast FIFO takes.
    let Some(k) = common::golden("kws20_v3") else {
        return;
    };
    let e = register_program(&k.built.graph, &MAX78000, &fast).unwrap_err();
    assert_eq!((e.layer, e.key), (0, "in_channels"), "{e}");
}
