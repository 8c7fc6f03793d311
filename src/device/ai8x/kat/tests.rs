//! Unit tests of the known-answer data on hand-built layers and arrays. The golden
//! comparisons with izer's files are in `tests/max78000_kat.rs`.

use super::*;
use crate::device::ai8x::Placement;
use crate::device::ai8x::testutil::{conv2d, first, graph, node, place};
use crate::device::ai8x::{OutputWidth, ProcessorMask};
use crate::ir::{Conv, Graph, Op, Shape};
use ndarray::{Array, Array3, ArrayD, IxDyn};

/// Output `[c, h, w]` whose value at `(c, y, x)` is `f(c, y, x)`.
fn out(c: usize, h: usize, w: usize, f: impl Fn(usize, usize, usize) -> i64) -> Array3<i64> {
    Array::from_shape_fn((c, h, w), |(c, y, x)| f(c, y, x))
}

/// A one-layer graph: `channels` outputs of `hw×hw` from a 1×1 convolution.
fn one_layer(channels: usize, hw: usize) -> Graph {
    graph(vec![conv2d(4, channels, hw, 1)])
}

fn words(g: &Graph, y: Array3<i64>) -> Vec<CheckWord> {
    check_words(g, &[y], &KatOptions::default()).unwrap()
}

fn w(mask: u32, address: u32, value: u32) -> CheckWord {
    CheckWord {
        mask,
        address,
        value,
    }
}

#[test]
fn eight_bit_full_quads_pack_four_channels_per_word() {
    let mut g = one_layer(8, 2);
    place(&mut g.nodes[0]).out_offset = 0x100;
    let y = out(8, 2, 2, |c, y, x| {
        (c as i64 + 1) * if y * 2 + x == 3 { -1 } else { 1 }
    });
    let got = words(&g, y);
    assert_eq!(got.len(), 8);
    // Pixel 0: channels 0-3 in instance 0, channels 4-7 in instance 1.
    assert_eq!(got[0], w(u32::MAX, 0x5040_0100, 0x0403_0201));
    assert_eq!(got[1], w(u32::MAX, 0x5040_8100, 0x0807_0605));
    // Pixel 3 (row 1, col 1) one word further per pixel; negative values keep 8 bits.
    assert_eq!(got[6], w(u32::MAX, 0x5040_010c, 0xfcfd_feff));
    assert_eq!(got[7], w(u32::MAX, 0x5040_810c, 0xf8f9_fafb));
}

#[test]
fn partial_quads_mask_from_their_lowest_processor() {
    let mut g = one_layer(2, 1);
    place(&mut g.nodes[0]).output_processors = ProcessorMask(0b0110 << 4);
    let got = words(&g, out(2, 1, 1, |c, _, _| 0x11 * (c as i64 + 1)));
    // Processors 5 and 6: instance 1, bytes 1-2.
    assert_eq!(got, vec![w(0x00ff_ff00, 0x5040_8000, 0x0022_1100)]);
}

#[test]
fn quads_with_gaps_keep_a_contiguous_mask() {
    let mut g = one_layer(2, 1);
    place(&mut g.nodes[0]).output_processors = ProcessorMask(0b1010);
    let got = words(&g, out(2, 1, 1, |c, _, _| 0x11 * (c as i64 + 1)));
    // Channel 0 in byte 1, channel 1 in byte 3, but the mask covers bytes 1-2 (izer's rule),
    // so channel 1 is not checked.
    assert_eq!(got, vec![w(0x00ff_ff00, 0x5040_0000, 0x0000_1100)]);
}

#[test]
fn channels_past_the_last_fill_nothing() {
    // Six channels on processors 0-7: the second quad holds two, masked to two bytes.
    let mut g = one_layer(6, 1);
    place(&mut g.nodes[0]).output_processors = first(8);
    let got = words(&g, out(6, 1, 1, |c, _, _| c as i64 + 1));
    assert_eq!(
        got,
        vec![
            w(u32::MAX, 0x5040_0000, 0x0403_0201),
            w(0x0000_ffff, 0x5040_8000, 0x0000_0605),
        ]
    );
}

