//! Limit checks of a chip network against one chip (gti.md §1.1–1.3), every rule reading the
//! chip table ([`super::chip`]): masks, sub-layer and major-layer counts, image sizes chained
//! through pooling and upsampling, channel counts and chaining, `learning`/`last_layer_out`
//! exclusivity, residual pairs, 10-bit placement, upsampling (channels kept, not on the input),
//! shifts, `one_coef`, the coefficient budget and `ChipType` (a full model's rules are
//! `check/full_model.rs`'s). A violation reads `major layer M sub-layer S: KEY: what (limit)`; the
//! caller puts the file in front.
//!
//! Choices where the spec is open (written down in the README): a major layer's size must
//! be one of the chip's layer sizes (the first one included); channel counts are multiples
//! of 16 up to 1024 (the 5801 also 4 and 8; a first layer may read 3 channels, 4 on the
//! 2803/5801); 10-bit output is refused on the 2801. A cascade (`ChipNumber` > 1) is split
//! ([`super::cascade`]) and each chip's share is held to one chip's layer count and budget.

use super::budget::total_effective_filters;
use super::cascade::split;
use super::chip::{Chip, MaskBits};
use crate::netdesc::gti::{ChipNetwork, MajorLayer};
use std::fmt;

/// Where a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Model,
    /// 1-based layer of a full model.
    Host(usize),
    /// 1-based chip of a cascade.
    Chip(usize),
    /// 1-based major layer.
    Major(usize),
    /// 1-based major layer and sub-layer.
    Sub(usize, usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Model => write!(f, "model"),
            Location::Host(k) => write!(f, "layer {k}"),
            Location::Chip(k) => write!(f, "chip {k} of the cascade"),
            Location::Major(m) => write!(f, "major layer {m}"),
            Location::Sub(m, s) => write!(f, "major layer {m} sub-layer {s}"),
        }
    }
}

/// One broken limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at: Location,
    pub key: &'static str,
    pub what: String,
    pub limit: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {} ({})",
            self.at, self.key, self.what, self.limit
        )
    }
}

struct Findings(Vec<Violation>);

impl Findings {
    fn add(&mut self, at: Location, key: &'static str, what: String, limit: impl Into<String>) {
        self.0.push(Violation {
            at,
            key,
            what,
            limit: limit.into(),
        });
    }
}

/// Every limit `net` breaks on `chip`, in file order.
pub fn check_chip_network(net: &ChipNetwork, chip: Chip) -> Vec<Violation> {
    let mut f = Findings(Vec::new());
    check_model(net, chip, &mut f);
    for (i, l) in net.layer.iter().enumerate() {
        check_major(l, i, chip, &mut f);
        if let Some(next) = net.layer.get(i + 1) {
            check_chaining(l, next, i + 2, &mut f);
        }
    }
    check_outputs(net, chip, &mut f);
    let chips = net.model.first().and_then(|m| m.chip_number).unwrap_or(1) as usize;
    if chips <= 1 {
        check_capacity(&net.layer, chip, Location::Model, &mut f);
        return f.0;
    }
    match split(&net.layer, chip, chips) {
        Ok(pieces) => {
            for (k, p) in pieces.iter().enumerate() {
                check_capacity(
                    &net.layer[p.layers.clone()],
                    chip,
                    Location::Chip(k + 1),
                    &mut f,
                );
            }
        }
        Err(why) => f.add(Location::Model, "ChipNumber", why, format!("{chips} chips")),
    }
    f.0
}

/// What one chip holds: its major-layer count and coefficient budget.
fn check_capacity(layers: &[MajorLayer], chip: Chip, at: Location, f: &mut Findings) {
    let limits = chip.limits();
    if layers.is_empty() || layers.len() > limits.max_major_layers {
        let what = format!("{} major layers", layers.len());
        let limit = format!("1 to {} on the {chip}", limits.max_major_layers);
        f.add(at, "layer", what, limit);
    }
    check_budget(layers, chip, at, f);
}

