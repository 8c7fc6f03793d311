//! One test per rule: a valid network passes, each edit breaks exactly the rule it aims at.

use super::*;

use crate::netdesc::gti::GtiJson;
use crate::netdesc::gti::chip_network::examples::{EXAMPLE_1, EXAMPLE_2};

fn net(text: &str) -> ChipNetwork {
    ChipNetwork::from_json(text).unwrap()
}

/// The one violation `edit` causes on `chip`, as text.
fn only(mut n: ChipNetwork, chip: Chip, edit: impl FnOnce(&mut ChipNetwork)) -> String {
    edit(&mut n);
    let v = check_chip_network(&n, chip);
    assert_eq!(v.len(), 1, "{v:#?}");
    v[0].to_string()
}

#[test]
fn the_spec_examples_pass() {
    assert_eq!(check_chip_network(&net(EXAMPLE_1), Chip::C5801), []);
    assert_eq!(check_chip_network(&net(EXAMPLE_2), Chip::C2803), []);
}

#[test]
fn masks_counts_and_sizes() {
    let ex1 = || net(EXAMPLE_1);
    let s = only(ex1(), Chip::C5801, |n| n.layer[2].coef_bits = 2);
    assert_eq!(
        s,
        "major layer 3: coef_bits: 2-bit coefficients (the 5801 has 1, 3, 8)"
    );
    let s = only(ex1(), Chip::C5801, |n| {
        n.layer[0].sublayer_number = 13;
        n.layer[0].scaling = None;
    });
    assert_eq!(s, "major layer 1: sublayer_number: 13 sub-layers (1 to 12)");
    let mut big = ex1();
    for _ in 0..5 {
        let mut l = big.layer[2].clone();
        l.image_size = 28;
        l.input_channels = 256;
        l.pooling = None;
        big.layer.push(l);
    }
    for (i, l) in big.layer.iter_mut().enumerate() {
        l.major_layer = i as u32 + 1;
        l.coef_bits = 1;
    }
    big.layer[3].image_size = 28;
    big.model[0].major_layer_number = Some(8);
    let v = check_chip_network(&big, Chip::C5801);
    assert!(
        v.iter()
            .any(|v| v.to_string() == "model: layer: 8 major layers (1 to 7 on the 5801)"),
        "{v:#?}"
    );
    let mut n = ex1();
    n.layer[0].image_size = 200;
    let v = check_chip_network(&n, Chip::C5801);
    let first = v[0].to_string();
    assert!(first.starts_with("major layer 1: image_size: image size 200 ([896, 448"));
    // ... and the next major layer no longer reads what it writes.
    assert_eq!(
        v[1].to_string(),
        "major layer 2: image_size: image size 112 (the previous major layer writes 100×100)"
    );
    // The 2803 has no 896.
    let mut n = ex1();
    n.model[0].chip_type = 2803;
    n.layer.iter_mut().for_each(|l| l.coef_bits = 12);
    let v = check_chip_network(&n, Chip::C2803);
    assert_eq!(v, [], "{v:#?}");
}

#[test]
fn channels_and_chaining() {
    let ex1 = || net(EXAMPLE_1);
    let s = only(ex1(), Chip::C5801, |n| {
        n.layer[2].output_channels = 250;
    });
    assert_eq!(
        s,
        "major layer 3: output_channels: 250 output channels (4, 8 or a multiple of 16 up to 1024)"
    );
    let s = only(ex1(), Chip::C5801, |n| n.layer[1].input_channels = 32);
    assert_eq!(
        s,
        "major layer 2: input_channels: 32 input channels (the previous major layer writes 64)"
    );
    let s = only(ex1(), Chip::C5801, |n| n.layer[1].pooling = Some(false));
    assert_eq!(
        s,
        "major layer 3: image_size: image size 56 (the previous major layer writes 112×112)"
    );
    // Four input channels: fine on the 2803 and 5801, not on the 2801.
    let mut n = ex1();
    n.layer[0].input_channels = 4;
    assert_eq!(check_chip_network(&n, Chip::C5801), []);
    n.model[0].chip_type = 2801;
    n.layer.iter_mut().for_each(|l| l.coef_bits = 3);
    let v = check_chip_network(&n, Chip::C2801);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].key, "input_channels");
}

