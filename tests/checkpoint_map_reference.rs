//! The checkpoint → layer mapping agrees with izer's `--display-checkpoint` table (stored in
//! `golden/izer-console.txt`): per layer the channel counts, weight width, total shift, weight
//! range, weight key, and the bias key and range (`N/A` where izer found no bias).

mod common;

use qtool::checkpoint::read as read_checkpoint;
use qtool::netdesc::ai8x::{MapOptions, load, map_checkpoint};

struct Row {
    in_ch: usize,
    out_ch: usize,
    quant: u8,
    shift: i64,
    min: i64,
    max: i64,
    key: String,
    bias: Option<(i64, i64, String)>,
}

fn parse_rows(text: &str) -> Vec<Row> {
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("InCh OutCh"))
        .skip(1)
        .take_while(|l| !l.starts_with("TOTAL"))
        .map(|l| {
            // The weight shape is a parenthesised tuple with spaces: cut it out first.
            let (head, rest) = l.split_once('(').unwrap();
            let (_, tail) = rest.split_once(')').unwrap();
            let h: Vec<&str> = head.split_whitespace().collect();
            let t: Vec<&str> = tail.split_whitespace().collect();
            // After the weight shape: quant shift min max size key, then the bias columns
            // (shape or N/A, quant, min, max, size, key).
            let bias = (t[6] != "N/A").then(|| {
                (
                    t[8].parse().unwrap(),
                    t[9].parse().unwrap(),
                    t[11].to_string(),
                )
            });
            Row {
                in_ch: h[0].parse().unwrap(),
                out_ch: h[1].parse().unwrap(),
                quant: t[0].parse().unwrap(),
                shift: t[1].parse().unwrap(),
                min: t[2].parse().unwrap(),
                max: t[3].parse().unwrap(),
                key: t[5].to_string(),
                bias,
            }
        })
        .collect()
}

#[test]
fn mapping_matches_izer_checkpoint_table() {
    let mut compared = 0;
    for (name, yaml, ckpt, _) in common::reference_networks() {
        let Ok(console) = std::fs::read_to_string(yaml.with_file_name("golden/izer-console.txt"))
        else {
            continue;
        };
        let rows = parse_rows(&console);
        let desc = load(&yaml).unwrap();
        let map = map_checkpoint(
            &desc,
            &read_checkpoint(&ckpt).unwrap(),
            "ckpt",
            &MapOptions::default(),
        )
        .unwrap();
        let ours: Vec<_> = map.layers.iter().flatten().collect();
        assert_eq!(ours.len(), rows.len(), "{name}: weighted layer count");
        for (i, (o, r)) in ours.iter().zip(&rows).enumerate() {
            let ints: Vec<i64> = o.weights.values.iter().map(|v| *v as i64).collect();
            let total_shift =
                o.output_shift + i64::from(qtool::device::ai8x::implicit_shift(o.weight_bits));
            assert_eq!(
                (o.in_channels, o.out_channels),
                (r.in_ch, r.out_ch),
                "{name} row {i}: channels"
            );
            assert_eq!(
                o.weight_bits.bits(),
                r.quant,
                "{name} row {i}: quantization"
            );
            assert_eq!(total_shift, r.shift, "{name} row {i}: shift");
            assert_eq!(
                (*ints.iter().min().unwrap(), *ints.iter().max().unwrap()),
                (r.min, r.max),
                "{name} row {i}: weight range"
            );
            assert_eq!(o.key, r.key, "{name} row {i}: key");
            let bias = o.bias.as_ref().map(|(k, b)| {
                (
                    *b.iter().min().unwrap(),
                    *b.iter().max().unwrap(),
                    k.clone(),
                )
            });
            assert_eq!(bias, r.bias, "{name} row {i}: bias");
        }
        compared += 1;
    }
    if common::reference_dir().is_some() {
        assert_eq!(compared, 5);
    }
}

/// izer floors `stored_bias / 2^(bits−1)`; the shipped MNIST checkpoint is not an exact
/// multiple (fc bias 2936.0 → 22), so the floor is visible in izer's logged bias.
#[test]
fn mnist_bias_matches_izer_intermediate_log() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let mnist = dir.join("mnist");
    let desc = load(&mnist.join("mnist-chw-ai85.yaml")).unwrap();
    let ckpt = read_checkpoint(&mnist.join("ai85-mnist-qat8-q.pth.tar")).unwrap();
    let map = map_checkpoint(&desc, &ckpt, "ckpt", &MapOptions::default()).unwrap();
    let records = qtool::io::npy::read_all_records(&mnist.join("intermediate/bias.npy")).unwrap();
    let logged = match &records[4] {
        qtool::io::npy::NpyRecord::I64(a) => a.iter().copied().collect::<Vec<i64>>(),
        other => panic!("unexpected record {other:?}"),
    };
    let ours = &map.layers[4].as_ref().unwrap().bias.as_ref().unwrap().1;
    assert_eq!(ours, &logged);
    assert!(
        map.layers[..4]
            .iter()
            .all(|l| l.as_ref().unwrap().bias.is_none())
    );
}

/// kws20_v3's checkpoint repeats its layers without the `module.` prefix after the prefixed
/// ones; izer's exact key matching uses neither their weights nor their biases. We do the same
/// and name them in a warning.
#[test]
fn kws20_v3_leftover_keys_are_named_in_a_warning() {
    let Some(dir) = common::reference_dir() else {
        return;
    };
    let k = dir.join("kws20_v3");
    let desc = load(&k.join("kws20-v3-hwc.yaml")).unwrap();
    let map = map_checkpoint(
        &desc,
        &read_checkpoint(&k.join("ai85-kws20_v3-qat8-q.pth.tar")).unwrap(),
        "ckpt",
        &MapOptions::default(),
    )
    .unwrap();
    assert!(
        map.layers
            .iter()
            .flatten()
            .all(|l| l.bias.is_none() && l.key.starts_with("module."))
    );
    let w = map
        .warnings
        .iter()
        .find(|w| w.contains("not used"))
        .expect("a warning about unused keys");
    assert!(
        w.contains("voice_conv1.op.bias") && w.contains("fc.op.bias"),
        "{w}"
    );
}
