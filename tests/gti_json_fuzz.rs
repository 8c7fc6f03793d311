//! Deterministic mutation fuzzing of the two GTI JSON readers, `ChipNetwork::from_json` and
//! `FullModel::from_json`. The seeds are the examples of gti.md §4.1 and §4.2, plus every
//! `*.json` file under `networks/`. The mutations are byte flips, truncations, inserted JSON
//! tokens, deleted or duplicated keys and elements, unknown keys, huge and negative numbers,
//! very long strings and nesting 10,000 levels deep. Every input must come back as `Ok` or
//! `Err` without a panic. When a reader accepts an input, writing the value with `to_json` and
//! reading it again must give the same value, and writing it a second time must give the same
//! bytes. The GTI form (`to_gti_json`) must read back as the value without its extras.

use qtool::netdesc::gti::{ChipNetwork, FullModel, GtiJson};
use serde_json::Value;
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Inputs per reader (each reader also gets the other reader's seeds, mutated).
const ITERATIONS: usize = 4000;

/// gti.md §4.1 example 1 (5801).
const CHIP_EXAMPLE_1: &str = r#"{
  "layer": [
    {"major_layer": 1, "image_size": 224, "input_channels": 3,   "output_channels": 64,
     "sublayer_number": 2, "coef_bits": 3, "scaling": [12, 11], "pooling": true,
     "learning": false, "last_layer_out": false},
    {"major_layer": 2, "image_size": 112, "input_channels": 64,  "output_channels": 128,
     "sublayer_number": 2, "coef_bits": 3, "scaling": [11, 11], "pooling": true,
     "learning": false, "last_layer_out": true},
    {"major_layer": 3, "image_size": 56,  "input_channels": 128, "output_channels": 256,
     "sublayer_number": 3, "coef_bits": 1, "scaling": [10, 10, 9], "pooling": true,
     "learning": false, "last_layer_out": false}
  ],
  "model": [{"ChipType": 5801, "MajorLayerNumber": 3, "SamplingMethod": 0}]
}"#;

/// gti.md §4.1 example 2 (2803), with every optional key.
const CHIP_EXAMPLE_2: &str = r#"{
  "layer": [
    {"major_layer": 1, "image_size": 224, "input_channels": 3, "output_channels": 32,
     "sublayer_number": 1, "coef_bits": 12, "scaling": [11], "pooling": true},
    {"major_layer": 2, "image_size": 112, "input_channels": 32, "output_channels": 64,
     "sublayer_number": 2, "coef_bits": 12, "scaling": [10, 11], "pooling": true,
     "depth_enable": true, "one_coef": [0, 1]},
    {"major_layer": 3, "image_size": 56, "input_channels": 64, "output_channels": 64,
     "sublayer_number": 4, "coef_bits": 2, "scaling": [9, 9, 10, 10], "pooling": true,
     "resnet_shortcut_start_layers": [1, 3], "learning": true},
    {"major_layer": 4, "image_size": 28, "input_channels": 64, "output_channels": 64,
     "sublayer_number": 1, "coef_bits": 5, "scaling": [11], "upsample_enable": true},
    {"major_layer": 5, "image_size": 56, "input_channels": 64, "output_channels": 32,
     "sublayer_number": 1, "coef_bits": 12, "scaling": [8], "ten_bits_enable": true}
  ],
  "model": [{"ChipType": 2803, "MajorLayerNumber": 5, "SamplingMethod": 1}]
}"#;

/// A small chip network with qtool's extras and the cascade keys of the model entry.
const CHIP_WITH_EXTRAS: &str = r#"{
  "layer": [
    {"major_layer": 1, "image_size": 28, "input_channels": 1, "output_channels": 16,
     "sublayer_number": 2, "coef_bits": 1, "pooling": true}
  ],
  "model": [{"ChipType": 2801, "MajorLayerNumber": 1, "ChipNumber": 2, "ActivationBitMode": 1}],
  "qtool": {"arch": "tiny", "dataset": "mnist", "batch_norm": false,
            "names": ["conv1_1", "conv1_2"], "full_model": "tiny_model.json",
            "numbers": [1.5, -0.0, 1e308, 18446744073709551615, -9223372036854775808]}
}"#;