#[test]
fn output_modes_residuals_and_ten_bits() {
    let ex2 = || net(EXAMPLE_2);
    let s = only(ex2(), Chip::C2803, |n| {
        n.layer[0].last_layer_out = Some(true)
    });
    assert_eq!(
        s,
        "major layer 1: last_layer_out: set while major layer 3 has `learning` (one output mode per file)"
    );
    let mut n = ex2();
    n.layer[2].output_channels = 32;
    let v = check_chip_network(&n, Chip::C2803);
    assert_eq!(
        v[0].to_string(),
        "major layer 3: resnet_shortcut_start_layers: 64 in, 32 out (an identity shortcut needs in = out)"
    );
    // The next layer then reads the wrong channel count too.
    assert_eq!(v[1].key, "input_channels");
    let s = only(ex2(), Chip::C2803, |n| {
        n.layer[2].resnet_shortcut_start_layers = Some(vec![1, 4]);
    });
    assert_eq!(
        s,
        "major layer 3 sub-layer 4: resnet_shortcut_start_layers: a pair starting at sub-layer 4 (both convolutions within 1..=4)"
    );
    let s = only(ex2(), Chip::C2803, |n| {
        n.layer[1].ten_bits_enable = Some(true)
    });
    assert_eq!(
        s,
        "major layer 2: ten_bits_enable: 10-bit output before the last major layer (the last major layer only, or every one)"
    );
}

#[test]
fn lists_chip_type_and_budget() {
    let ex2 = || net(EXAMPLE_2);
    let s = only(ex2(), Chip::C2803, |n| {
        n.layer[2].scaling = Some(vec![9, 13, 10, 10])
    });
    assert_eq!(s, "major layer 3 sub-layer 2: scaling: shift 13 (0 to 12)");
    let s = only(ex2(), Chip::C2803, |n| n.layer[1].one_coef = Some(vec![0]));
    assert_eq!(
        s,
        "major layer 2: one_coef: 1 flags (one per sub-layer (2))"
    );
    let s = only(ex2(), Chip::C2803, |n| n.model[0].chip_type = 2801);
    assert_eq!(
        s,
        "model: ChipType: ChipType 2801 is not the chip asked for (--chip 2803)"
    );
    let s = only(ex2(), Chip::C2803, |n| {
        n.model[0].major_layer_number = Some(4)
    });
    assert_eq!(
        s,
        "model: MajorLayerNumber: 4 major layers announced, 5 listed (the layer list)"
    );
    // 5801: VGG-16 at 8 bits is far over the coefficient budget.
    let mut n = net(EXAMPLE_1);
    for l in &mut n.layer {
        l.coef_bits = 8;
        l.input_channels *= 4;
        l.output_channels *= 4;
    }
    n.layer[0].input_channels = 3;
    let s = only(n, Chip::C5801, |_| {});
    assert_eq!(
        s,
        "model: coef_bits: 3080960 effective filters (below 489216 on the 5801)"
    );
}

#[test]
fn a_cascade_is_split_and_each_chip_checked() {
    // Example 1 plus three 8-bit layers (131072 + 262144 + 262144 effective filters) needs
    // two 5801s: major layers 1–4 on the first (448608), 5 on the second.
    let mut n = net(EXAMPLE_1);
    let base = n.layer[2].clone();
    let extra = [(28, 256, true), (14, 512, true), (7, 512, false)];
    for (k, (size, input, pooling)) in extra.into_iter().enumerate() {
        let mut l = base.clone();
        l.major_layer = 4 + k as u32;
        l.image_size = size;
        l.input_channels = input;
        l.output_channels = 512;
        l.sublayer_number = 1;
        l.scaling = None;
        l.coef_bits = 8;
        l.pooling = Some(pooling);
        n.layer.push(l);
    }
    n.model[0].major_layer_number = Some(6);
    let v = check_chip_network(&n, Chip::C5801);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].to_string().starts_with("model: coef_bits:"),
        "{}",
        v[0]
    );
    n.model[0].chip_number = Some(2);
    assert_eq!(check_chip_network(&n, Chip::C5801), []);
    n.model[0].chip_number = Some(9);
    let s = only(n, Chip::C5801, |_| {});
    assert_eq!(
        s,
        "model: ChipNumber: 6 major layers cannot fill 9 chips (at least one each) (9 chips)"
    );
}