#[test]
fn write_gap_spreads_pixels() {
    let mut g = one_layer(4, 2);
    place(&mut g.nodes[0]).write_gap = 1;
    let got = words(&g, out(4, 2, 2, |_, y, x| (y * 2 + x) as i64));
    let addresses: Vec<u32> = got.iter().map(|w| w.address).collect();
    assert_eq!(
        addresses,
        vec![0x5040_0000, 0x5040_0008, 0x5040_0010, 0x5040_0018]
    );
}

#[test]
fn passes_interleave_in_memory() {
    // 100 channels: two passes of 52 channels on processors 0-51.
    let g = one_layer(100, 2);
    assert_eq!(
        g.nodes[0]
            .annex
            .get::<Placement>()
            .unwrap()
            .output_processors,
        first(52)
    );
    let got = words(&g, out(100, 2, 2, |c, _, _| c as i64));
    // 13 quads in pass 0 and 12 in pass 1, per pixel.
    assert_eq!(got.len(), 4 * 25);
    let find = |value: u32| *got.iter().find(|w| w.value == value).unwrap();
    // Channel 52 opens pass 1 at processor 0: word 1 of pixel 0.
    assert_eq!(find(0x3736_3534), w(u32::MAX, 0x5040_0004, 0x3736_3534));
    // Channels 48-51 sit on processor 48: quadrant 3, instance 0.
    assert_eq!(find(0x3332_3130).address, 0x5100_0000);
    // Pixel 1 of pass 0 starts two words (two passes) further.
    assert_eq!(got[25], w(u32::MAX, 0x5040_0008, 0x0302_0100));
}

#[test]
fn thirty_two_bit_words_one_per_channel() {
    let mut g = one_layer(10, 1);
    let p = place(&mut g.nodes[0]);
    p.output_width = OutputWidth::Bits32;
    p.out_offset = 0x1000;
    let got = words(&g, out(10, 1, 1, |c, _, _| -(c as i64) - 1));
    let expect: Vec<CheckWord> = [
        (0x5040_1000, 0),
        (0x5040_1004, 1),
        (0x5040_1008, 2),
        (0x5040_100c, 3),
        (0x5040_9000, 4),
        (0x5040_9004, 5),
        (0x5040_9008, 6),
        (0x5040_900c, 7),
        (0x5041_1000, 8),
        (0x5041_1004, 9),
    ]
    .iter()
    .map(|&(a, c)| w(u32::MAX, a, (-(c as i64) - 1) as u32))
    .collect();
    assert_eq!(got, expect);
}

#[test]
fn thirty_two_bit_pixels_take_four_words_per_pass() {
    let mut g = one_layer(2, 2);
    place(&mut g.nodes[0]).output_width = OutputWidth::Bits32;
    let got = words(&g, out(2, 2, 2, |c, y, x| (10 * (y * 2 + x) + c) as i64));
    assert_eq!(got[2], w(u32::MAX, 0x5040_0010, 10));
    assert_eq!(got[3], w(u32::MAX, 0x5040_0014, 11));
}

#[test]
fn one_dimensional_outputs_as_c_l_or_c_l_1() {
    let conv1 = Conv {
        out_channels: 4,
        kernel: [1, 1],
        stride: [1, 1],
        pad: [0, 0],
        dilation: [1, 1],
        output_pad: 0,
        groups: 1,
    };
    let g = graph(vec![node(Op::Conv1d(conv1), Shape::d1(4, 3))]);
    let flat = ArrayD::from_shape_fn(IxDyn(&[4, 3]), |i| (i[0] * 16 + i[1]) as i64);
    let tall = flat
        .clone()
        .into_shape_with_order(IxDyn(&[4, 3, 1]))
        .unwrap();
    let a = check_words(&g, &[flat], &KatOptions::default()).unwrap();
    let b = check_words(&g, &[tall], &KatOptions::default()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a[2], w(u32::MAX, 0x5040_0008, 0x3222_1202));
}