/// gti.md §4.2, the SDK-4 example.
const FULL_VGG16_DEMO: &str = r#"{
  "name": "vgg16_demo",
  "layer": [
    {"name": "image reader", "operation": "IMAGEREADER", "data file": null, "data offset": null,
     "input format": "CS_BGR24_PLANAR", "output format": "CS_BGR24_PLANAR",
     "output channels": 3, "output height": 224, "output width": 224},
    {"name": "cnn", "operation": "GTICNN", "data file": "out/chip.dat", "data offset": 0,
     "device": {"chip": "2801", "type": 0, "name": null, "emmc delay": 12000},
     "mode": 0, "output scaledown": 3,
     "output channels": 512, "output height": 7, "output width": 7},
    {"name": "fc6", "operation": "FC", "data file": "out/fc6.bin", "data offset": 0,
     "activation": "relu", "output channels": 4096, "output height": 1, "output width": 1},
    {"name": "fc7", "operation": "FC", "data file": "out/fc7.bin", "data offset": 0,
     "activation": "relu", "output channels": 4096, "output height": 1, "output width": 1},
    {"name": "fc8", "operation": "FC", "data file": "out/fc8.bin", "data offset": 0,
     "output channels": 10, "output height": 1, "output width": 1},
    {"name": "softmax", "operation": "SOFTMAX", "data file": null, "data offset": null,
     "output channels": 10, "output height": 1, "output width": 1},
    {"name": "label", "operation": "LABEL", "data file": "out/labels.txt", "data offset": 0,
     "output channels": 5, "output height": 1, "output width": 1}
  ]
}"#;

/// gti.md §4.2, the SDK-5 form: the CNN stage with `inputs` and `outputs`, and `version`.
const FULL_SDK5: &str = r#"{"name": "vgg16_demo", "layer": [
 {"name": "image reader", "operation": "IMAGEREADER", "data file": null, "data offset": null,
  "input format": "CS_BGR24_PLANAR", "output format": "CS_BGR24_PLANAR",
  "output channels": 3, "output height": 224, "output width": 224},
 {"name": "cnn", "operation": "GTICNN", "data file": "out/chip.dat", "data offset": 0,
 "device": {"chip": "2801", "type": 0, "name": null, "emmc delay": 12000}, "mode": 0,
 "output channels": 512, "output height": 7, "output width": 7,
 "inputs":  [{"format": "byte", "prefilter": "interlace_tile_encode", "shape": [224, 224, 3]}],
 "outputs": [{"format": "byte", "postfilter": "fc77_decode", "shape": [7, 7, 512, 49, 32768],
              "layer scaledown": 3, "upsampling": 0}]}],
 "version": 100,
 "qtool": {"note": "extras", "x": [0.1, 2.5e-300, {"nested": [null, true]}]}}"#;

/// Every key either format knows, some near misses, and keys neither knows.
const KEYS: &[&str] = &[
    "layer",
    "model",
    "qtool",
    "major_layer",
    "image_size",
    "input_channels",
    "output_channels",
    "sublayer_number",
    "coef_bits",
    "scaling",
    "pooling",
    "learning",
    "last_layer_out",
    "depth_enable",
    "one_coef",
    "upsample_enable",
    "ten_bits_enable",
    "resnet_shortcut_start_layers",
    "ChipType",
    "MajorLayerNumber",
    "SamplingMethod",
    "ChipNumber",
    "ActivationBitMode",
    "name",
    "version",
    "operation",
    "data file",
    "data offset",
    "input format",
    "output format",
    "device",
    "mode",
    "output scaledown",
    "activation",
    "output channels",
    "output height",
    "output width",
    "inputs",
    "outputs",
    "chip",
    "type",
    "emmc delay",
    "format",
    "prefilter",
    "postfilter",
    "shape",
    "layer scaledown",
    "upsampling",
    "poolin",
    "data_file",
    "chiptype",
    "unknown",
    "",
    "é\u{0}\"\\",
];

/// Tokens inserted at random byte positions.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    " ",
    "\n",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "-1",
    "1.5",
    "1e308",
    "-1e308",
    "1e400",
    "1e-400",
    "18446744073709551616",
    "-9223372036854775809",
    "NaN",
    "Infinity",
    "\"x\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\ud83d\\ude00\"",
    "{}",
    "[]",
    "{\"a\": 1}",
    "\"layer\": []",
    "\"qtool\": {}",
    ",\"unknown\": 1",
    "\u{feff}",
    "é",
];