fn check_model(net: &ChipNetwork, chip: Chip, f: &mut Findings) {
    match net.model.as_slice() {
        [m] => {
            if m.chip_type != chip.number() {
                let what = format!("ChipType {} is not the chip asked for", m.chip_type);
                f.add(Location::Model, "ChipType", what, format!("--chip {chip}"));
            }
            if let Some(n) = m.major_layer_number.filter(|n| *n != net.layer.len()) {
                let what = format!("{n} major layers announced, {} listed", net.layer.len());
                f.add(Location::Model, "MajorLayerNumber", what, "the layer list");
            }
            if let Some(s) = m.sampling_method.filter(|s| *s > 1) {
                let what = format!("SamplingMethod {s}");
                f.add(
                    Location::Model,
                    "SamplingMethod",
                    what,
                    "0 max pooling, 1 sampling",
                );
            }
        }
        list => {
            let what = format!("{} model entries", list.len());
            f.add(Location::Model, "model", what, "exactly one");
        }
    }
}

fn channels_ok(chip: Chip, c: usize) -> bool {
    (16..=1024).contains(&c) && c.is_multiple_of(16) || (chip == Chip::C5801 && (c == 4 || c == 8))
}

fn check_major(l: &MajorLayer, index: usize, chip: Chip, f: &mut Findings) {
    let limits = chip.limits();
    let m = index + 1;
    let at = Location::Major(m);
    if l.major_layer as usize != m {
        let what = format!("numbered {}", l.major_layer);
        f.add(
            at,
            "major_layer",
            what,
            format!("{m}, its place in the list"),
        );
    }
    let masks = chip.masks();
    if !MaskBits::new(l.coef_bits).is_some_and(|b| masks.contains(&b)) {
        let list: Vec<String> = masks.iter().map(|m| m.to_string()).collect();
        let what = format!("{}-bit coefficients", l.coef_bits);
        f.add(
            at,
            "coef_bits",
            what,
            format!("the {chip} has {}", list.join(", ")),
        );
    }
    let subs = l.sublayer_number;
    if subs == 0 || subs > limits.max_sublayers {
        let what = format!("{subs} sub-layers");
        f.add(
            at,
            "sublayer_number",
            what,
            format!("1 to {}", limits.max_sublayers),
        );
    }
    if !limits.layer_sizes.contains(&l.image_size) {
        let what = format!("image size {}", l.image_size);
        f.add(
            at,
            "image_size",
            what,
            format!("{:?} on the {chip}", limits.layer_sizes),
        );
    }
    let first_input =
        index == 0 && (l.input_channels == 3 || (l.input_channels == 4 && chip != Chip::C2801));
    if !first_input && !channels_ok(chip, l.input_channels) {
        let what = format!("{} input channels", l.input_channels);
        f.add(at, "input_channels", what, channel_rule(chip));
    }
    if !channels_ok(chip, l.output_channels) {
        let what = format!("{} output channels", l.output_channels);
        f.add(at, "output_channels", what, channel_rule(chip));
    }
    check_lists(l, m, chip, f);
    check_residual(l, m, f);
    if l.ten_bits() && chip == Chip::C2801 {
        let what = "10-bit output".to_string();
        f.add(at, "ten_bits_enable", what, "2803 and 5801 only");
    }
    if l.upsample() && l.input_channels != l.output_channels {
        let what = format!("{} → {} channels", l.input_channels, l.output_channels);
        f.add(
            at,
            "upsample_enable",
            what,
            "an upsampling major layer keeps its channels",
        );
    }
    if l.upsample() && index == 0 {
        let what = "upsampling the network input".to_string();
        f.add(at, "upsample_enable", what, "after the first major layer");
    }
}

fn channel_rule(chip: Chip) -> String {
    match chip {
        Chip::C5801 => "4, 8 or a multiple of 16 up to 1024".into(),
        _ => "a multiple of 16 up to 1024".into(),
    }
}

/// `scaling` and `one_coef`: one entry per sub-layer, shifts within the chip's range.
fn check_lists(l: &MajorLayer, m: usize, chip: Chip, f: &mut Findings) {
    let subs = l.sublayer_number;
    let max_shift = chip.limits().max_shift;
    if let Some(s) = &l.scaling {
        if s.len() != subs {
            let what = format!("{} shifts", s.len());
            f.add(
                Location::Major(m),
                "scaling",
                what,
                format!("one per sub-layer ({subs})"),
            );
        }
        for (i, v) in s.iter().enumerate().filter(|(_, v)| **v > max_shift) {
            let what = format!("shift {v}");
            f.add(
                Location::Sub(m, i + 1),
                "scaling",
                what,
                format!("0 to {max_shift}"),
            );
        }
    }
    if let Some(c) = &l.one_coef {
        if c.len() != subs {
            let what = format!("{} flags", c.len());
            f.add(
                Location::Major(m),
                "one_coef",
                what,
                format!("one per sub-layer ({subs})"),
            );
        }
        for (i, v) in c.iter().enumerate().filter(|(_, v)| **v > 1) {
            let what = format!("flag {v}");
            f.add(
                Location::Sub(m, i + 1),
                "one_coef",
                what,
                "0 (3×3) or 1 (1×1)",
            );
        }
    }
}