#[test]
fn bad_outputs_are_reported() {
    let g = one_layer(4, 2);
    let none: &[Array3<i64>] = &[];
    assert_eq!(
        check_words(&g, none, &KatOptions::default()),
        Err(KatError::MissingOutput { layer: 0, given: 0 })
    );
    let e = check_words(&g, &[out(4, 2, 3, |_, _, _| 0)], &KatOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "layer 0: simulated output has shape [4, 2, 3]; the layer produces [4, 2, 2]"
    );
    let mut small = one_layer(8, 1);
    place(&mut small.nodes[0]).output_processors = first(4);
    let e = check_words(&small, &[out(8, 1, 1, |_, _, _| 0)], &KatOptions::default());
    assert!(matches!(e, Err(KatError::OutputMap { channels: 8, .. })));
}

#[test]
fn mlator_changes_nothing() {
    let g = one_layer(8, 3);
    let y = out(8, 3, 3, |c, y, x| (c * 9 + y * 3 + x) as i64);
    let on = KatOptions {
        mlator: true,
        max_checklines: None,
    };
    assert_eq!(
        check_words(&g, std::slice::from_ref(&y), &on).unwrap(),
        words(&g, y)
    );
}

#[test]
fn array_sorts_by_mask_then_address_and_groups_runs() {
    let list = [
        w(u32::MAX, 0x5040_8000, 3),
        w(u32::MAX, 0x5040_0004, 2),
        w(0x0000_ffff, 0x5040_0010, 9),
        w(u32::MAX, 0x5040_0000, 1),
        w(u32::MAX, 0x5040_000c, 4),
    ];
    let words = sample_output_words(&list, &KatOptions::default());
    #[rustfmt::skip]
    assert_eq!(words, vec![
        0x5040_0010, 0x0000_ffff, 1, 9,
        0x5040_0000, u32::MAX, 2, 1, 2,
        0x5040_000c, u32::MAX, 1, 4,
        0x5040_8000, u32::MAX, 1, 3,
        0,
    ]);
    assert_eq!(sample_output_words(&[], &KatOptions::default()), vec![0]);
}

#[test]
fn max_checklines_keeps_one_more_value() {
    let list: Vec<CheckWord> = (0..10)
        .map(|i| w(u32::MAX, 0x5040_0000 + 4 * i, i))
        .collect();
    let opts = |n| KatOptions {
        mlator: false,
        max_checklines: Some(n),
    };
    assert_eq!(
        sample_output_words(&list, &opts(3)),
        vec![0x5040_0000, u32::MAX, 4, 0, 1, 2, 3, 0]
    );
    assert_eq!(
        sample_output_words(&list, &opts(0)),
        vec![0x5040_0000, u32::MAX, 1, 0, 0]
    );
    assert_eq!(sample_output_words(&list, &opts(100)).len(), 3 + 10 + 1);
}

#[test]
fn render_lays_out_eight_words_per_line() {
    let words: Vec<u32> = [0x5040_0000, u32::MAX, 6]
        .into_iter()
        .chain(1..=6)
        .chain([0])
        .collect();
    let text = render_sample_output(&crate::device::ai8x::MAX78000, &words);
    let body = &text[text.find("#define").unwrap()..];
    assert_eq!(
        body,
        "#define SAMPLE_OUTPUT { \\\n  \
         0x50400000, 0xffffffff, 0x00000006, 0x00000001, 0x00000002, 0x00000003, 0x00000004, 0x00000005, \\\n  \
         0x00000006, 0x00000000 \\\n}\n"
    );
    assert!(text.starts_with("// "));
    assert_eq!(parse_sample_output(&text, "x.h"), Ok(words));
}