/// Values of every JSON type, numbers at and past the limits of the integer types.
const SIMPLE: &[&str] = &[
    "1e308",
    "-1e308",
    "-1",
    "0",
    "-0",
    "-0.0",
    "1",
    "2",
    "0.5",
    "0.1",
    "1e-400",
    "255",
    "256",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "true",
    "false",
    "null",
    "\"\"",
    "\"2803\"",
    "\"GTICNN\"",
    "\"FC\"",
    "\"relu\"",
    "\"\\u0000\\n\\t\\\"\"",
    "\"\\ud83d\\ude00\"",
    "[]",
    "{}",
    "[0, 1]",
    "[1, 3]",
    "[224, 224, 3]",
    "[null]",
    "{\"chip\": \"2803\", \"type\": 0, \"name\": null, \"emmc delay\": 12000}",
    "{\"ChipType\": 2803}",
    "[{\"ChipType\": 5801}]",
];

/// A JSON value that stresses a reader: out-of-range and negative numbers, the wrong type,
/// very long strings, very long arrays, deep nesting.
fn weird_value(rng: &mut Rng) -> String {
    match rng.below(12) {
        0 => {
            let n = *rng.pick(&[1_000, 100_000]);
            let c = *rng.pick(&["a", "é", "\\n", "\\u00e9", "😀"]);
            format!("\"{}\"", c.repeat(n))
        }
        1 => {
            let depth = *rng.pick(&[100, 127, 128, 129, 10_000]);
            if rng.chance(2) {
                format!("{}{}", "[".repeat(depth), "]".repeat(depth))
            } else {
                format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
            }
        }
        2 => {
            let n = *rng.pick(&[1_000, 10_000]);
            format!("[{}0]", "0,".repeat(n - 1))
        }
        _ => rng.pick(SIMPLE).to_string(),
    }
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Writes a parsed seed back as JSON text, mutating about one in `rate` places: a member or
/// element deleted or duplicated (a duplicate key is only possible in text), a value replaced
/// by a weird one, an extra key added.
struct Emitter<'r> {
    rng: &'r mut Rng,
    rate: usize,
    out: String,
}

impl Emitter<'_> {
    fn value(&mut self, v: &Value) {
        if self.rng.chance(self.rate) {
            let w = weird_value(self.rng);
            self.out.push_str(&w);
            return;
        }
        match v {
            Value::Object(map) => {
                self.out.push('{');
                let mut first = true;
                for (k, v) in map {
                    if self.rng.chance(self.rate) {
                        continue;
                    }
                    self.member(&mut first, k, v);
                    if self.rng.chance(self.rate) {
                        self.member(&mut first, k, v);
                    }
                }
                if self.rng.chance(self.rate) {
                    let k = *self.rng.pick(KEYS);
                    let w = weird_value(self.rng);
                    self.separator(&mut first);
                    self.string(k);
                    self.out.push(':');
                    self.out.push_str(&w);
                }
                self.out.push('}');
            }
            Value::Array(items) => {
                self.out.push('[');
                let mut first = true;
                for item in items {
                    if self.rng.chance(self.rate) {
                        continue;
                    }
                    self.separator(&mut first);
                    self.value(item);
                    if self.rng.chance(self.rate) {
                        self.separator(&mut first);
                        self.value(item);
                    }
                }
                if self.rng.chance(self.rate) {
                    self.separator(&mut first);
                    let w = weird_value(self.rng);
                    self.out.push_str(&w);
                }
                self.out.push(']');
            }
            scalar => self.out.push_str(&scalar.to_string()),
        }
    }

    fn member(&mut self, first: &mut bool, k: &str, v: &Value) {
        self.separator(first);
        self.string(k);
        self.out.push(':');
        self.value(v);
    }

    fn separator(&mut self, first: &mut bool) {
        if !*first {
            self.out.push(',');
        }
        *first = false;
    }

    fn string(&mut self, s: &str) {
        self.out.push_str(&Value::from(s).to_string());
    }
}

