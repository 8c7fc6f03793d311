//! Self-tests of the host-compiled C equivalence harness (`tests/common/c_harness.rs`,
//! `tests/c/`) on the five izer reference projects: the register image of each golden `cnn.c`
//! equals the words its text writes, `main.c` makes the expected calls, and altered copies make
//! the comparisons fail with the right address / call.
mod common;

use common::c_harness::{self, RegisterImage, RegisterRun};
use std::path::{Path, PathBuf};

const PROJECTS: [&str; 5] = ["mnist", "cifar-10", "kws20_v3", "camvid_unet", "cats-dogs"];

/// The golden folder of reference project `name`, or `None` (after a loud SKIPPED line) when
/// the reference data or `gcc` is absent.
fn golden(name: &str) -> Option<PathBuf> {
    let dir = common::reference_dir()?.join(name).join("golden");
    c_harness::gcc_available().then_some(dir)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex(s: &str) -> u32 {
    u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap()
}

/// The body of `int <name>(...)` in `cnn.c`.
fn function_body<'a>(cnn_c: &'a str, name: &str) -> &'a str {
    let start = cnn_c
        .find(&format!("\nint {name}("))
        .unwrap_or_else(|| panic!("{name} not in cnn.c"));
    let body = &cnn_c[start..];
    &body[..body.find("\n}\n").unwrap()]
}

/// Plain register stores `*((volatile uint32_t *) 0xA) = 0xV;` of a function body, in order.
fn stores(body: &str) -> Vec<(u32, u32)> {
    body.lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("*((volatile uint32_t *) ")?;
            let (addr, rest) = rest.split_once(") = ")?;
            let value = rest.split(';').next()?;
            Some((hex(addr), hex(value)))
        })
        .collect()
}

/// What the harness must produce, worked out from the text of `cnn.c` and `weights.h`: the
/// stores of `cnn_init`, `cnn_configure`, the `KERNELS` chunks (each a "set address" byte 0x01
/// at `addr | 1`, then its words from `addr` on), the bias bytes copied by `cnn_load_bias`
/// (one byte per word) and the stores of `cnn_start`; and the store log of the kernel chunks.
fn run_from_text(dir: &Path) -> RegisterRun {
    let cnn_c = read(&dir.join("cnn.c"));
    let weights_h = read(&dir.join("weights.h"));
    let mut image = RegisterImage::new();
    let mut weight_writes = Vec::new();
    for (addr, value) in stores(function_body(&cnn_c, "cnn_init")) {
        image.insert(addr, value);
    }
    for (addr, value) in stores(function_body(&cnn_c, "cnn_configure")) {
        image.insert(addr, value);
    }
    let kernels = c_harness::c_array_define(&weights_h, "KERNELS").unwrap();
    let mut k = kernels.iter().copied();
    while let Some(addr) = k.next().filter(|&a| a != 0) {
        let word = image.entry(addr).or_insert(0);
        *word = (*word & !0xff00) | 0x0100;
        weight_writes.push((addr, *word));
        let len = k.next().unwrap();
        for i in 0..len {
            let store = (addr + 4 * i, k.next().unwrap());
            image.insert(store.0, store.1);
            weight_writes.push(store);
        }
    }
    for line in function_body(&cnn_c, "cnn_load_bias").lines() {
        // memcpy_8to32((uint32_t *) 0x50108000, bias_0, sizeof(uint8_t) * 10);
        let Some(rest) = line.trim().strip_prefix("memcpy_8to32((uint32_t *) ") else {
            continue;
        };
        let parts: Vec<&str> = rest.split(", ").collect();
        let addr = hex(parts[0]);
        let count = parts[2].trim_end_matches(");").rsplit(' ').next().unwrap();
        let name = parts[1].to_uppercase();
        let bytes = c_harness::c_array_define(&weights_h, &name).unwrap();
        assert_eq!(bytes.len(), count.parse::<usize>().unwrap(), "{name}");
        for (i, b) in bytes.into_iter().enumerate() {
            image.insert(addr + 4 * i as u32, b);
        }
    }
    for (addr, value) in stores(function_body(&cnn_c, "cnn_start")) {
        image.insert(addr, value);
    }
    image.retain(|_, v| *v != 0);
    RegisterRun {
        image,
        weight_writes,
    }
}