fn parse_err(text: &str) -> String {
    parse_sample_output(text, "s.h").unwrap_err().to_string()
}

#[test]
fn parse_reports_file_and_line() {
    assert_eq!(
        parse_err("// nothing\n#define SAMPLE_INPUT_0 { 0 }\n"),
        "s.h: no `#define SAMPLE_OUTPUT` found"
    );
    assert_eq!(
        parse_err("#define SAMPLE_OUTPUT { \\\n  0x50400000, 0xffffffff, 0x1g, 0 \\\n}\n"),
        "s.h:2: `0x1g` is not a 32-bit number"
    );
    assert_eq!(
        parse_err("#define SAMPLE_OUTPUT { \\\n  0x50400000, 0x100000000, 1, 0 \\\n}\n"),
        "s.h:2: `0x100000000` is not a 32-bit number"
    );
    assert_eq!(
        parse_err("#define SAMPLE_OUTPUT { \\\n  0x50400000, 0xffffffff, 1, 5 \\\n}\n"),
        "s.h:3: `SAMPLE_OUTPUT` ends without the 0 terminator"
    );
    assert_eq!(
        parse_err("\n#define SAMPLE_OUTPUT { \\\n  0x50400000, 0xffffffff, 3, \\\n  5, 0 \\\n}\n"),
        "s.h:3: run at 0x50400000 announces 3 values but only 2 follow"
    );
    assert_eq!(
        parse_err("#define SAMPLE_OUTPUT { \\\n  0, \\\n  7 \\\n}\n"),
        "s.h:3: words after the 0 terminator"
    );
    assert_eq!(
        parse_err("#define SAMPLE_OUTPUT { \\\n  0x0 \\\n"),
        "s.h:2: `SAMPLE_OUTPUT` is not closed by `}`"
    );
    assert_eq!(
        parse_err("#define SAMPLE_OUTPUT { 1,, 0 }\n"),
        "s.h:1: `` is not a 32-bit number"
    );
    // Decimal, trailing comma and a one-line define are C and accepted.
    assert_eq!(
        parse_sample_output("#define SAMPLE_OUTPUT {16, 255U, 1, 7, 0,}", "s.h"),
        Ok(vec![16, 255, 1, 7, 0])
    );
    // A longer name is another define.
    assert!(parse_sample_output("#define SAMPLE_OUTPUT_2 { 0 }", "s.h").is_err());
}

#[test]
fn compare_reports_the_first_difference() {
    let a = vec![0x5040_1000, u32::MAX, 2, 7, 8, 0x5040_9000, 0xff, 1, 9, 0];
    assert_eq!(compare(&a, &a), Ok(3));
    let mut b = a.clone();
    b[8] ^= 0x10;
    assert_eq!(
        compare(&a, &b),
        Err(KatMismatch::Value {
            address: 0x5040_9000,
            expected: 9,
            actual: 0x19
        })
    );
    let mut b = a.clone();
    b[4] ^= 1;
    assert!(matches!(
        compare(&a, &b),
        Err(KatMismatch::Value {
            address: 0x5040_1004,
            ..
        })
    ));
    let mut b = a.clone();
    b[6] = 0xffff;
    assert!(matches!(
        compare(&a, &b),
        Err(KatMismatch::Run { run: 1, .. })
    ));
    let short = vec![0x5040_1000, u32::MAX, 2, 7, 8, 0];
    assert_eq!(
        compare(&a, &short),
        Err(KatMismatch::Length {
            expected_values: 3,
            expected_words: 10,
            actual_values: 2,
            actual_words: 6
        })
    );
    // A broken array (count past the end) is a length difference, not a panic.
    let broken = vec![0x5040_1000, u32::MAX, 5, 7];
    assert!(matches!(
        compare(&a, &broken),
        Err(KatMismatch::Length { .. })
    ));
    assert_eq!(runs(&a).unwrap().len(), 2);
    assert_eq!(runs(&broken), None);
}