/// One to four byte-level mutations.
fn mutate_bytes(bytes: &mut Vec<u8>, rng: &mut Rng) {
    for _ in 0..1 + rng.below(4) {
        let len = bytes.len();
        let at = rng.below(len + 1);
        match rng.below(5) {
            0 if len > 0 => {
                let at = at.min(len - 1);
                bytes[at] ^= 1 + rng.below(255) as u8;
            }
            1 => bytes.truncate(at),
            2 => {
                let token = rng.pick(TOKENS).as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            3 => {
                let end = (at + 1 + rng.below(16)).min(len);
                bytes.drain(at.min(end)..end);
            }
            _ => {
                let end = (at + 1 + rng.below(32)).min(len);
                let copy = bytes[at.min(end)..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
}

/// Inputs that do not depend on the random stream.
fn fixed_inputs(seeds: &[String]) -> Vec<String> {
    let deep = |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n));
    let mut inputs: Vec<String> = [
        "", " ", "null", "0", "[]", "{}", "\"\"", "{\"layer\": []}", "{\"layer\": [], \"model\": []}",
        "{\"layer\": [], \"model\": [], \"qtool\": null}",
        "{\"name\": \"\", \"layer\": []}",
        "{\"name\": \"x\", \"layer\": [], \"version\": 4294967296}",
        "{\"name\": \"x\", \"layer\": [], \"version\": -1}",
        "{\"name\": \"x\", \"layer\": [], \"qtool\": 1e308}",
        "{\"name\": \"x\", \"layer\": [], \"qtool\": -0}",
        "{\"name\": \"x\", \"layer\": [], \"qtool\": 18446744073709551616}",
        "{\"name\": \"x\", \"layer\": [], \"name\": \"y\"}",
        "{\"name\": \"x\", \"layer\": [{\"operation\": \"FC\", \"data file\": 1e308, \"data offset\": -0}]}",
        "{\"name\": \"x\", \"layer\": [{\"operation\": \"FC\", \"data offset\": 18446744073709551616}]}",
        "{\"name\": \"x\", \"layer\": [{\"operation\": \"FC\", \"mode\": 9223372036854775808}]}",
        "{\"layer\": [], \"model\": [{\"ChipType\": 4294967296}]}",
        "{\"layer\": [], \"model\": [{\"ChipType\": -1}]}",
        "{\"layer\": [], \"model\": [{\"ChipType\": 2803.0}]}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in [127, 128, 10_000] {
        inputs.push(deep("[", "]", n));
        inputs.push(deep("{\"a\":", "}", n));
        inputs.push(format!(
            "{{\"layer\": {}, \"model\": []}}",
            deep("[", "]", n)
        ));
        inputs.push(format!(
            "{{\"layer\": [], \"model\": [], \"qtool\": {}}}",
            deep("[", "]", n)
        ));
        inputs.push(format!(
            "{{\"name\": \"x\", \"layer\": [], \"qtool\": {}1{}}}",
            "{\"a\":".repeat(n),
            "}".repeat(n)
        ));
        inputs.push(format!(
            "{{\"name\": \"x\", \"layer\": [{{\"operation\": \"FC\", \"data file\": {}}}]}}",
            deep("[", "]", n)
        ));
    }
    let long = "x".repeat(1 << 20);
    inputs.push(format!("{{\"name\": \"{long}\", \"layer\": []}}"));
    inputs.push(format!("{{\"layer\": [], \"model\": [], \"{long}\": 1}}"));
    // Every seed with a `"qtool"` object of every simple value, and nested to the parser's
    // depth limit (qtool's extras are free-form JSON).
    for seed in seeds {
        let Some(open) = seed.trim_end().strip_suffix('}') else {
            continue;
        };
        let nested = deep("[", "]", 126);
        for x in SIMPLE.iter().copied().chain([nested.as_str()]) {
            inputs.push(format!("{open}, \"qtool\": {x}}}"));
        }
    }
    // Every truncation of every seed.
    for seed in seeds {
        for (i, _) in seed.char_indices() {
            inputs.push(seed[..i].to_string());
        }
    }
    inputs
}

/// The seeds: the spec's examples, then every `*.json` under `networks/` (sorted).
fn seeds() -> (Vec<String>, Vec<String>) {
    let mut chip: Vec<String> = [CHIP_EXAMPLE_1, CHIP_EXAMPLE_2, CHIP_WITH_EXTRAS]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut full: Vec<String> = [FULL_VGG16_DEMO, FULL_SDK5]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut files = Vec::new();
    json_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("networks"),
        &mut files,
    );
    files.sort();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // A file goes with the reader that accepts it; one neither accepts seeds both.
        let is_chip = ChipNetwork::from_json(&text).is_ok();
        let is_full = FullModel::from_json(&text).is_ok();
        if is_chip || !is_full {
            chip.push(text.clone());
        }
        if is_full || !is_chip {
            full.push(text);
        }
    }
    (chip, full)
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// What one input did.
enum Outcome {
    Rejected,
    Accepted,
    /// A panic or a broken round trip, described.
    Failed(String),
}

fn check<T: GtiJson + PartialEq + Debug>(input: &str) -> Outcome {
    let run = catch_unwind(AssertUnwindSafe(|| -> Result<bool, String> {
        let Ok(value) = T::from_json(input) else {
            return Ok(false);
        };
        let first = value.to_json();
        let again = T::from_json(&first)
            .map_err(|e| format!("to_json's output does not read back ({e}):\n{first}"))?;
        if again != value {
            return Err(format!(
                "read back as a different value:\n{value:?}\nthen\n{again:?}"
            ));
        }
        let second = again.to_json();
        if second != first {
            return Err(format!(
                "the second to_json differs:\n{first}\nthen\n{second}"
            ));
        }
        let gti = value.to_gti_json();
        let plain = T::from_json(&gti)
            .map_err(|e| format!("to_gti_json's output does not read back ({e}):\n{gti}"))?;
        if plain != value.without_extras() {
            return Err("to_gti_json reads back as a different value".to_string());
        }
        Ok(true)
    }));
    match run {
        Ok(Ok(true)) => Outcome::Accepted,
        Ok(Ok(false)) => Outcome::Rejected,
        Ok(Err(why)) => Outcome::Failed(why),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Outcome::Failed(format!("panicked: {msg}"))
        }
    }
}

fn shown(input: &str) -> String {
    const MAX: usize = 2000;
    if input.len() <= MAX {
        format!("{input:?}")
    } else {
        let cut = (0..=MAX)
            .rev()
            .find(|&i| input.is_char_boundary(i))
            .unwrap_or(0);
        format!("{:?}… ({} bytes in all)", &input[..cut], input.len())
    }
}

fn fuzz<T: GtiJson + PartialEq + Debug>(what: &str, own: &[String], other: &[String], seed: u64) {
    let started = std::time::Instant::now();
    let mut rng = Rng(seed);
    let mut inputs = fixed_inputs(own);
    inputs.extend(own.iter().cloned());
    for _ in 0..ITERATIONS {
        let pool = if rng.chance(8) { other } else { own };
        let seed = rng.pick(pool);
        let structured = rng.chance(2);
        let parsed = serde_json::from_str::<Value>(seed)
            .ok()
            .filter(|_| structured);
        let mut bytes = if let Some(parsed) = parsed {
            let rate = *rng.pick(&[5, 20, 100, 400, 1000]);
            let mut e = Emitter {
                rng: &mut rng,
                rate,
                out: String::new(),
            };
            e.value(&parsed);
            let mut text = e.out.into_bytes();
            if rng.chance(3) {
                mutate_bytes(&mut text, &mut rng);
            }
            text
        } else {
            let mut bytes = seed.clone().into_bytes();
            mutate_bytes(&mut bytes, &mut rng);
            bytes
        };
        if rng.chance(50) {
            // Invalid UTF-8 in the middle, replaced as a file reader would.
            let at = rng.below(bytes.len() + 1);
            bytes.insert(at, 0xff);
        }
        inputs.push(String::from_utf8_lossy(&bytes).into_owned());
    }

    let random_from = inputs.len() - ITERATIONS;
    let (mut accepted, mut accepted_random, mut failures) = (0, 0, Vec::new());
    for (i, input) in inputs.iter().enumerate() {
        match check::<T>(input) {
            Outcome::Accepted => {
                accepted += 1;
                accepted_random += usize::from(i >= random_from);
            }
            Outcome::Rejected => {}
            Outcome::Failed(why) => failures.push(format!("input {}\n{why}", shown(input))),
        }
    }
    eprintln!(
        "{what}: {} inputs, {accepted} accepted ({accepted_random} of the {ITERATIONS} mutated), \
         {} failures, {:.2?}",
        inputs.len(),
        failures.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{what}: {} of {} inputs failed; the first ones:\n\n{}",
        failures.len(),
        inputs.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    // The mutations must leave many inputs valid, or the round-trip half tests nothing.
    assert!(
        accepted_random * 10 >= ITERATIONS,
        "{what}: only {accepted_random} of {ITERATIONS} mutated inputs were accepted"
    );
}

#[test]
fn chip_network_reader_survives_mutations() {
    let (chip, full) = seeds();
    fuzz::<ChipNetwork>("ChipNetwork", &chip, &full, 0x0123_4567_89AB_CDEF);
}

#[test]
fn full_model_reader_survives_mutations() {
    let (chip, full) = seeds();
    fuzz::<FullModel>("FullModel", &full, &chip, 0xFEDC_BA98_7654_3210);
}

#[test]
fn the_seeds_are_accepted() {
    let (chip, full) = seeds();
    for text in &chip[..3] {
        assert!(matches!(check::<ChipNetwork>(text), Outcome::Accepted));
    }
    for text in &full[..2] {
        assert!(matches!(check::<FullModel>(text), Outcome::Accepted));
    }
}