#[test]
fn golden_register_images_are_the_words_cnn_c_writes() {
    for name in PROJECTS {
        let Some(dir) = golden(name) else { return };
        let run = c_harness::register_run(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = run_from_text(&dir);
        assert!(
            expected.image.len() > 1000,
            "{name}: {}",
            expected.image.len()
        );
        assert!(!run.weight_writes.is_empty(), "{name}: no store log");
        if let Err(e) = c_harness::compare_runs(&expected, &run) {
            panic!("{name}: harness image differs from the text of cnn.c\n{e}");
        }
    }
}

#[test]
fn mnist_register_image_known_words() {
    let Some(dir) = golden("mnist") else { return };
    let run = c_harness::register_run(&dir).unwrap();
    let image = &run.image;
    let word = |a: u32| image.get(&a).copied().unwrap_or(0);
    assert_eq!(word(0x5010_0010), 0x0001_001d, "layer 0 rows");
    assert_eq!(
        word(0x5010_0000),
        0x0010_0009,
        "quadrant 0 master enable (cnn_start)"
    );
    assert_eq!(
        word(0x5050_0000),
        0x0010_0809,
        "quadrant 1 enable (cnn_start)"
    );
    assert_eq!(word(0x5010_0008), 0x0000_0004, "layer count");
    // BIAS_0 = { 0x16, 0x1c, 0xe4, ... }, one byte per word.
    assert_eq!(
        [word(0x5010_8000), word(0x5010_8004), word(0x5010_8008)],
        [0x16, 0x1c, 0xe4]
    );
    assert_eq!(word(0x5010_8028), 0, "only 10 bias bytes");
    // The first KERNELS chunk: 0x50180000, 0x87 words starting 0x33110429, 0xf6ea2cf4. On
    // plain memory the next chunk (0x50180200) overwrites its words from #128 on; the store
    // log has them all, after the "set address" byte 0x01 at 0x50180001.
    let kernels = c_harness::c_array_define(&read(&dir.join("weights.h")), "KERNELS").unwrap();
    assert_eq!(kernels[..2], [0x5018_0000, 0x87]);
    assert_eq!(kernels[2 + 0x87], 0x5018_0200);
    for i in 0..0x80 {
        assert_eq!(
            word(0x5018_0000 + 4 * i),
            kernels[2 + i as usize],
            "kernel word {i}"
        );
    }
    assert_eq!(word(0x5018_0000), 0x3311_0429);
    assert_eq!(run.weight_writes[0], (0x5018_0000, 0x0000_0100));
    for i in 0..0x87 {
        let store = (0x5018_0000 + 4 * i, kernels[2 + i as usize]);
        assert_eq!(run.weight_writes[1 + i as usize], store, "kernel store {i}");
    }
    // No input data: cnn.c does not load it.
    assert_eq!(word(0x5040_0000), 0);
}

#[test]
fn changed_register_value_is_reported_by_address() {
    let Some(dir) = golden("mnist") else { return };
    let copy = c_harness::copy_project(&dir);
    let cnn_c = read(&copy.path().join("cnn.c"));
    let line = "*((volatile uint32_t *) 0x50100010) = 0x0001001d; // Rows";
    assert_eq!(cnn_c.matches(line).count(), 1);
    let altered = cnn_c.replace(
        line,
        "*((volatile uint32_t *) 0x50100010) = 0x0001001c; // Rows",
    );
    std::fs::write(copy.path().join("cnn.c"), altered).unwrap();

    let golden_image = c_harness::register_image(&dir).unwrap();
    let altered_image = c_harness::register_image(copy.path()).unwrap();
    let err = c_harness::compare_images(&golden_image, &altered_image).unwrap_err();
    assert!(err.starts_with("1 of "), "{err}");
    assert!(
        err.contains("0x50100010 (quadrant 0 layer 0 RCNT): expected 0x0001001d, got 0x0001001c"),
        "{err}"
    );
    // The assert helper (image and store log) fails too.
    let panicked = std::panic::catch_unwind(|| c_harness::assert_same_registers(&dir, copy.path()));
    assert!(panicked.is_err());
}

#[test]
fn kernel_and_bias_changes_are_reported() {
    let Some(dir) = golden("mnist") else { return };
    let copy = c_harness::copy_project(&dir);
    let weights_h = read(&copy.path().join("weights.h"));
    let altered = weights_h
        .replacen("0x16, 0x1c, 0xe4", "0x16, 0x1d, 0xe4", 1)
        .replacen("0x33110429", "0x33110428", 1);
    std::fs::write(copy.path().join("weights.h"), altered).unwrap();
    let err = c_harness::compare_images(
        &c_harness::register_image(&dir).unwrap(),
        &c_harness::register_image(copy.path()).unwrap(),
    )
    .unwrap_err();
    assert!(err.starts_with("2 of "), "{err}");
    assert!(
        err.contains("0x50108004 (quadrant 0 bias memory +0x0004)"),
        "{err}"
    );
    assert!(
        err.contains("0x50180000 (quadrant 0 kernel memory +0x00000)"),
        "{err}"
    );
}

#[test]
fn overwritten_kernel_words_are_reported_by_the_store_log() {
    let Some(dir) = golden("mnist") else { return };
    let copy = c_harness::copy_project(&dir);
    // Word #128 of the first chunk (0x50180200) is overwritten by the second chunk.
    let weights_h = read(&copy.path().join("weights.h"));
    assert_eq!(weights_h.matches("0x5d230fad").count(), 1);
    std::fs::write(
        copy.path().join("weights.h"),
        weights_h.replace("0x5d230fad", "0x5d230fae"),
    )
    .unwrap();
    let golden_run = c_harness::register_run(&dir).unwrap();
    let altered = c_harness::register_run(copy.path()).unwrap();
    assert_eq!(golden_run.image, altered.image, "hidden on plain memory");
    let err = c_harness::compare_runs(&golden_run, &altered).unwrap_err();
    assert!(err.contains("stores differ at store #129"), "{err}");
    assert!(
        err.contains("expected 0x5d230fad at 0x50180200 (quadrant 0 kernel memory +0x00200)"),
        "{err}"
    );
    assert!(err.contains("got      0x5d230fae at 0x50180200"), "{err}");
}

/// The calls that mark the API sequence: `cnn_*`, the functions of `main.c` and the softmax.
fn api_sequence(calls: &[String]) -> Vec<&str> {
    c_harness::call_names(calls)
        .into_iter()
        .filter(|n| {
            n.starts_with("cnn_")
                || n.starts_with("softmax")
                || ["load_input", "check_output", "fail"].contains(n)
        })
        .collect()
}

#[test]
fn golden_main_calls() {
    let classify = [
        "cnn_enable",
        "cnn_init",
        "cnn_load_weights",
        "cnn_load_bias",
        "cnn_configure",
        "load_input",
        "cnn_start",
        "check_output",
        "softmax_layer",
        "cnn_unload",
        "softmax_q17p14_q15",
        "cnn_disable",
    ];
    for name in PROJECTS {
        let Some(dir) = golden(name) else { return };
        let calls = c_harness::main_calls(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Vec<&str> = match name {
            // --no-unload, no --softmax
            "camvid_unet" => {
                let mut v = classify[..8].to_vec();
                v.push("cnn_disable");
                v
            }
            // --fifo: the input is streamed after the start
            "cats-dogs" => {
                let mut v = classify.to_vec();
                v.swap(5, 6);
                v
            }
            _ => classify.to_vec(),
        };
        assert_eq!(
            api_sequence(&calls),
            expected,
            "{name}:\n{}",
            calls.join("\n")
        );
        let banner = format!("printf(\"\\n*** CNN Inference Test {name} ***\\n\")");
        for must in [
            "MXC_ICC_Enable(MXC_ICC0)",
            "MXC_SYS_Clock_Select(MXC_SYS_CLOCK_IPO)",
            "MXC_Delay(2000000)",
            "cnn_enable(0x00000000, 0x00010000)",
            "MXC_LP_EnterSleepMode()",
            "printf(\"\\n*** PASS ***\\n\\n\")",
            &banner,
        ] {
            assert!(
                calls.iter().any(|c| c == must),
                "{name}: no {must}:\n{}",
                calls.join("\n")
            );
        }
    }
}

#[test]
fn mnist_main_calls_in_full_order() {
    let Some(dir) = golden("mnist") else { return };
    let calls = c_harness::main_calls(&dir).unwrap();
    let head: Vec<&str> = calls.iter().take(17).map(String::as_str).collect();
    assert_eq!(
        head,
        [
            "MXC_ICC_Enable(MXC_ICC0)",
            "MXC_SYS_Clock_Select(MXC_SYS_CLOCK_IPO)",
            "SystemCoreClockUpdate()",
            "printf(\"Waiting...\\n\")",
            "MXC_Delay(2000000)",
            "cnn_enable(0x00000000, 0x00010000)",
            "printf(\"\\n*** CNN Inference Test mnist ***\\n\")",
            "cnn_init()",
            "cnn_load_weights()",
            "cnn_load_bias()",
            "cnn_configure()",
            "load_input()",
            "memcpy32(0x50400000, <196 words, fnv1a 0xf7d7ac8d>, 196)",
            "cnn_start()",
            "MXC_LP_EnterSleepMode()",
            "check_output()",
            "softmax_layer()",
        ]
    );
    assert_eq!(
        calls.last().unwrap(),
        "printf(\"[      0] -> Class 9: 10.0%\\n\")"
    );
    c_harness::assert_same_calls(&dir, &dir);
}

#[test]
fn fifo_input_polls_the_mapped_status_register() {
    // cats-dogs streams 16384 words through FIFO 0, polling 0x50000004 before each.
    let Some(dir) = golden("cats-dogs") else {
        return;
    };
    let calls = c_harness::main_calls(&dir).unwrap();
    assert!(!calls.iter().any(|c| c.starts_with("memcpy32")));
}

#[test]
fn reordered_main_calls_are_reported() {
    let Some(dir) = golden("mnist") else { return };
    let copy = c_harness::copy_project(&dir);
    let main_c = read(&copy.path().join("main.c"));
    let (w, b) = (
        "  cnn_load_weights(); // Load kernels\n",
        "  cnn_load_bias();\n",
    );
    let altered = main_c.replacen(&format!("{w}{b}"), &format!("{b}{w}"), 1);
    assert_ne!(altered, main_c);
    std::fs::write(copy.path().join("main.c"), altered).unwrap();
    let err = c_harness::compare_calls(
        &c_harness::main_calls(&dir).unwrap(),
        &c_harness::main_calls(copy.path()).unwrap(),
    )
    .unwrap_err();
    assert!(
        err.contains("at call #8") && err.contains("expected #8: cnn_load_weights()"),
        "{err}"
    );
    assert!(err.contains("got      #8: cnn_load_bias()"), "{err}");
}

#[test]
fn fail_and_spin_wait_do_not_hang() {
    let Some(dir) = golden("mnist") else { return };
    let copy = c_harness::copy_project(&dir);
    let main_c = read(&copy.path().join("main.c"));
    let sleep = "    MXC_LP_EnterSleepMode(); // Wait for CNN\n";
    assert!(main_c.contains(sleep));

    // A spin wait (`--no-wfi`) still sees the accelerator finish.
    std::fs::write(copy.path().join("main.c"), main_c.replace(sleep, "    ;\n")).unwrap();
    let spin = c_harness::main_calls(copy.path()).unwrap();
    let golden_calls = c_harness::main_calls(&dir).unwrap();
    let without_sleep: Vec<String> = golden_calls
        .iter()
        .filter(|c| *c != "MXC_LP_EnterSleepMode()")
        .cloned()
        .collect();
    assert_eq!(spin, without_sleep);

    // fail() loops forever on the device; the harness stops and reports it.
    let failing = main_c.replace("  cnn_start(); // Start CNN processing\n", "  fail();\n");
    std::fs::write(copy.path().join("main.c"), failing).unwrap();
    let err = c_harness::main_calls(copy.path()).unwrap_err();
    assert!(err.contains("main.c called fail()"), "{err}");
    assert!(err.contains("load_input()"), "{err}");
}

#[test]
fn describe_address_names_the_memories() {
    use c_harness::describe_address as d;
    assert_eq!(d(0x5000_0004), "FIFO_STAT");
    assert_eq!(d(0x5000_1000), "AON_CTL");
    assert_eq!(d(0x5050_0000), "quadrant 1 CTL");
    assert_eq!(d(0x50d0_0a10 + 4 * 3), "quadrant 3 layer 3 LCTL2");
    assert_eq!(d(0x5090_8010), "quadrant 2 bias memory +0x0010");
    assert_eq!(d(0x5058_0004), "quadrant 1 kernel memory +0x00004");
    assert_eq!(d(0x5040_0700), "quadrant 0 data memory +0x00700");
    assert_eq!(d(0x5101_8000), "quadrant 3 data memory +0x18000");
}