/// Residual pairs: identity shortcuts need in = out, each pair inside the major layer.
fn check_residual(l: &MajorLayer, m: usize, f: &mut Findings) {
    let Some(starts) = &l.resnet_shortcut_start_layers else {
        return;
    };
    if l.input_channels != l.output_channels {
        let what = format!("{} in, {} out", l.input_channels, l.output_channels);
        let key = "resnet_shortcut_start_layers";
        f.add(
            Location::Major(m),
            key,
            what,
            "an identity shortcut needs in = out",
        );
    }
    let mut previous: Option<usize> = None;
    for &s in starts {
        if s == 0 || s.saturating_add(1) > l.sublayer_number {
            let what = format!("a pair starting at sub-layer {s}");
            let limit = format!("both convolutions within 1..={}", l.sublayer_number);
            f.add(
                Location::Sub(m, s),
                "resnet_shortcut_start_layers",
                what,
                limit,
            );
        } else if previous.is_some_and(|p| s < p.saturating_add(2)) {
            let what = format!("a pair starting at sub-layer {s} inside the previous pair");
            let limit = "pairs in increasing order, two sub-layers each";
            f.add(
                Location::Sub(m, s),
                "resnet_shortcut_start_layers",
                what,
                limit,
            );
        }
        previous = Some(s);
    }
}

/// The next major layer reads what this one writes: channels, and the size after upsampling
/// and pooling.
fn check_chaining(l: &MajorLayer, next: &MajorLayer, m: usize, f: &mut Findings) {
    if next.input_channels != l.output_channels {
        let what = format!("{} input channels", next.input_channels);
        let limit = format!("the previous major layer writes {}", l.output_channels);
        f.add(Location::Major(m), "input_channels", what, limit);
    }
    let up = if l.upsample() { 2 } else { 1 };
    let size = l.image_size.saturating_mul(up) / if l.pooling() { 2 } else { 1 };
    if next.image_size != size {
        let what = format!("image size {}", next.image_size);
        let limit = format!("the previous major layer writes {size}×{size}");
        f.add(Location::Major(m), "image_size", what, limit);
    }
}

/// Intermediate outputs: `learning` and `last_layer_out` exclude each other across the file;
/// 10-bit output only on the last major layer unless every layer has it.
fn check_outputs(net: &ChipNetwork, chip: Chip, f: &mut Findings) {
    let learning = net.layer.iter().position(MajorLayer::learning);
    let last_out = net.layer.iter().position(MajorLayer::last_layer_out);
    if let (Some(a), Some(b)) = (learning, last_out) {
        let what = format!("set while major layer {} has `learning`", a + 1);
        f.add(
            Location::Major(b + 1),
            "last_layer_out",
            what,
            "one output mode per file",
        );
    }
    let ten: Vec<usize> = (0..net.layer.len())
        .filter(|i| net.layer[*i].ten_bits())
        .collect();
    let all = ten.len() == net.layer.len();
    if chip != Chip::C2801 && !all {
        for &i in ten.iter().filter(|i| **i + 1 != net.layer.len()) {
            let what = "10-bit output before the last major layer".to_string();
            let limit = "the last major layer only, or every one";
            f.add(Location::Major(i + 1), "ten_bits_enable", what, limit);
        }
    }
}

fn check_budget(layers: &[MajorLayer], chip: Chip, at: Location, f: &mut Findings) {
    let Some(budget) = chip.limits().filter_budget else {
        return;
    };
    let used = total_effective_filters(layers);
    if used >= budget {
        let what = format!("{used} effective filters");
        f.add(
            at,
            "coef_bits",
            what,
            format!("below {budget} on the {chip}"),
        );
    }
}

mod full_model;
#[cfg(test)]
mod tests;

pub use full_model::check_full_model;
